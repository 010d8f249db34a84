"""Step-by-step derivations as text: LaTeX ``align*``, plain text, or a JSON-ready list.

:func:`lines` walks a :class:`~symml.derivation.steps._model.StepTree` into justified steps
(``lhs = rhs`` and the rule that allows it), naming the parts of nested product and quotient rules
``u, v``, ``u_1, v_1``, ...; :func:`to_latex`, :func:`to_text` and :func:`to_list` print
those steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symml.derivation.steps._model import Rule, StepNode, StepTree

__all__ = ["Line", "lines", "to_latex", "to_text", "to_list"]


@dataclass(frozen=True)
class Line:
    """One rendered step: ``lhs = rhs`` justified by ``rule`` (LaTeX and plain text)."""

    lhs: str
    lhs_text: str
    rhs: str
    rhs_text: str
    rule: str


_Tex = tuple[str, str]  # (LaTeX, plain text)


def _tex(e) -> _Tex:
    return sp.latex(e), sp.sstr(e)


def _paren(e) -> _Tex:
    latex, text = _tex(e)
    if e.is_Add or (e.is_Mul and e.could_extract_minus_sign()) or (e.is_Number and e < 0):
        return rf"\left({latex}\right)", f"({text})"
    return latex, text


def _power_base(e) -> _Tex:
    """``e`` as the base of a power, parenthesised wherever the power would be misread.

    A sum, integral, product, power or exponential gets parentheses (``\\sum e^{z_j}^{2}``
    is a double superscript TeX rejects), and so does a product (``x \\sin x^{2}`` would
    square the last factor only).
    """
    if isinstance(e, (sp.Sum, sp.Integral, sp.Product, sp.Pow, sp.exp)) or e.is_Mul:
        latex, text = _tex(e)
        return rf"\left({latex}\right)", f"({text})"
    return _paren(e)


def _d(node_var, e) -> _Tex:
    """``d/dx [e]`` (a partial when other symbols are free, or for an Indexed variable)."""
    others = {s for s in e.free_symbols if not s.is_integer} - {node_var}
    if isinstance(node_var, sp.Indexed):
        others -= {node_var.base.label}
    v_latex, v_text = _tex(node_var)
    partial = isinstance(node_var, sp.Indexed) or bool(others)
    op = rf"\frac{{\partial}}{{\partial {v_latex}}}" if partial else rf"\frac{{d}}{{d{v_latex}}}"
    op_text = f"d/d{v_text}"
    latex, text = _tex(e)
    if e.is_Atom or isinstance(e, sp.Indexed):
        return rf"{op} {latex}", f"{op_text} {text}"
    return rf"{op}\left[{latex}\right]", f"{op_text}[{text}]"


_RULE_TEXT = {
    Rule.CONSTANT: "constant",
    Rule.VARIABLE: "variable",
    Rule.INDEXED: "indexed variable: Kronecker delta",
    Rule.SUM: "sum rule",
    Rule.CONSTANT_MULTIPLE: "constant multiple rule",
    Rule.POWER: "power rule",
    Rule.EXPONENTIAL: "exponential rule: (a^x)' = a^x ln a",
    Rule.GENERAL_POWER: "general power rule: (u^v)' = u^v (v' ln u + v u'/u)",
    Rule.PRODUCT: "product rule",
    Rule.QUOTIENT: "quotient rule",
    Rule.EXP: "exponential: (e^x)' = e^x",
    Rule.LOG: "logarithm: (ln x)' = 1/x",
    Rule.TRIG: "trigonometric derivative",
    Rule.HYPERBOLIC: "hyperbolic derivative",
    Rule.ABS: "absolute value: |x|' = sign(x)",
    Rule.MAX: "max: derivative of the larger argument (Heaviside)",
    Rule.MIN: "min: derivative of the smaller argument (Heaviside)",
    Rule.HEAVISIDE: "Heaviside: H' = delta",
    Rule.SIGN: "sign: 0 away from 0, sign' = 2 delta",
    Rule.INTEGRAL: "differentiate under the integral sign (fixed limits)",
    Rule.PIECEWISE: "piecewise: differentiate each piece",
    Rule.SUM_OVER_INDEX: "sum over an index: differentiate each term",
    Rule.SIGMOID: "sigmoid: sigma' = sigma (1 - sigma)",
    Rule.SOFTPLUS: "softplus: softplus' = sigma",
    Rule.LOG_SIGMOID: "log-sigmoid: (log sigma)' = sigma(-x)",
    Rule.RELU: "ReLU: ReLU' = Heaviside(x, 0), 0 at x = 0",
    Rule.LEAKY_RELU: "leaky ReLU: alpha + (1 - alpha) Heaviside(x, 0)",
    Rule.LOGSUMEXP: "logsumexp: its gradient is the softmax",
    Rule.SOFTMAX: "softmax: s_i (delta_ij - s_j)",
    Rule.FUNCTION: "derivative of the function",
    Rule.SYMPY: "derivative computed by SymPy (no textbook rule)",
}


def _rule_text(node: StepNode) -> str:
    if node.rule is Rule.CHAIN:
        return f"chain rule ({_RULE_TEXT[node.outer_rule]})"
    text = _RULE_TEXT[node.rule]
    return f"{text} ({node.note})" if node.note and node.rule is Rule.SYMPY else text


def _is_simple(node: StepNode) -> bool:
    if not node.children:
        return True
    if node.rule in (Rule.CONSTANT_MULTIPLE, Rule.SUM):
        return all(not c.children for c in node.children)
    return False


class _Names:
    """Hands out u/v, u_1/v_1, ... to nested product and quotient rules of one rendering."""

    def __init__(self) -> None:
        self.count = 0

    def pair(self) -> tuple[str, str]:
        self.count += 1
        if self.count == 1:
            return "u", "v"
        return f"u_{{{self.count - 1}}}", f"v_{{{self.count - 1}}}"


def _line(owner: _Tex, rhs: _Tex, rule: str) -> Line:
    return Line(owner[0], owner[1], rhs[0], rhs[1], rule)


def _wrap(block: list[Line], child_owner: _Tex, owner: _Tex, fn) -> list[Line]:
    """The child's own lines rewritten as steps of the parent (``fn`` wraps the rhs)."""
    if (
        block
        and block[-1].rule == "simplify"
        and (block[-1].lhs, block[-1].lhs_text) == child_owner
    ):
        block = block[:-1]  # the parent closes with the simplified whole
    out = []
    for ln in block:
        if (ln.lhs, ln.lhs_text) == child_owner:
            out.append(_line(owner, fn((ln.rhs, ln.rhs_text)), ln.rule))
        else:
            out.append(ln)
    return out


