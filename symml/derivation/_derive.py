"""Derivatives: raw, simplified, textbook form and steps, each proved before it is returned.

The pipeline of :func:`derive` reads top to bottom:

1. what to differentiate: a registry name, a ``Formula``, an ``Equation`` (``f(x) = E``:
   the left side names the function), or a SymPy expression;
2. with respect to what: a symbol, or a component ``w[j]`` of an indexed vector ``w``;
3. ``raw = sympy.diff`` (Kronecker deltas over summation indices collapsed);
4. the reference, ``sympy.diff`` of the expression rewritten to elementary functions;
5. ``simplified``: ``simplify`` within a time bound (a hit bound keeps ``raw``, with a note);
6. ``textbook``: the derivative in terms of the function itself (:mod:`symml.derivation._textbook`);
7. every one of raw/simplified/textbook is proved equal to the reference
   (:func:`prove_equal`: symbolically within a bound, else numerically at seeded points);
   a form that fails is replaced by the reference, with a note. Nothing wrong is returned.

Examples:
    >>> import sympy
    >>> from symml.derivation._derive import derive
    >>> x = sympy.Symbol("x", real=True)
    >>> sigma = sympy.Function("sigma")(x)
    >>> from symml.latex._reader import Equation
    >>> d = derive(Equation(sigma, 1 / (1 + sympy.exp(-x))), "x", steps=False)
    >>> d.textbook
    (1 - sigma(x))*sigma(x)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from symml import serialize
from symml.errors import DerivationError, SymmlError, SymmlTimeout
from symml.functions import MLFunction, to_elementary
from symml.workers import SIMPLIFY_TIMEOUT, run_bounded

__all__ = [
    "Derivation",
    "Proof",
    "Subject",
    "collapse_deltas",
    "derive",
    "expr_json",
    "expand_function",
    "prove_equal",
    "resolve_variable",
    "simplify_deep",
    "subject_of",
]

#: Relative tolerance of the numeric equality check (evaluated with 30 significant digits).
RTOL = 1e-12
#: Seeded points used when a symbolic proof is out of reach.
POINTS = 6


# --- values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """Whether two expressions are equal, and how that was established.

    Attributes:
        ok: True (proved), False (refuted, see ``detail``), None (could not decide).
        method: ``"structural"``, ``"symbolic"`` or ``"numeric"``.
        detail: the counterexample, or why nothing could be decided.
    """

    ok: bool | None
    method: str
    detail: str = ""


@dataclass(frozen=True)
class Subject:
    """What is differentiated: ``expr``; ``value`` is ``f(x)`` when ``f(x) = expr`` defines f."""

    expr: sp.Expr
    value: sp.Expr | None = None
    label: str = ""


@dataclass(frozen=True)
class Derivation:
    """The derivative of ``input`` with respect to ``wrt``, ``order`` times.

    Attributes:
        input: the expression differentiated (a definition's right side).
        wrt: the variable, a Symbol or an Indexed component such as ``w[j]``.
        order: how many times.
        raw: ``sympy.diff`` of ``input``, deltas over summation indices collapsed.
        simplified: ``raw`` simplified within the time bound (else ``raw``).
        textbook: the form a textbook prints (in terms of the function being defined).
        steps: the step tree of ``symml.derivation.steps._rules`` (first derivatives), or None.
        notes: what the reader should know: subgradients, time bounds hit, checks.
        function: ``f(x)`` when the input defined a function, else None.
        proofs: how each form was proved equal to ``sympy.diff`` (form name -> Proof).
    """

    input: sp.Expr
    wrt: sp.Basic
    order: int
    raw: sp.Expr
    simplified: sp.Expr
    textbook: sp.Expr
    steps: Any = None
    notes: tuple[str, ...] = ()
    function: sp.Expr | None = None
    proofs: Mapping[str, Proof] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self, printer: Callable[[sp.Basic], str] | None = None) -> dict[str, Any]:
        """The ``derive --json`` object: input, wrt, derivative, textbook, steps (+ order, raw, notes).

        Args:
            printer: writes the "sympy" strings (default: :func:`symml.serialize.sympy_text`).
        """
        return {
            "input": expr_json(self.input, printer),
            "wrt": str(self.wrt),
            "order": self.order,
            "derivative": expr_json(self.simplified, printer),
            # "sympy" in elementary functions (the contract), the function's own name kept in
            # "latex" and in "sympy_named": sigma(x)*(1 - sigma(x))
            "textbook": {
                **expr_json(self.textbook, printer),
                "sympy": expr_json(expand_function(self.textbook, self.function, self.input),
                                   printer)["sympy"],
                "sympy_named": str(self.textbook),
            },
            "raw": expr_json(self.raw, printer),
            "steps": _steps_json(self.steps),
            "notes": list(self.notes),
        }


def expr_json(expr: sp.Basic, printer: Callable[[sp.Basic], str] | None = None) -> dict[str, str]:
    """:func:`symml.serialize.expr_json`, with the LaTeX in the order textbooks print.

    Plain factors come before parenthesised ones (``\\sigma(x)(1 - \\sigma(x))``).
    ``printer`` writes the "sympy" string (default: :func:`symml.serialize.sympy_text`).
    """
    from symml.derivation._textbook import arrange

    latex = sp.latex(arrange(expr), order="none")
    if printer is None:
        return serialize.expr_json(expr, latex=latex)
    return {"sympy": printer(expr), "latex": latex}


def _steps_json(steps: Any) -> list[dict[str, str]]:
    if steps is None:
        return []
    from symml.derivation.steps import to_list

    items = to_list(steps)
    return [
        {"rule": str(item["rule"]), "latex": str(item["latex"])}
        if isinstance(item, Mapping)
        else {"rule": str(getattr(item, "rule", "")), "latex": str(getattr(item, "latex", ""))}
        for item in items
    ]


# --- the pipeline ----------------------------------------------------------------------


def derive(
    formula_or_expr: Any,
    wrt: str | sp.Basic,
    order: int = 1,
    *,
    steps: bool = True,
    timeout: float = SIMPLIFY_TIMEOUT,
    seed: int = 0,
) -> Derivation:
    """Differentiate, simplify, find the textbook form, and prove every form.

    Args:
        formula_or_expr: a registry name, a ``Formula``, an ``Equation`` ``f(x) = E``
            (the left side names the function), or a SymPy expression.
        wrt: the variable: a name (``"x"``), a vector's name (``"w"`` -> the component
            ``w[j]``), a component (``"w_j"``, ``"w[j]"``), or a SymPy Symbol/Indexed.
        order: how many times to differentiate (>= 1).
        steps: also build the step-by-step tree (first derivatives only).
        timeout: seconds allowed for each simplification and for the textbook search.
        seed: for the numeric points of the proofs.

    Returns:
        A :class:`Derivation`.

    Raises:
        DerivationError: an unknown variable, an order below 1, or an expression that
            cannot be differentiated.

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x", real=True)
        >>> derive(sympy.log(1 + sympy.exp(x)), "x", steps=False).textbook
        sigmoid(x)
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise DerivationError(f"the order of a derivative must be an integer >= 1, got {order!r}")
    subject = subject_of(formula_or_expr)
    var = resolve_variable(subject.expr, wrt, subject.label)
    expr, restore = _opaque_vector_functions(_rename_bound(subject.expr, var), var)
    notes: list[str] = []
    raw = _differentiate(expr, var, order, subject.label)
    reference = _differentiate(_rename_bound(to_elementary(expr), var), var, order, subject.label)
    proofs: dict[str, Proof] = {}

    def proved(name: str, form: sp.Expr, fallback: sp.Expr, value: Any = None) -> sp.Expr:
        proof = prove_equal(
            expand_function(form, value, expr), reference, timeout=timeout, seed=seed
        )
        proofs[name] = proof
        if proof.ok is False:
            notes.append(f"the {name} form failed its check ({proof.detail}); shown: sympy.diff")
            return fallback
        if proof.ok is None:
            notes.append(f"the {name} form could not be checked ({proof.detail})")
        return form

    raw = proved("raw", raw, reference)
    try:
        simplified, timed_out = run_bounded(simplify_deep, raw, timeout=timeout), False
    except SymmlTimeout:
        simplified, timed_out = raw, True
    except Exception as exc:  # SymPy's simplify can fail on odd input; say so, keep raw
        simplified, timed_out = raw, False
        notes.append(f"simplification failed ({type(exc).__name__}: {exc}); shown unsimplified")
    if timed_out:
        notes.append(
            f"simplification stopped after {timeout:g} s; the derivative is shown unsimplified"
        )
    else:
        simplified = proved("simplified", simplified, raw)
    textbook, shown = _textbook(simplified, reference, expr, subject.value, var, timeout, notes)
    if textbook is not simplified:
        textbook = proved("textbook", textbook, simplified, shown)
    notes.extend(_kink_notes(reference, var))
    tree = None
    if steps and order > 1:
        notes.append("step-by-step derivations are built for first derivatives only")
    if steps and order == 1:
        tree = _steps(_rename_bound(subject.expr, var), var, notes)
        ok = proofs.get("textbook", Proof(False, "")).ok
        if tree is not None and ok and restore(textbook) != tree.final:
            from symml.derivation.steps import append_step

            # proved above against sympy.diff, with f(x) expanded through its definition
            rule = f"in terms of {shown}" if shown is not None else "textbook form"
            tree = append_step(tree, rule, restore(textbook), check=False)
    return Derivation(
        input=subject.expr,
        wrt=var,
        order=order,
        raw=restore(raw),
        simplified=restore(simplified),
        textbook=restore(textbook),
        steps=tree,
        notes=tuple(notes),
        # the function the textbook form is written in: the formula's own, or the f(x)
        # that names an unnamed input (so JSON can expand it back to elementary functions)
        function=subject.value if subject.value is not None or not isinstance(
            shown, AppliedUndef) else shown,
        proofs=proofs,
    )


