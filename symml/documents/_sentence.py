"""The words before a formula, as a reader sees them: "for", "assume that", "where", "let".

:func:`sentence_before` gives the text of the sentence a formula sits in, up to the
formula; a display formula continues the paragraph above it ("Assume that" + display).
:func:`lead_word` says which of the words that make a formula a condition, an assumption
or an assignment comes last in it.
"""

from __future__ import annotations

import re

__all__ = ["lead_word", "sentence_before"]

#: Characters of text looked at before a formula.
_REACH = 240
_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s)|\n\s*\n")
_MATH = re.compile(r"\\\\?\(.*?\\\\?\)|\$\$?[^$]*\$\$?", re.S)


def sentence_before(lines: list[str], line: int, column: int) -> str:
    """The sentence before the formula at 1-based (line, column), math spans shortened.

    Examples:
        >>> sentence_before(["Done. Assume that $x > 0$."], 1, 18)
        'Assume that'
    """
    if not 1 <= line <= len(lines):
        return ""
    before = lines[line - 1][: max(0, column - 1)]
    k = line - 2
    if not before.strip().strip("$\\[("):
        # a display: the sentence is the paragraph above (one blank line allowed)
        before = ""
        while k >= 0 and k >= line - 4 and lines[k].strip() in ("", "$$", "\\[", "\\\\["):
            k -= 1
    while k >= 0 and len(before) < _REACH and lines[k].strip():
        before = lines[k] + "\n" + before
        k -= 1
    before = before[-_REACH:]
    ends = list(_END.finditer(before))
    if ends:
        tail = before[ends[-1].end() :]
        # a sentence that ends right before a display ("... as follows.") still leads it
        before = tail if tail.strip() else before[: ends[-1].start()].split(".")[-1]
    before = _MATH.sub(" [math] ", before)
    return " ".join(before.replace("$", " ").split()).strip()


# Words that make what follows a condition, an assumption or an assignment, by class.
_LEADS = {
    "assumption": r"assume|assuming|suppose|supposing|given that",
    "assignment": r"set|setting|initiali[sz]e[sd]?|initiali[sz]ing|choose|chose|chosen|"
    r"use|using|with|pick|typical(?:ly)?|default|e\.g\.|for example|for instance|such as",
    "condition": r"for|for all|for every|for each|for any|if|iff|when|whenever|where|"
    r"with|while|such that|s\.t\.|unless|provided|as long as|subject to|whereas|"
    r"constrain(?:ed|t)?|require[sd]?|must|should|need(?:s)?|satisf(?:y|ies|ying)",
    "let": r"let|define|denote|write|call",
    "solve": r"solv(?:e|ing)|root[s]?|solution[s]?|zero of|find",
}
_THEN = re.compile(
    r"\b(?:then|so|hence|thus|therefore|gives?|get|obtain|yields?|we have|becomes?|equals?|"
    r"compute[sd]?|calculate[sd]?)\b",
    re.I,
)


def lead_word(sentence: str) -> tuple[str, str] | None:
    """(class, word) for the last leading word of ``sentence`` within a few words of its end.

    Examples:
        >>> lead_word("We assume that")
        ('assumption', 'assume')
        >>> lead_word("The loss, for")
        ('condition', 'for')
        >>> lead_word("The gradient is") is None
        True
        >>> lead_word("For least squares,") is None
        True
        >>> lead_word("For [math],")
        ('condition', 'for')
        >>> lead_word("For a square matrix A, v and lambda satisfy:")
        ('condition', 'satisfy')
    """
    # "if x = 4 then f(x) = -12": the condition ends at "then"
    sentence = re.split(_THEN, sentence)[-1]
    tail = " ".join(sentence.split()[-6:])
    best = None
    for cls, words in _LEADS.items():
        for m in re.finditer(rf"\b({words})\b", tail, re.I):
            if best is None or m.start() > best[2]:
                best = (cls, m.group(1).lower(), m.start())
    if best is None:
        return None
    after = tail[best[2] + len(best[1]) :]
    if re.search(r"\w[^,:;]*[,:;]", after) and "[math]" not in after:
        # "For least squares, J(w) = ...": the words after "for" name a topic, and the
        # clause ended before the formula; "for [math], f(x) = ..." keeps its condition
        return None
    return (best[0], best[1])
