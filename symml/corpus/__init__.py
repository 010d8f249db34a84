"""Corpus mode: check many documents at once, in parallel, with a cache and reports.

:func:`discover` turns paths (files, directories, ``-``) into the documents to check and
:func:`read_source` reads each into a :class:`Source`; :func:`check_corpus` checks them on a
pool of worker processes or on Dask, serving unchanged documents from the cache, and yields
one :class:`DocumentResult` per document in order; :func:`check_source` is the function
that checks one document wherever it runs; :func:`html_report` writes the HTML page.

Examples:
    >>> from symml.corpus import Source, check_corpus
    >>> [result] = check_corpus([Source("d.md", "markdown", b"$$\\n$$\\n# Next")], cache=False)
    >>> result.counts()["broken"]
    1
"""

from symml.corpus._document import FORMULA_TIMEOUT, check_source, read_notebook
from symml.corpus._html import html_report, mathml, mathml_of
from symml.corpus._model import FAILING, DocumentResult, Entry, Source, document_error
from symml.corpus._run import DOCUMENT_TIMEOUT, EXECUTORS, check_corpus, dask_task, default_jobs
from symml.corpus._sources import SUFFIXES, discover, read_source

__all__ = [
    "DOCUMENT_TIMEOUT",
    "EXECUTORS",
    "FAILING",
    "FORMULA_TIMEOUT",
    "SUFFIXES",
    "DocumentResult",
    "Entry",
    "Source",
    "check_corpus",
    "check_source",
    "dask_task",
    "default_jobs",
    "discover",
    "document_error",
    "html_report",
    "mathml",
    "mathml_of",
    "read_notebook",
    "read_source",
]