# --- input -----------------------------------------------------------------------------


def subject_of(formula_or_expr: Any) -> Subject:
    """Normalise what :func:`derive` accepts into a :class:`Subject`."""
    obj = formula_or_expr
    label = ""
    if isinstance(obj, str):
        from symml.registry import get

        obj = get(obj)
    if hasattr(obj, "definition") and hasattr(obj, "latex"):  # a registry Formula
        label = f"{obj.name} ({obj.latex})"
        lhs = obj.lhs
        body = obj.definition() if obj.rhs is not None else None
        if body is None:
            raise DerivationError(f"{label} is not an expression or a definition")
        return Subject(_as_expr(body, label), _as_value(lhs, body), label)
    if not isinstance(obj, sp.Basic) and hasattr(obj, "lhs") and hasattr(obj, "rhs"):
        label = label or f"{obj.lhs} = {obj.rhs}"
        return Subject(_as_expr(obj.rhs, label), _as_value(obj.lhs, obj.rhs), label)
    if isinstance(obj, sp.Equality):
        label = str(obj)
        return Subject(_as_expr(obj.rhs, label), _as_value(obj.lhs, obj.rhs), label)
    return Subject(_as_expr(obj, str(obj)), None, str(obj))


def _as_expr(obj: Any, label: str) -> sp.Expr:
    if isinstance(obj, sp.MatrixExpr) or getattr(obj, "is_Matrix", False):
        raise DerivationError(
            f"{label} is a matrix expression; use symml.derivation._matrix for matrix forms"
        )
    if not isinstance(obj, sp.Expr):
        raise DerivationError(
            f"{label} cannot be differentiated: it is a {type(obj).__name__}, not an expression"
        )
    return _indexed_from_matrix_elements(obj)


