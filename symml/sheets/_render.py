"""Print a cheat-sheet as a LaTeX document (three columns, landscape) or as Markdown.

:func:`render` is the last stage of :func:`symml.sheets._sheet.cheatsheet`. Text is escaped
here (:mod:`symml.sheets._escape`); math fields of an :class:`~symml.sheets._model.Entry` are
LaTeX already checked to compile.
"""

from __future__ import annotations

import re
from pathlib import Path

from symml.sheets._escape import escape, md_escape
from symml.sheets._model import Entry, Erratum, Sheet, Status

__all__ = ["render"]


# ------------------------------------------------------------------------------ render


def render(sheet: Sheet, fmt: str = "tex") -> str:
    """The sheet as a LaTeX document (``"tex"``) or Markdown (``"md"``)."""
    return _render_md(sheet) if fmt == "md" else _render_tex(sheet)


_PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[utf8]{inputenc}
% T1 Latin Modern makes _ < > | ~ real glyphs (copyable, found by pdftotext)
\IfFileExists{lmodern.sty}{\usepackage[T1]{fontenc}\usepackage{lmodern}}{%
  % without it (apt --no-install-recommends), OT1 text fonts have no _ ^ ~: use typewriter's
  \renewcommand{\textunderscore}{\texttt{\char95}}%
  \renewcommand{\textasciicircum}{\texttt{\char94}}%
  \renewcommand{\textasciitilde}{\texttt{\char126}}}
\usepackage[a4paper,landscape,margin=8mm,footskip=4mm]{geometry}
\usepackage{amsmath,amssymb,mathtools,bm}
\usepackage{multicol,graphicx}
\usepackage[dvipsnames]{xcolor}
\DeclareMathOperator*{\argmax}{arg\,max}
\DeclareMathOperator*{\argmin}{arg\,min}
\DeclareMathOperator{\sign}{sign}
\DeclareMathOperator{\softmax}{softmax}
\DeclareMathOperator{\diag}{diag}
\DeclareMathOperator{\tr}{tr}
\DeclareMathOperator{\Var}{Var}
\DeclareMathOperator{\Cov}{Cov}
\DeclareMathOperator{\KL}{KL}
\providecommand{\E}{\mathbb{E}}
\definecolor{ink}{HTML}{1F4E9C}
\setlength{\parindent}{0pt}
\setlength{\columnsep}{5mm}
\setlength{\columnseprule}{0.2pt}
\setlength{\abovedisplayskip}{2pt}
\setlength{\belowdisplayskip}{2pt}
\pagestyle{plain}
\newsavebox{\fitbox}
% display math scaled down to the column width when it would not fit; no column break
% after it, so a definition, its derivatives and its plot stay together
\newcommand{\fitmath}[1]{\par\sbox{\fitbox}{$\displaystyle #1$}%
  \ifdim\wd\fitbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\fitbox}}%
  \else\makebox[\linewidth]{\usebox{\fitbox}}\fi\par\nopagebreak\smallskip}
