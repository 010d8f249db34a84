"""Print a cheat-sheet as a LaTeX document (three columns, landscape) or as Markdown.

:func:`render` is the last stage of :func:`symml.sheets._sheet.cheatsheet`. Text is escaped
here (:mod:`symml.sheets._escape`); math fields of an :class:`~symml.sheets._model.Entry` are
LaTeX already checked to compile.
"""

from __future__ import annotations

import re
from pathlib import Path

from symml.sheets._escape import escape, md_escape, md_text, plain_text, tex_text
from symml.sheets._model import Entry, Erratum, Mark, Sheet, Status

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
% after it, so a definition, its derivatives and its plot stay together (the spacing is
% tight: the 177 formulas fill seven pages, the last one's columns balanced)
\newcommand{\fitmath}[1]{\par\sbox{\fitbox}{$\displaystyle #1$}%
  \ifdim\wd\fitbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\fitbox}}%
  \else\makebox[\linewidth]{\usebox{\fitbox}}\fi\par\nopagebreak\vspace{1.5pt}}
\newcommand{\topic}[1]{\colorbox{ink}{\parbox{\dimexpr\linewidth-2\fboxsep}%
  {\color{white}\bfseries\small #1}}\par\nopagebreak\smallskip}
% a topic bar travels with its first entry, a title with the definition under it; an entry
% may continue in the next column (unbreakable entries leave holes at column bottoms)
\newenvironment{entry}[2][]{\par\addvspace{3pt}%
  \if\relax\detokenize{#1}\relax\else\topic{#1}\fi
  {\color{ink}\bfseries\hyphenpenalty=10000 \exhyphenpenalty=10000 #2\par}%
  \nopagebreak\smallskip\nopagebreak}{\par}
\newcommand{\field}[1]{{\scriptsize\color{gray}#1}\par}
% a label of the math under it ("The document says:"): never left alone at a column's foot
\newcommand{\lead}[1]{{\scriptsize\color{gray}#1}\par\nopagebreak[4]}
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
    """``[001] Mathematics for Machine Learning`` for every document the sheet cites.

    A document is named by its own title (its front matter's, else its first heading); one
    the sheet cannot read keeps its file name.
    """
    sources = [s for _, es in sheet.sections for e in es for s in e.sources]
    sources += [er.source for er in sheet.errata]
    found = {m.group(1): m.group(2) for m in map(_DOCUMENT.match, sources) if m}
    titles = dict(sheet.documents)
    return [f"[{number}] {titles.get(name, name)}" for name, number in sorted(found.items())]


def _sampling(sheet: Sheet) -> tuple[int, int | None, str]:
    """The points, seed and rtol most verified marks share: said once, in the legend."""
    from collections import Counter

    marks = [m for _, es in sheet.sections for e in es for m in e.marks if m.points]
    if not marks:
        return 0, None, ""
    common = Counter((m.points, m.seed, m.rtol) for m in marks).most_common(1)[0][0]
    return common


def _sampling_legend(sheet: Sheet) -> str:
    points, seed, rtol = _sampling(sheet)
    if not points:
        return ""
    how = [f"seed {seed}"] if seed is not None else []
    how += [f"relative tolerance {rtol}"] if rtol else []
    extra = f" ({', '.join(how)})" if how else ""
    return f"numbers checked at up to {_points(points)}{extra} unless an entry says otherwise"


def _points(n: int) -> str:
    return f"{n} sampled point{'s' * (n != 1)}"


def _mark_text(mark: Mark, usual: tuple[int, int | None, str]) -> str:
    """The mark's text, with only the sampling details that differ from the legend's."""
    if not mark.points:
        return mark.text
    points, seed, rtol = usual
    differs = []
    if mark.points != points:
        differs.append(f"at {_points(mark.points)}" if mark.points > 1 else "at 1 point")
    if mark.seed is not None and mark.seed != seed:
        differs.append(f"seed {mark.seed}")
    if mark.rtol and mark.rtol != rtol:
        differs.append(f"rtol {mark.rtol}")
    return mark.text + (f"; {', '.join(differs)}" if differs else "")


def _render_tex(sheet: Sheet) -> str:
    g = _GLYPH_TEX
    out = [_PREAMBLE]
    if sheet.plots_dir:
        out.append(rf"\graphicspath{{{{{sheet.plots_dir}/}}}}" + "\n")
    out.append("\\begin{document}\n\\footnotesize\\raggedright\n")
    legend = r"\quad ".join(rf"{g[st]}~{word}" for st, word in zip(_SHOWN, _LEGEND, strict=True))
    sampling = _sampling_legend(sheet)
    out.append(
        r"{\LARGE\bfseries\color{ink} symml}\quad"
        r"{\large the mathematics of machine learning, checked}\hfill"
        rf"{{\scriptsize {_count(sheet)}\quad {legend}}}\par"
        + (rf"{{\scriptsize\hfill {escape(sampling)}}}\par" if sampling else "")
        + "\n\\vspace{2pt}\\hrule\\vspace{3pt}\n"
    )
    if _documents(sheet):
        docs = escape("Documents: " + "; ".join(_documents(sheet)))
        out.append(rf"{{\scriptsize\color{{gray}}{docs}}}\par\vspace{{3pt}}" + "\n")
    out.append("\\begin{multicols}{3}\n\\raggedcolumns\n")
    for note in sheet.notes:
        out.append(rf"\field{{{escape(note)}}}" + "\n")
    usual = _sampling(sheet)
    for topic, entries in sheet.sections:
        out += [
            _entry_tex(e, escape(topic) if k == 0 else "", usual) for k, e in enumerate(entries)
        ]
    heading = "Errata: what the documents got wrong"
    out += [_erratum_tex(er, heading if k == 0 else "") for k, er in enumerate(sheet.errata)]
    out.append("\\end{multicols}\n\\end{document}\n")
    return "".join(out)


_Usual = tuple[int, "int | None", str]  # the points, seed and rtol the legend states


def _entry_tex(e: Entry, topic: str = "", usual: _Usual = (0, None, "")) -> str:
    lines = [rf"\begin{{entry}}[{topic}]{{{tex_text(e.title)}}}"]
    if e.definition:
        lines.append(rf"\fitmath{{{e.definition}}}")
    else:
        lines.append(rf"\field{{\texttt{{{escape(e.raw)}}}}}")
    lines += [rf"\fitmath{{{d}}}" for d in e.derivatives]
    if e.steps:
        lines.append(r"\lead{Step by step:}")
        lines += [rf"\fitmath{{{s}}}" for s in e.steps]
    if e.plot:
        figure = rf"\includegraphics[width=0.66\linewidth]{{{Path(e.plot).stem}}}"
        lines.append(rf"\makebox[\linewidth]{{{figure}}}\par")
    lines += [
        rf"\chk{{{_GLYPH_TEX[m.status]}}}{{{tex_text(_mark_text(m, usual))}}}" for m in e.marks
    ]
    if e.sources:
        sources = "; ".join(map(_short_source, e.sources))
        lines.append(rf"\field{{Sources: {escape(sources)}}}")
    lines.append(r"\end{entry}")
    return "\n".join(lines) + "\n"


def _erratum_tex(er: Erratum, topic: str = "") -> str:
    lines = [rf"\begin{{entry}}[{topic}]{{{tex_text(er.title)}}}"]
    if er.claimed:
        lines += [r"\lead{The document says:}", rf"\fitmath{{{er.claimed}}}"]
    lines.append(rf"{{\scriptsize\errmark\ {escape(er.why)}}}\par")
    if er.counterexample:
        lines.append(rf"\field{{Counterexample: {escape(er.counterexample)}}}")
    if er.correction:
        lines += [r"\lead{Correct:}", rf"\fitmath{{{er.correction}}}"]
    if er.source:
        lines.append(rf"\field{{Source: {escape(_short_source(er.source))}}}")
    lines.append(r"\end{entry}")
    return "\n".join(lines) + "\n"


def _render_md(sheet: Sheet) -> str:
    g = _GLYPH_MD
    legend = ", ".join(f"{g[s]} {w}" for s, w in zip(_SHOWN, _LEGEND, strict=True))
    sampling = _sampling_legend(sheet)
    out = [
        "# symml cheat-sheet: the mathematics of machine learning, checked",
        "",
        f"{_count(sheet)}. {legend}." + (f" {md_escape(sampling.capitalize())}." * bool(sampling)),
        "",
    ]
    usual = _sampling(sheet)
    if _documents(sheet):
        out += [md_escape("Documents: " + "; ".join(_documents(sheet))), ""]
    out += [f"> {md_escape(n)}" for n in sheet.notes] + ([""] if sheet.notes else [])
    for topic, entries in sheet.sections:
        out += [f"## {md_escape(topic)}", ""]
        for e in entries:
            out += [f"### {md_text(e.title)}", ""]
            out += [f"$$\n{e.definition}\n$$", ""] if e.definition else [f"`{e.raw}`", ""]
            for d in e.derivatives:
                out += [f"$$\n{d}\n$$", ""]
            if e.steps:
                out += ["Step by step:", ""] + [x for s in e.steps for x in (f"$$\n{s}\n$$", "")]
            if e.plot:
                out += [f"![{md_escape(plain_text(e.title))}]({sheet.plots_dir}/{e.plot})", ""]
            out += [f"- {g[m.status]} {md_text(_mark_text(m, usual))}" for m in e.marks]
            if e.sources:
                sources = "; ".join(map(_short_source, e.sources))
                out.append(f"- Sources: {md_escape(sources)}")
            out.append("")
    if sheet.errata:
        out += ["## Errata: what the documents got wrong", ""]
        for er in sheet.errata:
            out += [f"### {md_text(er.title)}", ""]
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