def _indexed_from_matrix_elements(expr: sp.Expr) -> sp.Expr:
    """``w[i, 0]`` of a column MatrixSymbol -> ``w[i]``, ``X[i, j]`` -> Indexed ``X[i, j]``.

    A norm like ``||Xw - y||^2`` arrives as sums over matrix elements; as indexed sums
    it is differentiated, collapsed and proved like every other cost.
    """
    from sympy.matrices.expressions.matexpr import MatrixElement

    elements = expr.atoms(MatrixElement)
    if not elements:
        return expr
    subs = {}
    for e in elements:
        base = sp.IndexedBase(e.parent.name) if isinstance(e.parent, sp.MatrixSymbol) else None
        if base is None:
            return expr
        subs[e] = base[e.i] if e.parent.shape[1] == 1 else base[e.i, e.j]
    return expr.xreplace(subs)


def _as_value(lhs: Any, rhs: Any) -> sp.Expr | None:
    """The left side as ``f(x)`` if it names a function of the right side's variables."""
    if isinstance(lhs, (AppliedUndef, MLFunction)) or (
        isinstance(lhs, sp.Function) and isinstance(lhs, sp.Expr)
    ):
        return lhs
    return None


def resolve_variable(expr: sp.Expr, wrt: str | sp.Basic, label: str = "") -> sp.Basic:
    """The Symbol or Indexed component named by ``wrt``; DerivationError if it is absent.

    A vector's name gives a component with a fresh index (``"w"`` -> ``w[j]``); ``"w_j"``
    and ``"w[j]"`` name that component explicitly.
    """
    label = label or str(expr)
    bases = {b.label.name: b for b in expr.atoms(sp.IndexedBase) if isinstance(b.label, sp.Symbol)}
    labels = {b.label for b in bases.values()}
    symbols = {s.name: s for s in expr.atoms(sp.Symbol) if s not in labels}
    if isinstance(wrt, sp.Indexed):
        if wrt.base in bases.values():
            return wrt
    elif isinstance(wrt, sp.Symbol):
        if wrt in expr.free_symbols and wrt not in labels:
            return wrt
        wrt = wrt.name
    if isinstance(wrt, str):
        name = wrt.strip()
        if name in symbols and symbols[name] in expr.free_symbols:
            return symbols[name]
        if name in bases:
            ranks = {len(a.indices) for a in expr.atoms(sp.Indexed) if a.base == bases[name]}
            return bases[name][_fresh_indices(expr, max(ranks, default=1))]
        for sep in ("_", "["):
            head, _, idx = name.partition(sep)
            idx = idx.rstrip("]").strip("{}")
            if head in bases and idx.isidentifier():
                return bases[head][sp.Symbol(idx, integer=True)]
    names = sorted(
        {s.name for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in labels}
        | set(bases)
    )
    raise DerivationError(
        f"cannot differentiate {label} with respect to {str(wrt)!r}: it does not occur "
        f"(variables: {', '.join(names) or 'none'})"
    )


