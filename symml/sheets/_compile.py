"""Compile a cheat-sheet's LaTeX into a PDF: find the engine, run it, read its log.

:func:`compile_pdf` runs ``latexmk`` (else ``pdflatex``) with shell escape off in a
temporary directory; a failure raises :class:`TexError` quoting the log line TeX stopped
at. :func:`compile_repairing` replaces a math block TeX rejects by a note and compiles
again, so that one bad formula costs a note, never the PDF. Files are written through
:func:`write_atomic`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from symml.errors import SymmlError
from symml.sheets._escape import escape

__all__ = ["TexError", "compile_pdf", "write_atomic"]


#: Seconds for one TeX compilation.
TEX_TIMEOUT = 240.0
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra latexmk"


class TexError(SymmlError):
    """No TeX engine, or TeX failed; the message names the fix or the log line and log file.

    Attributes:
        line: the line of the document TeX stopped at (None if unknown).
        reason: TeX's message (``Double superscript.``), "" if unknown.
    """

    def __init__(self, message: str, line: int | None = None, reason: str = ""):
        super().__init__(message)
        self.line = line
        self.reason = reason


def compile_repairing(path: Path, text: str, figures: Path) -> Path:
    """compile_pdf; a math block TeX rejects is replaced by a note and the sheet recompiled."""
    for _ in range(MAX_REPAIRS):
        try:
            pdf = compile_pdf(path, figures=figures)
        except TexError as e:
            repaired = _drop_math_at(text, e.line, e.reason) if e.line else None
            if repaired is None:
                raise
            text = repaired
            write_atomic(path, text)
            continue
        path.with_suffix(".log").unlink(missing_ok=True)  # a log of a repaired failure
        return pdf
    return compile_pdf(path, figures=figures)


def compile_pdf(
    tex_path: Path, *, figures: Path | None = None, timeout: float = TEX_TIMEOUT
) -> Path:
    """Compile ``tex_path`` in a temporary directory; write the PDF next to it.

    Shell escape is off. On failure the full log is copied next to ``tex_path``.

    Raises:
        TexError: no TeX engine on PATH (the message names the Debian packages), or TeX
            failed (the message quotes the log line and gives the log's path).
    """
    tex_path = Path(tex_path)
    engine = tex_engine()
    flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    with tempfile.TemporaryDirectory(prefix="symml-tex-") as tmp:
        work = Path(tmp)
        shutil.copy(tex_path, work / "sheet.tex")
        if figures is not None and Path(figures).is_dir():
            shutil.copytree(figures, work / Path(figures).name)
        if Path(engine).name == "latexmk":
            cmd = [engine, "-pdf", "-quiet", *flags, "sheet.tex"]
        else:
            cmd = [engine, *flags, "sheet.tex"]
        try:
            proc = subprocess.run(
                cmd,
                cwd=work,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = None
        pdf = work / "sheet.pdf"
        log = work / "sheet.log"
        if code == 0 and pdf.exists():
            target = tex_path.with_suffix(".pdf")
            write_atomic(target, pdf.read_bytes())
            return target
        kept = tex_path.with_suffix(".log")
        text = log.read_text(errors="replace") if log.exists() else (proc.stdout if code else "")
        write_atomic(kept, text)
        if code is None:
            raise TexError(f"LaTeX timed out after {timeout:g} s on {tex_path} (log: {kept})")
        why, line, reason = _tex_error_line(text)
        raise TexError(f"LaTeX failed on {tex_path}: {why} (full log: {kept})", line, reason)


def tex_engine() -> str:
    engine = shutil.which("latexmk") or shutil.which("pdflatex")
    if engine is None:
        raise TexError(
            f"no TeX engine (latexmk or pdflatex) on PATH; install: apt-get install {TEX_PACKAGES}"
        )
    return engine


def _tex_error_line(log: str) -> tuple[str, int | None, str]:
    """(the log line that matters with its ``l.N`` context, N, TeX's reason)."""
    lines = log.splitlines()
    for k, line in enumerate(lines):
        m = re.match(r"^(?:\./)?sheet\.tex:(\d+): (.*)$", line)
        if line.startswith("!") or m:
            context = next((x.strip() for x in lines[k + 1 : k + 6] if x.startswith("l.")), "")
            number = m.group(1) if m else re.match(r"l\.(\d+)", context or "l.x")
            number = number if isinstance(number, str) else (number.group(1) if number else None)
            reason = m.group(2) if m else line.lstrip("! ")
            return f"{line.strip()} {context}".strip(), int(number) if number else None, reason
    return "no error line in the log", None, ""


#: Blocks of math the sheet will drop, one per compilation, before giving up.
MAX_REPAIRS = 8


def _drop_math_at(tex: str, line: int, reason: str) -> str | None:
    """Replace the ``\\fitmath`` block that holds ``line`` by a note; None if none does."""
    lines = tex.split("\n")
    start = line - 1
    while 0 <= start < len(lines) and not lines[start].startswith("\\fitmath{"):
        if lines[start].startswith("\\begin{entry}"):
            return None
        start -= 1
    if start < 0 or start >= len(lines):
        return None
    depth, end = 0, start
    for end in range(start, len(lines)):
        depth += lines[end].count("{") - lines[end].count("}")
        depth -= lines[end].count("\\{") - lines[end].count("\\}")
        if depth <= 0:
            break
    if end < line - 1:
        return None
    note = rf"\field{{\textit{{(this formula could not be typeset: {escape(reason)})}}}}"
    return "\n".join(lines[:start] + [note] + lines[end + 1 :])


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``path`` through a temporary file in the same directory and a rename.

    The file gets the mode a plain ``open(path, "w")`` would give (0666 less the umask),
    not the 0600 of a temporary file.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (read by setting it and putting it back: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
