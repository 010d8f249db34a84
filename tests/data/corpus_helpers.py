"""Per-document functions for tests/test_corpus.py, importable by symml's worker processes
(the test puts this directory on PYTHONPATH). A document whose text holds DIE kills its
worker mid-document; one that holds SLEEP runs past any small per-document bound; the
rest are checked as symml checks them."""

from __future__ import annotations

import os
import time

from symml.corpus import check_source


def dying_check(source, formula_timeout=None):
    if b"DIE" in source.data:
        os._exit(7)  # the worker process dies in the middle of this document
    if b"SLEEP" in source.data:
        time.sleep(120)
    return check_source(source, formula_timeout)


def recording_check(source, formula_timeout=None):
    """check_source, after appending the document's name to $SYMML_TEST_ORDER."""
    with open(os.environ["SYMML_TEST_ORDER"], "a", encoding="utf-8") as log:
        log.write(source.name + "\n")
    return check_source(source, formula_timeout)