def _fresh_indices(expr: sp.Expr, rank: int) -> tuple[sp.Symbol, ...]:
    """``rank`` integer indices not free in ``expr``: (j,), or (j, k) for a matrix."""
    free = {s.name for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    names = [n for n in ("j", "k", "l", "p", "q", "r") if n not in free]
    names += [f"j_{n}" for n in range(1, rank + 1)]
    return tuple(sp.Symbol(n, integer=True) for n in names[:rank])


def _rename_bound(expr: sp.Expr, var: sp.Basic) -> sp.Expr:
    """Rename summation indices that clash with the component's index (``w[j]``)."""
    if not isinstance(var, sp.Indexed):
        return expr
    clash = set(var.indices)
    taken = {s.name for s in expr.atoms(sp.Symbol)} | {str(i) for i in clash}
    renamed: dict[sp.Symbol, sp.Symbol] = {}

    def fresh() -> sp.Symbol:
        for name in ("k", "l", "p", "q", "r", "u", "v"):
            if name not in taken:
                taken.add(name)
                return sp.Symbol(name, integer=True)
        n = 1
        while f"l{n}" in taken:
            n += 1
        taken.add(f"l{n}")
        return sp.Symbol(f"l{n}", integer=True)

    def rename(e: sp.Basic) -> sp.Basic:
        # one new name per clashing index, so equal inner sums stay equal (and cancel)
        for lim in e.limits:
            if lim[0] in clash and lim[0] not in renamed:
                renamed[lim[0]] = fresh()
        return e.xreplace({k: v for k, v in renamed.items() if k in {lim[0] for lim in e.limits}})

    return expr.replace(
        lambda e: isinstance(e, (sp.Sum, sp.Product)) and any(lim[0] in clash for lim in e.limits),
        rename,
    )


# --- differentiation -------------------------------------------------------------------


def _differentiate(expr: sp.Expr, var: sp.Basic, order: int, label: str) -> sp.Expr:
    # Vector entries are real numbers: |w_i|' = sign(w_i), not a re/im mess.
    real = {
        b: sp.IndexedBase(b.label, real=True)
        for b in expr.atoms(sp.IndexedBase)
        if b.is_real is not True and isinstance(b.label, sp.Symbol)
    }
    from sympy.tensor.indexed import IndexException

    try:
        out = sp.diff(expr.xreplace(real), var.xreplace(real), order)
    except (ValueError, TypeError, NotImplementedError, AttributeError, IndexException) as exc:
        raise DerivationError(f"cannot differentiate {label} with respect to {var}: {exc}") from exc
    out = out.xreplace({r: b for b, r in real.items()})
    bad = [d for d in out.atoms(sp.Derivative) if not isinstance(d.expr, AppliedUndef)]
    if bad:
        raise DerivationError(
            f"{label} is not differentiable with respect to {var}: SymPy left {bad[0]}"
        )
    return collapse_deltas(out)


def _opaque_vector_functions(expr: sp.Expr, var: sp.Basic) -> tuple[sp.Expr, Callable]:
    """``MSE(w)`` -> ``F(w_k)`` so that ``d MSE(w) / d w_k`` is not SymPy's 0.

    A function of a whole vector depends on each entry. Until the end of :func:`derive`
    it is a function of the entry itself; ``restore`` maps the results back.
    """
    if not isinstance(var, sp.Indexed):
        return expr, lambda e: e
    opaque = {}
    for n, app in enumerate(sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key)):
        if any(str(a) == str(var.base.label) for a in app.args):
            opaque[app] = sp.Function(f"{app.func.__name__}_of_{var.base}_{n}")(var)
    if not opaque:
        return expr, lambda e: e
    inverse = {f: app for app, f in opaque.items()}

    def restore(e: sp.Expr) -> sp.Expr:
        e = e.replace(
            lambda d: isinstance(d, sp.Derivative) and d.expr in inverse,
            lambda d: sp.Derivative(inverse[d.expr], *d.variable_count, evaluate=False),
        )
        return e.xreplace(inverse)

    return expr.xreplace(opaque), restore


