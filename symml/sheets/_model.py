"""The values of a cheat-sheet: its entries, their verification marks, the errata.

:mod:`symml.sheets._sheet` builds them (one :class:`Entry` per formula, by
:func:`symml.sheets._entry.build_entry`) and :mod:`symml.sheets._render` prints them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Entry", "Erratum", "Mark", "Sheet", "Status"]


class Status(enum.Enum):
    VERIFIED = "verified"
    REFUTED = "refuted"
    ERRATUM = "erratum"  # refuted, as the registry says it should be: the document is wrong
    FAILED = "failed"  # derive/verify raised or ran out of time: not evidence either way
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Mark:
    """One line of verification under an entry; ``text`` may hold ``$...$`` math.

    A mark that sums up passed checks says how they were sampled (``points``, ``seed``,
    ``rtol``): the sheet's legend states the usual values once and a mark shows only what
    differs from them.
    """

    status: Status
    text: str
    points: int = 0
    seed: int | None = None
    rtol: str = ""


@dataclass(frozen=True)
class Erratum:
    title: str
    source: str
    claimed: str  # LaTeX math: what the document states
    why: str  # text
    counterexample: str = ""  # text
    correction: str = ""  # LaTeX math


@dataclass(frozen=True)
class Entry:
    """One formula on the sheet. Math fields are LaTeX without dollars; text is raw."""

    name: str
    title: str
    definition: str  # math; "" when no rendering compiles (then ``raw`` is shown as code)
    raw: str = ""
    derivatives: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()  # math, each an aligned block
    marks: tuple[Mark, ...] = ()
    sources: tuple[str, ...] = ()
    errata: tuple[Erratum, ...] = ()
    plot: str = ""  # figure file name inside the plots directory


@dataclass(frozen=True)
class Sheet:
    sections: tuple[tuple[str, tuple[Entry, ...]], ...]
    errata: tuple[Erratum, ...] = ()
    plots_dir: str = ""  # directory name, relative to the document
    notes: tuple[str, ...] = ()
    documents: tuple[tuple[str, str], ...] = ()  # (source file name, the document's title)