\newcommand{\topic}[1]{\colorbox{ink}{\parbox{\dimexpr\linewidth-2\fboxsep}%
  {\color{white}\bfseries\small #1}}\par\nopagebreak\smallskip}
% a topic bar travels with its first entry, a title with the definition under it; an entry
% may continue in the next column (unbreakable entries leave holes at column bottoms)
\newenvironment{entry}[2][]{\par\addvspace{4pt}%
  \if\relax\detokenize{#1}\relax\else\topic{#1}\fi
  {\color{ink}\bfseries\hyphenpenalty=10000 \exhyphenpenalty=10000 #2\par}%
  \nopagebreak\smallskip\nopagebreak}{\par}
\newcommand{\field}[1]{{\scriptsize\color{gray}#1}\par}
\newcommand{\chk}[2]{{\scriptsize #1\ #2}\par}
\newcommand{\ok}{\textcolor{ForestGreen}{$\checkmark$}}
\newcommand{\bad}{\textcolor{BrickRed}{$\times$}}
\newcommand{\errmark}{\textcolor{BrickRed}{$\bm{!}$}}
\newcommand{\unk}{\textcolor{Gray}{$\circ$}}
"""

_GLYPH_TEX = {
    Status.VERIFIED: r"\ok",
    Status.REFUTED: r"\bad",
    Status.ERRATUM: r"\errmark",
    Status.FAILED: r"\unk",
    Status.SKIPPED: r"\unk",
}
_GLYPH_MD = {
    Status.VERIFIED: "✓",
    Status.REFUTED: "✗",
    Status.ERRATUM: "!",
    Status.FAILED: "○",
    Status.SKIPPED: "○",
}

_SHOWN = (Status.VERIFIED, Status.REFUTED, Status.ERRATUM, Status.FAILED)
_LEGEND = (
    "verified symbolically and numerically",
    "refuted",
    "a documented erratum, confirmed",
    "not checked",
)


def _count(sheet: Sheet) -> str:
    n = sum(len(es) for _, es in sheet.sections)
    return f"{n} formula{'s' * (n != 1)}"


_DOCUMENT = re.compile(r"^((\d{3})_[0-9a-f]{6,}\.\w+)(?::\s*(.*))?$")


def _short_source(source: str) -> str:
    """``001_ccc9e13ff71ddb5d.txt: Sigmoid`` -> ``[001] Sigmoid``; others unchanged."""
    m = _DOCUMENT.match(source.strip())
    return f"[{m.group(2)}] {m.group(3) or ''}".strip() if m else source


def _documents(sheet: Sheet) -> list[str]:
    """``[001] 001_ccc9e13ff71ddb5d.txt`` for every document the sheet cites."""
    sources = [s for _, es in sheet.sections for e in es for s in e.sources]
    sources += [er.source for er in sheet.errata]
    found = {m.group(1): m.group(2) for m in map(_DOCUMENT.match, sources) if m}
    return [f"[{number}] {name}" for name, number in sorted(found.items())]


def _render_tex(sheet: Sheet) -> str:
    g = _GLYPH_TEX
    out = [_PREAMBLE]
    if sheet.plots_dir:
        out.append(rf"\graphicspath{{{{{sheet.plots_dir}/}}}}" + "\n")
    out.append("\\begin{document}\n\\footnotesize\\raggedright\n")
    legend = r"\quad ".join(rf"{g[st]}~{word}" for st, word in zip(_SHOWN, _LEGEND, strict=True))
    out.append(
        r"{\LARGE\bfseries\color{ink} symml}\quad"
        r"{\large the mathematics of machine learning, checked}\hfill"
        rf"{{\scriptsize {_count(sheet)}\quad {legend}}}\par"
        "\n\\vspace{2pt}\\hrule\\vspace{3pt}\n"
    )
    if _documents(sheet):
        docs = escape("Documents: " + "; ".join(_documents(sheet)))
        out.append(rf"{{\scriptsize\color{{gray}}{docs}}}\par\vspace{{3pt}}" + "\n")
    out.append("\\begin{multicols}{3}\n\\raggedcolumns\n")
    for note in sheet.notes:
        out.append(rf"\field{{{escape(note)}}}" + "\n")
    for topic, entries in sheet.sections:
        out += [_entry_tex(e, escape(topic) if k == 0 else "") for k, e in enumerate(entries)]
    heading = "Errata: what the documents got wrong"
    out += [_erratum_tex(er, heading if k == 0 else "") for k, er in enumerate(sheet.errata)]
    out.append("\\end{multicols}\n\\end{document}\n")
    return "".join(out)


def _entry_tex(e: Entry, topic: str = "") -> str:
    lines = [rf"\begin{{entry}}[{topic}]{{{escape(e.title)}}}"]
    if e.definition:
        lines.append(rf"\fitmath{{{e.definition}}}")
    else:
        lines.append(rf"\field{{\texttt{{{escape(e.raw)}}}}}")
    lines += [rf"\fitmath{{{d}}}" for d in e.derivatives]
    if e.steps:
        lines.append(r"\field{Step by step:}")
        lines += [rf"\fitmath{{{s}}}" for s in e.steps]
    if e.plot:
        figure = rf"\includegraphics[width=0.72\linewidth]{{{Path(e.plot).stem}}}"
        lines.append(rf"\makebox[\linewidth]{{{figure}}}\par")
    lines += [rf"\chk{{{_GLYPH_TEX[m.status]}}}{{{escape(m.text)}}}" for m in e.marks]
    if e.sources:
        sources = "; ".join(map(_short_source, e.sources))
        lines.append(rf"\field{{Sources: {escape(sources)}}}")
    lines.append(r"\end{entry}")
    return "\n".join(lines) + "\n"


def _erratum_tex(er: Erratum, topic: str = "") -> str:
    lines = [rf"\begin{{entry}}[{topic}]{{{escape(er.title)}}}"]
    if er.claimed:
        lines += [r"\field{The document says:}", rf"\fitmath{{{er.claimed}}}"]
    lines.append(rf"{{\scriptsize\errmark\ {escape(er.why)}}}\par")
    if er.counterexample:
        lines.append(rf"\field{{Counterexample: {escape(er.counterexample)}}}")
    if er.correction:
        lines += [r"\field{Correct:}", rf"\fitmath{{{er.correction}}}"]
    if er.source:
        lines.append(rf"\field{{Source: {escape(_short_source(er.source))}}}")
    lines.append(r"\end{entry}")
    return "\n".join(lines) + "\n"


def _render_md(sheet: Sheet) -> str:
    g = _GLYPH_MD
    legend = ", ".join(f"{g[s]} {w}" for s, w in zip(_SHOWN, _LEGEND, strict=True))
    out = [
        "# symml cheat-sheet: the mathematics of machine learning, checked",
        "",
        f"{_count(sheet)}. {legend}.",
        "",
    ]
    if _documents(sheet):
        out += [md_escape("Documents: " + "; ".join(_documents(sheet))), ""]
    out += [f"> {md_escape(n)}" for n in sheet.notes] + ([""] if sheet.notes else [])
    for topic, entries in sheet.sections:
        out += [f"## {md_escape(topic)}", ""]
        for e in entries:
            out += [f"### {md_escape(e.title)}", ""]
            out += [f"$$\n{e.definition}\n$$", ""] if e.definition else [f"`{e.raw}`", ""]
            for d in e.derivatives:
                out += [f"$$\n{d}\n$$", ""]
            if e.steps:
                out += ["Step by step:", ""] + [x for s in e.steps for x in (f"$$\n{s}\n$$", "")]
            if e.plot:
                out += [f"![{md_escape(e.title)}]({sheet.plots_dir}/{e.plot})", ""]
            out += [f"- {g[m.status]} {md_escape(m.text)}" for m in e.marks]
            if e.sources:
                sources = "; ".join(map(_short_source, e.sources))
                out.append(f"- Sources: {md_escape(sources)}")
            out.append("")
    if sheet.errata:
        out += ["## Errata: what the documents got wrong", ""]
        for er in sheet.errata:
            out += [f"### {md_escape(er.title)}", ""]
            if er.claimed:
                out += ["The document says:", "", f"$$\n{er.claimed}\n$$", ""]
            out.append(f"- ! {md_escape(er.why)}")
            if er.counterexample:
                out.append(f"- Counterexample: {md_escape(er.counterexample)}")
            if er.correction:
                out.append(f"- Correct: ${er.correction}$")
            if er.source:
                out.append(f"- Source: {md_escape(_short_source(er.source))}")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