def collapse_deltas(expr: sp.Expr) -> sp.Expr:
    """``Sum(delta(j, k) f(j), (j, a, b))`` -> ``f(k)``, assuming ``k`` lies in ``a..b``.

    Summation indices are assumed to range over the vector's components, as the documents
    mean them. Sums over an Add are split first.

    Examples:
        >>> import sympy
        >>> x, w = sympy.IndexedBase("x"), sympy.IndexedBase("w")
        >>> j, k, n = sympy.symbols("j k n", integer=True)
        >>> collapse_deltas(sympy.diff(sympy.Sum(w[j] * x[j], (j, 1, n)), w[k]))
        x[k]
    """

    def one(e: sp.Sum) -> sp.Expr:
        if len(e.limits) != 1:
            return e
        (j, lo, hi) = e.limits[0]
        terms = sp.Add.make_args(sp.expand(e.function, deep=False, power_base=False, log=False))
        out = []
        changed = False
        for term in terms:
            delta = next(
                (
                    f
                    for f in sp.Mul.make_args(term)
                    if isinstance(f, sp.KroneckerDelta) and j in f.args
                ),
                None,
            )
            if delta is None:
                out.append(sp.Sum(term, (j, lo, hi)))
                continue
            other = delta.args[0] if delta.args[1] == j else delta.args[1]
            if other.has(j):
                out.append(sp.Sum(term, (j, lo, hi)))
                continue
            out.append((term / delta).xreplace({j: other}))
            changed = True
        return sp.Add(*out) if changed else e

    return expr.replace(lambda e: isinstance(e, sp.Sum) and e.has(sp.KroneckerDelta), one)


