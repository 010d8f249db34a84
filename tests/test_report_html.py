"""The HTML report: self-contained, escaped, and rendered by a real browser.

A document that tries to inject markup (in its name, a formula, a heading, a message, a
notebook cell) must reach the page as text only; the page must hold no script, no event
handler and nothing fetched; headless Chromium (from Debian's packages, installed by
``.ci/run``) must render its MathML visibly; and no notebook code cell is ever run.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from symml.corpus import DocumentResult, Entry, html_report, mathml, mathml_of

HOSTILE = [
    "<script>alert(1)</script>",
    "</math><script>alert(2)</script>",
    '" onmouseover="alert(3)" x="',
    "&lt;script&gt;alert(4)&lt;/script&gt; &amp; &#60;b&#62;",
    "<img src=x onerror=alert(5)>",
    "</td></tr></table><iframe src='https://example.com/'></iframe>",
]

#: A file name that is markup (a file name cannot hold "/", so no closing tags).
EVIL_NAME = 'ch<b onmouseover="alert(1)">&amp;<script>.md'

#: Every element the report may contain: its own HTML and allowlisted MathML.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "thead",
    "tbody", "tr", "th", "td", "a", "section", "code",
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
    "mfrac", "msqrt", "mroot", "mfenced", "mover", "munder", "munderover", "mtable", "mtr",
    "mtd", "mstyle", "merror", "mpadded", "mphantom", "menclose",
}  # fmt: skip


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text a reader sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _assert_inert(page: str) -> _Page:
    parsed = _Page()
    parsed.feed(page)
    parsed.close()
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag, attrs in parsed.tags:
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
        assert "src" not in attrs
        if "href" in attrs:
            assert re.fullmatch(r"#doc-\d+", attrs["href"]), attrs
    [policy] = [
        a["content"] for t, a in parsed.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert "default-src 'none'" in policy and "script-src" not in policy
    return parsed


def test_every_field_from_a_document_is_escaped() -> None:
    results = []
    for evil in HOSTILE:
        entries = (
            Entry(
                f"{evil}.md",
                3,
                1,
                f"x^2 = {evil}",
                "refuted",
                f"wrong: {evil}",
                None,
                correction=f"y = {evil}",
            ),
            Entry(f"{evil}.md", 5, 1, f"$$ {evil}", "broken", f"never closed: {evil}"),
            Entry(f"{evil}.md", 7, 1, evil, "error", evil),
        )
        results.append(DocumentResult(f"{evil}.md", entries))
    page = html_report(results)
    parsed = _assert_inert(page)
    seen = "".join(parsed.text)
    for evil in HOSTILE:
        assert f"wrong: {evil}" in seen and f"y = {evil}" in seen and f"{evil}.md" in seen
        assert html.escape(evil, quote=True) in page


@pytest.mark.parametrize(
    "name",
    [
        "<script>",
        "</math><script>alert(1)</script><math>",
        '<img src="x" onerror="alert(1)"/>',
        "a&b",
        '" onclick="alert(1)',
    ],
)
def test_a_symbol_name_cannot_become_markup(name: str) -> None:
    import sympy

    math = mathml(sympy.Symbol(name) + sympy.Symbol("x"))
    if math is not None:  # printed, then rebuilt from allowlisted MathML with text escaped
        _assert_inert(
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">{math}'
        )
        assert math.count("<math") == 1 and math.endswith("</math>")


def test_mathml_of_a_formula() -> None:
    math = mathml_of(r"\frac{d}{dx} x^2 = 3x")
    assert math is not None and math.startswith('<math display="block">')
    assert "<mfrac>" in math and "<msup><mi>x</mi><mn>2</mn></msup>" in math
    assert "<mo>=</mo>" in math
    assert mathml_of(r"\frac{") is None


# --------------------------------------------------------------------------- a real browser


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is needed for this test: apt-get install chromium (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _browse(page: Path, *args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: any fetch would fail
         *args, page.as_uri()],
        capture_output=True, text=True, timeout=180, cwd=page.parent,
    )  # fmt: skip


@pytest.fixture
def hostile_corpus(tmp_path: Path) -> Path:
    import nbformat

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name = EVIL_NAME
    (corpus / name).write_text(
        "# </math><script>alert(2)</script> & <b>bold</b>\n\n"
        "Wrong: $$\\frac{d}{dx} x^2 = 3x$$\n\n"
        "Also wrong: $\\frac{d}{dx} x^3 = x^2$ <img src=x onerror=alert(3)>\n\n"
        "$$ <iframe src='https://example.com/'></iframe> \\frac{a}{b}\n\n"
        "# the block above never closed\n",
        encoding="utf-8",
    )
    v4 = nbformat.v4
    marker = tmp_path / "code-cell-ran"
    notebook = v4.new_notebook(cells=[
        v4.new_code_cell(f"open({str(marker)!r}, 'w').write('ran')"),
        v4.new_markdown_cell("Wrong: $$\\frac{d}{dx} x^4 = 4x^2$$ </math><script>x</script>"),
    ])  # fmt: skip
    nbformat.write(notebook, corpus / "lab.ipynb")
    return corpus


def test_the_report_of_a_hostile_corpus_renders_math_in_chromium(
    hostile_corpus: Path, tmp_path: Path
) -> None:
    from PIL import Image, ImageChops

    report = tmp_path / "report.html"
    env = {**os.environ, "SYMML_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run(
        [sys.executable, "-m", "symml.cli", "check", str(hostile_corpus), "--format", "html",
         "-o", str(report), "-j", "2"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr  # refuted formulas and a broken block
    page = report.read_text(encoding="utf-8")
    parsed = _assert_inert(page)
    seen = "".join(parsed.text)
    assert EVIL_NAME in seen  # the file name, as text
    assert page.count("<math") >= 3  # the three refuted derivatives, as MathML
    assert "broken" in seen

    dom = _browse(report, "--dump-dom", profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    lowered = dom.stdout.lower()
    assert "<math" in lowered and "<mfrac>" in lowered
    for element in ("<script", "<img", "<iframe"):
        assert element not in lowered

    shots = {}
    for label, text in (
        ("math", page),
        ("no-math", re.sub(r"<math.*?</math>", "", page, flags=re.S)),
    ):
        source = tmp_path / f"{label}.html"
        source.write_text(text, encoding="utf-8")
        png = tmp_path / f"{label}.png"
        shot = _browse(
            source,
            f"--screenshot={png}",
            "--window-size=1200,1400",
            profile=tmp_path / f"profile-{label}",
        )
        assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
        shots[label] = Image.open(png).convert("L")
    difference = ImageChops.difference(shots["math"], shots["no-math"])
    changed = sum(difference.histogram()[65:])  # pixels that the MathML changed
    assert changed > 500, f"the MathML drew only {changed} pixels"
    dark = sum(shots["math"].histogram()[:128])
    assert dark > 2000  # the page itself is not blank
    assert not (tmp_path / "code-cell-ran").exists()  # no notebook code was run