def _closing(block: list[Line], owner: _Tex, result, rule: str = "simplify") -> list[Line]:
    final = _tex(result)
    if block and (block[-1].lhs, block[-1].rhs) == (owner[0], final[0]):
        return block
    return [*block, _line(owner, final, rule)]


def _render(node: StepNode, owner: _Tex, names: _Names) -> list[Line]:
    if _is_simple(node):
        return [_line(owner, _tex(node.result), _rule_text(node))]
    var = node.var
    rule = node.rule
    if rule is Rule.SUM:
        terms = [_d(var, c.expr) for c in node.children]
        first = _line(
            owner,
            (" + ".join(t[0] for t in terms), " + ".join(t[1] for t in terms)),
            "sum rule" if len(terms) > 1 else "sum rule (constant terms vanish)",
        )
        if len(terms) == 1:
            child_block = _render(node.children[0], terms[0], names)
            return _closing(
                [first, *_wrap(child_block, terms[0], owner, lambda r: r)], owner, node.result
            )
        block = [first]
        for c, t in zip(node.children, terms, strict=True):
            block += _render(c, t, names)
        return _closing(block, owner, node.result, "add the terms")
    if rule in (Rule.CONSTANT_MULTIPLE, Rule.CHAIN, Rule.SUM_OVER_INDEX):
        (child,) = node.children
        if rule is Rule.CONSTANT_MULTIPLE:
            c = _paren(node.part("c"))
            prefix = (c[0] + r" \cdot ", c[1] + "*")
            wrap = lambda r: (prefix[0] + r[0], prefix[1] + r[1])  # noqa: E731
            before = prefix
        elif rule is Rule.CHAIN:
            outer = _paren(node.part("outer"))
            prefix = (outer[0] + r" \cdot ", outer[1] + "*")
            before = prefix
            wrap = lambda r: (prefix[0] + rf"\left({r[0]}\right)", prefix[1] + f"({r[1]})")  # noqa: E731
        else:
            idx, lo, hi = (_tex(node.part(k)) for k in ("index", "lo", "hi"))
            before = (
                rf"\sum_{{{idx[0]}={lo[0]}}}^{{{hi[0]}}} ",
                f"Sum over {idx[1]}={lo[1]}..{hi[1]} of ",
            )
            wrap = lambda r: (before[0] + rf"\left({r[0]}\right)", before[1] + f"({r[1]})")  # noqa: E731
        child_owner = _d(var, child.expr)
        if _is_simple(child):
            block = [_line(owner, wrap(_tex(child.result)), _rule_text(node))]
        else:
            first = _line(
                owner, (before[0] + child_owner[0], before[1] + child_owner[1]), _rule_text(node)
            )
            block = [first, *_wrap(_render(child, child_owner, names), child_owner, owner, wrap)]
        if rule is Rule.SUM_OVER_INDEX:
            raw = node.part("raw")
            block = _closing(block, owner, raw)
            return _closing(
                block,
                owner,
                node.result,
                f"Kronecker delta: one term of the sum survives ({node.note})",
            )
        return _closing(block, owner, node.result)
    if rule in (Rule.PRODUCT, Rule.QUOTIENT, Rule.GENERAL_POWER):
        return _render_pair(node, owner, names)
    # A function of several arguments, or a piecewise: one block per argument (piece).
    block = []
    if node.rule not in (Rule.PIECEWISE, Rule.INTEGRAL):
        outers = [_paren(e) for name, e in node.parts if name.startswith("outer")]
        terms = [_d(var, c.expr) for c in node.children]
        rhs = (
            " + ".join(rf"{o[0]} \cdot {t[0]}" for o, t in zip(outers, terms, strict=True)),
            " + ".join(f"{o[1]}*{t[1]}" for o, t in zip(outers, terms, strict=True)),
        )
        block.append(_line(owner, rhs, f"multivariable chain rule ({_rule_text(node)})"))
    for c in node.children:
        block += _render(c, _d(var, c.expr), names)
    return _closing(block, owner, node.result, _rule_text(node))