def simplify_deep(expr: sp.Expr) -> sp.Expr:
    """``simplify`` that also reaches inside sums, whose inner sums it treats as atoms.

    A gradient over samples has the shape ``c * Sum(g(Sum(w_k x_ik) + b, y_i) x_ij)``;
    plain ``simplify`` either leaves the summand alone or drowns in the inner sums. Here
    each summand is simplified with its inner sums replaced by symbols, factors free of
    the summation index move out of the sum, and the outer level is simplified last.

    Examples:
        >>> import sympy
        >>> i, m = sympy.symbols("i m", integer=True)
        >>> y, c = sympy.IndexedBase("y"), sympy.Symbol("c")
        >>> simplify_deep(sympy.Sum(c * (y[i] + y[i]), (i, 1, m)))
        2*c*Sum(y[i], (i, 1, m))
    """
    from symml.derivation._textbook import map_levels

    return map_levels(sp.sympify(expr), _simplify_same_functions)


def _simplify_same_functions(expr: sp.Expr) -> sp.Expr:
    """``simplify``, unless it brings in functions the input does not use.

    ``e^{-x}/(1 + e^{-x})^2`` should not come back as ``1/(4 cosh^2(x/2))``: the reader
    wrote exponentials, so the shorter of the exponential forms is kept.
    """
    out = sp.simplify(expr)
    before = {type(f) for f in expr.atoms(sp.Function)}
    if {type(f) for f in out.atoms(sp.Function)} <= before:
        return out
    candidates = [sp.factor(sp.cancel(expr)), sp.simplify(out.rewrite(sp.exp))]
    kept = [c for c in candidates if {type(f) for f in c.atoms(sp.Function)} <= before]
    return min(kept, key=sp.count_ops) if kept else out


def expand_function(expr: sp.Expr, value: sp.Expr | None, definition: sp.Expr) -> sp.Expr:
    """Replace applications of an undefined function ``f`` (``value = f(x)``) by its body.

    For an indexed family (``softmax(z[i])``) the body is re-indexed per application.
    """
    if not isinstance(value, AppliedUndef):
        return expr
    head = value.func
    params = value.args
    if all(isinstance(p, sp.Symbol) for p in params):
        lam = sp.Lambda(params, definition)
        return expr.replace(
            lambda e: isinstance(e, AppliedUndef) and e.func == head, lambda e: lam(*e.args)
        )
    free_idx = [
        s for p in params for s in p.free_symbols if isinstance(s, sp.Symbol) and s.is_integer
    ]

    def apply(app: sp.Expr) -> sp.Expr:
        for idx in free_idx:
            for cand in {s for a in app.args for s in a.free_symbols if isinstance(s, sp.Symbol)}:
                if value.xreplace({idx: cand}) == app:
                    return definition.xreplace({idx: cand})
        return app

    return expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func == head, apply)


def _textbook(simplified, reference, expr, value, var, timeout, notes) -> tuple[sp.Expr, Any]:
    """The textbook form and the function application it is written in (or None)."""
    from symml.derivation._textbook import recognize, textbook_form

    definition = expr if value is not None else None
    shown = value
    if shown is None:
        # an unnamed expression: if it is a known ML function, speak of that function;
        # otherwise call it f (as in "f(x) = ..."), when it is a function of the variable
        # alone (a loss with parameters y, alpha reads better written out).
        known = recognize(expr)
        if isinstance(known, MLFunction):
            shown, definition = known, expr
        elif isinstance(var, sp.Symbol) and expr.free_symbols == {var} and _worth_eliminating(expr):
            shown, definition = sp.Function("f")(var), expr
    try:
        best = run_bounded(
            textbook_form,
            simplified,
            definition,
            shown,
            var,
            alternatives=(reference,),
            solve_timeout=timeout,
            timeout=2 * timeout,
        )
    except SymmlTimeout:
        notes.append("the textbook-form search ran out of time; shown: the simplified form")
        return simplified, None
    except Exception as exc:  # the search is optional: report it, show the simplified form
        notes.append(
            f"the textbook-form search failed ({type(exc).__name__}: {exc}); "
            "shown: the simplified form"
        )
        return simplified, None
    if _size(best) > _size(simplified) and not best.has(MLFunction):
        return simplified, None
    if isinstance(shown, AppliedUndef) and value is None and best.has(shown.func):
        notes.append(f"f denotes the input: f({var}) = {sp.sstr(expr)}")
    return best, shown


def _worth_eliminating(expr: sp.Expr) -> bool:
    """An unnamed input is written in terms of f(x) only when that can pay: it is built
    from exponentials (sigmoid, tanh, softplus) or is small, and has no huge powers."""
    huge = any(p.exp.is_Number and abs(p.exp) > 64 for p in expr.atoms(sp.Pow))
    return not huge and (expr.has(sp.exp) or sp.count_ops(expr) <= 8)


def _size(expr: sp.Expr) -> int:
    return int(sp.count_ops(expr))


def _kink_notes(reference: sp.Expr, var: sp.Basic) -> list[str]:
    kinks = reference.atoms(sp.sign, sp.Heaviside, sp.DiracDelta)
    if not kinks:
        return []
    names = ", ".join(sorted({type(k).__name__ for k in kinks}))
    return [
        f"not differentiable everywhere ({names}): at a kink the value shown is one "
        "subgradient (the convention of sign(0) = 0, Heaviside(0) = 1/2 unless given)"
    ]


def _steps(expr: sp.Expr, var: sp.Basic, notes: list[str]) -> Any:
    try:
        from symml.derivation.steps import differentiate_steps
    except ImportError:
        notes.append("step-by-step derivations are not available (symml.derivation.steps._rules is missing)")
        return None
    try:
        return differentiate_steps(expr, var)
    except SymmlError as exc:
        notes.append(f"no step-by-step derivation: {exc}")
        return None


# --- proofs ----------------------------------------------------------------------------


def prove_equal(
    a: sp.Expr,
    b: sp.Expr,
    *,
    timeout: float = SIMPLIFY_TIMEOUT,
    seed: int = 0,
    points: int = POINTS,
) -> Proof:
    """Prove ``a == b``: structurally, by ``simplify(a - b) == 0`` within ``timeout``, else
    numerically at ``points`` seeded random points (sizes of sums, indices, symbols,
    indexed entries and undefined functions are all drawn; see :func:`_numeric_difference`).

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> prove_equal(sympy.sin(x)**2, 1 - sympy.cos(x)**2).ok
        True
    """
    diff = to_elementary(a) - to_elementary(b)
    if diff == 0:
        return Proof(True, "structural")
    try:
        if run_bounded(simplify_deep, diff, timeout=timeout) == 0:
            return Proof(True, "symbolic")
    except (SymmlTimeout, ValueError, TypeError, NotImplementedError, AttributeError):
        pass  # not proved symbolically: the numeric check below decides
    return numeric_proof(to_elementary(a), to_elementary(b), seed, points)


def numeric_proof(a: sp.Expr, b: sp.Expr, seed: int, points: int) -> Proof:
    import random

    rng = random.Random(seed)
    checked = 0
    for _ in range(points * 3):
        if checked == points:
            break
        vals = draw(a - b, rng)
        try:
            va, vb = evaluate_numeric(a, vals), evaluate_numeric(b, vals)
        except (TypeError, ValueError, ZeroDivisionError, AttributeError):
            continue
        if va is None or vb is None:
            return Proof(None, "numeric", f"not numeric after substitution at {_show(vals)}")
        if any(v != v or abs(v) == float("inf") for v in (va, vb)):
            continue
        if abs(va - vb) > RTOL * (1 + abs(vb)):
            return Proof(
                False,
                "numeric",
                f"seed {seed}: at {_show(vals)} got {va:.15g}, expected {vb:.15g} (rtol {RTOL:g})",
            )
        checked += 1
    if checked == 0:
        return Proof(None, "numeric", f"no finite point found (seed {seed})")
    return Proof(True, "numeric", f"{checked} points, seed {seed}, rtol {RTOL:g}")