def _render_pair(node: StepNode, owner: _Tex, names: _Names) -> list[Line]:
    u_name, v_name = names.pair()
    u, v = node.part("u"), node.part("v")
    du, dv = node.children
    formulas = {
        Rule.PRODUCT: (
            rf"{u_name}' {v_name} + {u_name} {v_name}'",
            f"{u_name}'{v_name} + {u_name}{v_name}'",
        ),
        Rule.QUOTIENT: (
            rf"\frac{{{u_name}' {v_name} - {u_name} {v_name}'}}{{{v_name}^{{2}}}}",
            f"({u_name}'{v_name} - {u_name}{v_name}')/{v_name}^2",
        ),
        Rule.GENERAL_POWER: (
            rf"{u_name}^{{{v_name}}} \left({v_name}' \ln {u_name} + "
            rf"\frac{{{v_name} {u_name}'}}{{{u_name}}}\right)",
            f"{u_name}^{v_name} ({v_name}' ln {u_name} + {v_name} {u_name}'/{u_name})",
        ),
    }[node.rule]
    roles = {
        Rule.PRODUCT: ("first factor", "second factor"),
        Rule.QUOTIENT: ("numerator", "denominator"),
        Rule.GENERAL_POWER: ("base", "exponent"),
    }[node.rule]
    block = [
        _line(owner, formulas, _rule_text(node)),
        _line((u_name, u_name), _tex(u), f"let {u_name} be the {roles[0]}"),
        _line((v_name, v_name), _tex(v), f"let {v_name} be the {roles[1]}"),
    ]
    block += _render(du, (f"{u_name}'", f"{u_name}'"), names)
    block += _render(dv, (f"{v_name}'", f"{v_name}'"), names)
    pu, pv, pdu, pdv = (_paren(e) for e in (u, v, du.result, dv.result))
    square = _power_base(v)
    if node.rule is Rule.PRODUCT:
        sub = (
            rf"{pdu[0]} \cdot {pv[0]} + {pu[0]} \cdot {pdv[0]}",
            f"{pdu[1]}*{pv[1]} + {pu[1]}*{pdv[1]}",
        )
    elif node.rule is Rule.QUOTIENT:
        sub = (
            rf"\frac{{{pdu[0]} \cdot {pv[0]} - {pu[0]} \cdot {pdv[0]}}}{{{square[0]}^{{2}}}}",
            f"({pdu[1]}*{pv[1]} - {pu[1]}*{pdv[1]})/{square[1]}^2",
        )
    else:
        sub = _tex(node.result)
    block.append(_line(owner, sub, f"substitute {u_name}, {v_name}, {u_name}', {v_name}'"))
    return _closing(block, owner, node.result)


def lines(tree: StepTree) -> list[Line]:
    """The steps of ``tree`` in reading order (what the three renderers print)."""
    owner = _d(tree.var, tree.expr)
    block = _render(tree.root, owner, _Names())
    for rule, expr in tree.extra:
        block.append(_line(owner, _tex(expr), rule))
    return block


def _text_rule(rule: str) -> str:
    return rule.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("^", r"\^{}")


def to_latex(tree: StepTree) -> str:
    r"""An ``align*`` block, one justified step per line (``&= ... && \text{rule}``)."""
    rows, previous = [], None
    for ln in lines(tree):
        lhs = "" if ln.lhs == previous else ln.lhs
        previous = ln.lhs
        rows.append(rf"{lhs} &= {ln.rhs} && \text{{{_text_rule(ln.rule)}}}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def to_text(tree: StepTree) -> str:
    """Plain text, one step per line: ``lhs = rhs    [rule]``."""
    out, previous = [], None
    steps = lines(tree)
    width = max((len(ln.lhs_text) for ln in steps), default=0)
    for ln in steps:
        lhs = "" if ln.lhs_text == previous else ln.lhs_text
        previous = ln.lhs_text
        out.append(f"{lhs:>{width}} = {ln.rhs_text}    [{ln.rule}]")
    return "\n".join(out)


def to_list(tree: StepTree) -> list[dict[str, str]]:
    """``[{"rule": str, "latex": "lhs = rhs"}, ...]`` for JSON."""
    return [{"rule": ln.rule, "latex": f"{ln.lhs} = {ln.rhs}"} for ln in lines(tree)]