def _show(vals: Mapping) -> str:
    items = sorted(
        ((k, v) for k, v in vals.items() if isinstance(k, sp.Symbol)), key=lambda kv: str(kv[0])
    )[:8]
    return "{" + ", ".join(f"{k}={v}" for k, v in items) + ("...}" if len(vals) > 8 else "}")


def draw(expr: sp.Expr, rng) -> dict:
    """Sizes for summation bounds, indices within them, and values for everything else."""
    bounds: set[sp.Symbol] = set()
    for s in expr.atoms(sp.Sum, sp.Product):
        for lim in s.limits:
            bounds |= {x for x in lim[2].free_symbols if isinstance(x, sp.Symbol)}
    size = rng.randint(2, 4)
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    vals: dict = {b: sp.Integer(size) for b in bounds}
    vals[_ENTRY_SEED] = rng.randrange(2**31)
    vals[_SIZES] = frozenset(bounds)
    for sym in expr.free_symbols:
        if sym in vals or sym in labels or not isinstance(sym, sp.Symbol):
            continue
        if sym.is_integer:
            vals[sym] = sp.Integer(rng.randint(1, size))
        elif sym.is_positive or sym.is_nonnegative:
            vals[sym] = sp.Float(rng.uniform(0.1, 0.95), 30)
        else:
            vals[sym] = sp.Float(rng.uniform(-1.5, 1.5), 30)
    heads = {f.func for f in expr.atoms(AppliedUndef)}
    for head in heads:
        vals[head] = _random_function(head, rng)
    return vals


_ENTRY_SEED = "entry seed"
_SIZES = "sizes"


def expand_sums(expr: sp.Expr) -> sp.Expr:
    """Sums with numeric bounds written out term by term (``Sum.doit`` is far slower)."""

    def write_out(e: sp.Sum) -> sp.Expr:
        body = e.function
        for var, lo, hi in reversed(e.limits):
            if not (lo.is_Integer and hi.is_Integer):
                return e
            body = sp.Add(
                *[body.xreplace({var: sp.Integer(v)}) for v in range(int(lo), int(hi) + 1)]
            )
        return body

    return expr.replace(lambda e: isinstance(e, sp.Sum), write_out)


def _random_function(head, rng) -> Callable[..., sp.Expr]:
    """A smooth function with values in (0, 1), of any number of arguments: densities and
    discriminators alike. The same head and arity always give the same function."""
    seed = rng.randrange(2**31)

    def apply(*args: sp.Expr) -> sp.Expr:
        local = random.Random(seed + len(args))
        c = [sp.Float(local.uniform(-1, 1), 30) for _ in range(2 * len(args) + 1)]
        body = c[0] + sum(c[1 + 2 * n] * a + c[2 + 2 * n] * a**2 / 4 for n, a in enumerate(args))
        return 1 / (1 + sp.exp(-body))

    return apply


def evaluate_numeric(expr: sp.Expr, vals: dict) -> complex | None:
    scalars = {k: v for k, v in vals.items() if isinstance(k, sp.Symbol)}
    funcs = {k: v for k, v in vals.items() if isinstance(k, type)}
    out = expr
    if funcs:
        out = out.replace(
            lambda e: isinstance(e, AppliedUndef) and e.func in funcs,
            lambda e: funcs[e.func](*e.args),
        )
    # sizes first, then sums written out, then the rest: a summation index may share its
    # name with a free index (softmax(z, j) next to a sum over j), and must stay bound
    sizes = {k: v for k, v in scalars.items() if k in vals[_SIZES]}
    out = expand_sums(out.xreplace(sizes)).xreplace(scalars)
    if out.has(sp.Derivative, sp.Subs):
        out = out.doit()
    entries = sorted(out.atoms(sp.Indexed), key=sp.default_sort_key)
    if entries:
        # the same entry gets the same value in both sides of a comparison
        import random
        import zlib

        seed = vals[_ENTRY_SEED]
        out = out.xreplace(
            {
                e: sp.Float(
                    random.Random(seed ^ zlib.crc32(str(e).encode())).uniform(-1.5, 1.5), 30
                )
                for e in entries
            }
        )
    num = sp.N(out, 30)
    if not num.is_number:
        return None
    return complex(num)
