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
   (:func:`~symml.derivation._simplify.prove_equal`: symbolically within a bound, else
   numerically at seeded points, :mod:`symml.equality`);
   a form that fails is replaced by the reference, with a note. Nothing wrong is returned.

Examples:
    >>> import sympy
    >>> from symml.derivation._derive import derive
    >>> x = sympy.Symbol("x", real=True)
    >>> sigma = sympy.Function("sigma")(x)
    >>> from symml.latex import Equation
    >>> d = derive(Equation(sigma, 1 / (1 + sympy.exp(-x))), "x", steps=False)
    >>> d.textbook
    (1 - sigma(x))*sigma(x)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from symml import serialize
from symml.derivation._gradient import (
    gradient_of_component,
    gradient_of_matrix,
    gradient_over_samples,
    holds_whole,
    symbolic_agreement,
    whole_variable,
)
from symml.derivation._simplify import collapse_deltas, expand_function, prove_equal, simplify_deep
from symml.derivation._soundness import check_by_differences, refuse_if_wrong
from symml.derivation._subject import (
    opaque_vector_functions,
    rename_bound,
    resolve_variable,
    subject_of,
)
from symml.derivation._textbook import arrange, recognize, textbook_form
from symml.derivation._vector import matrix_latex
from symml.derivation.steps import append_step, differentiate_steps, to_list
from symml.equality import Proof
from symml.errors import DerivationError, SymmlError, SymmlTimeout
from symml.functions import MLFunction, to_elementary
from symml.workers import SIMPLIFY_TIMEOUT, run_bounded

__all__ = ["Derivation", "derive", "expr_json"]


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
        gradient: for ``wrt`` a vector or matrix of the formula, the whole gradient as a
            matrix expression shaped like it (``2 X^T (X w - y)``), else None.
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
    gradient: Any = None

    def to_json(self, printer: Callable[[sp.Basic], str] | None = None) -> dict[str, Any]:
        """The ``derive --json`` object: input, wrt, derivative, textbook, steps, order, raw, notes.

        Args:
            printer: writes the "sympy" strings (default: :func:`symml.serialize.sympy_text`).
        """
        if isinstance(self.textbook, sp.MatrixExpr):  # a matrix formula's matrix gradient
            g = expr_json(self.textbook, printer)
            return {
                "input": expr_json(self.input, printer),
                "wrt": str(self.wrt),
                "order": self.order,
                "derivative": g,
                "textbook": {**g, "sympy_named": str(self.textbook)},
                "gradient": g,
                "raw": g,
                "steps": [],
                "notes": list(self.notes),
            }
        out = {
            "input": expr_json(self.input, printer),
            "wrt": str(self.wrt),
            "order": self.order,
            "derivative": expr_json(self.simplified, printer),
            # "sympy" in elementary functions (the contract), the function's own name kept in
            # "latex" and in "sympy_named": sigma(x)*(1 - sigma(x))
            "textbook": {
                **expr_json(self.textbook, printer),
                "sympy": expr_json(
                    expand_function(self.textbook, self.function, self.input), printer
                )["sympy"],
                "sympy_named": str(self.textbook),
            },
            "raw": expr_json(self.raw, printer),
            "steps": _steps_json(self.steps),
            "notes": list(self.notes),
        }
        if self.gradient is not None:
            out["gradient"] = expr_json(self.gradient, printer)
        return out


def expr_json(expr: sp.Basic, printer: Callable[[sp.Basic], str] | None = None) -> dict[str, str]:
    """:func:`symml.serialize.expr_json`, with the LaTeX in the order textbooks print.

    Plain factors come before parenthesised ones (``\\sigma(x)(1 - \\sigma(x))``).
    ``printer`` writes the "sympy" string (default: :func:`symml.serialize.sympy_text`).
    """
    if isinstance(expr, sp.MatrixExpr):
        return serialize.expr_json(expr, latex=matrix_latex(expr))
    latex = sp.latex(arrange(expr), order="none")
    if printer is None:
        return serialize.expr_json(expr, latex=latex)
    return {"sympy": printer(expr), "latex": latex}


def _steps_json(steps: Any) -> list[dict[str, str]]:
    if steps is None:
        return []
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
    symmetric: Iterable[str] = (),
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
        symmetric: matrices declared symmetric (``-s A=symmetric``): the matrix form of
            the gradient uses A^T = A (``2 A w`` for ``w^T A w``), with a note; the
            component forms stay true for any matrix.

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
    whole = whole_variable(subject.matrices, wrt)
    if whole is not None and holds_whole(subject.expr, whole):
        if order != 1:
            raise DerivationError(f"matrix derivatives of order {order} are not supported")
        G, proof = gradient_of_matrix(subject.expr, whole, seed)
        return Derivation(
            subject.expr,
            whole,
            1,
            G,
            G,
            G,
            None,
            (f"checked: {proof.detail}",),
            None,
            {"finite differences": proof},
            G,
        )
    var = resolve_variable(subject.expr, wrt, subject.label)
    refuse_whole_use(subject.expr, var, subject.label)
    refuse_opaque_norm(subject.expr, var, subject.label)
    expr, restore = opaque_vector_functions(rename_bound(subject.expr, var), var)
    notes: list[str] = []
    raw = _differentiate(expr, var, order, subject.label)
    reference = _differentiate(rename_bound(to_elementary(expr), var), var, order, subject.label)
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
    gradient = None
    if order == 1:
        for name, form in (("derivative", simplified), ("textbook", textbook)):
            if name == "textbook" and form is simplified:
                continue
            check = check_by_differences(
                subject.expr, expand_function(restore(form), shown, expr), var, seed=seed
            )
            refuse_if_wrong(check, f"the {name} {restore(form)} of {subject.label}")
            if check.ok:
                proofs[f"finite differences ({name})"] = check
        notes.append(_checked_note(check))
        if whole is not None and isinstance(var, sp.Indexed):
            try:
                gradient, gcheck = gradient_of_component(
                    subject.expr, restore(simplified), var, whole, subject.matrices, seed
                )
                proofs["finite differences (gradient)"] = gcheck
                _symbolic_note(gradient, restore(simplified), var, None, proofs, notes)
            except DerivationError as exc:
                if "finite-difference check" in str(exc):
                    raise
                notes.append(f"no matrix form: {exc}")
        elif _names_vector(wrt, var):
            try:
                plain = textbook if not textbook.has(AppliedUndef) else simplified
                gradient, gcheck = gradient_over_samples(subject.expr, restore(plain), var, seed)
                proofs["finite differences (gradient)"] = gcheck
                names = {M.name: M.name.lower() for M in gradient.atoms(sp.MatrixSymbol)}
                _symbolic_note(gradient, restore(plain), var, names, proofs, notes)
                stacked = [M for M in gradient.atoms(sp.MatrixSymbol) if M.shape[1] != 1]
                rows = f"the rows of {stacked[0]} are the samples; " if stacked else ""
                notes.append(f"the sum and the matrix form are the same ({rows}{gcheck.detail})")
            except DerivationError as exc:
                if "finite-difference check" in str(exc):
                    raise
                notes.append(f"no matrix form: {exc}")
    else:
        notes.append("derivatives of order > 1 are checked against sympy.diff only")
    gradient = _use_symmetry(gradient, set(symmetric), notes)
    tree = None
    if steps and order > 1:
        notes.append("step-by-step derivations are built for first derivatives only")
    if steps and order == 1:
        tree = _steps(rename_bound(subject.expr, var), var, notes)
        ok = "textbook" in proofs and proofs["textbook"].ok
        if tree is not None and ok and restore(textbook) != tree.final:
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
        function=subject.value
        if subject.value is not None or not isinstance(shown, AppliedUndef)
        else shown,
        proofs=proofs,
        gradient=gradient,
    )


def _use_symmetry(gradient: Any, symmetric: set[str], notes: list[str]) -> Any:
    """The matrix form with A^T = A for the matrices declared symmetric: (A + A^T) w -> 2 A w."""
    if not symmetric or not isinstance(gradient, sp.MatrixExpr):
        return gradient
    mats = [M for M in gradient.atoms(sp.MatrixSymbol) if M.name in symmetric and M.is_square]
    subs = {M.T: M for M in mats}
    if not subs or not gradient.has(*subs):
        return gradient
    general = gradient
    gradient = gradient.xreplace(subs).doit()
    names = ", ".join(sorted(M.name for M in mats))
    notes.append(
        f"{names} symmetric (declared): {matrix_latex(gradient)} in matrix form, "
        f"{matrix_latex(general)} for any matrix"
    )
    return gradient


def _symbolic_note(gradient, component, var, aliases, proofs, notes) -> None:
    proof = symbolic_agreement(gradient, component, var, aliases)
    if proof is not None:
        proofs["symbolic (gradient)"] = proof
        notes.append(f"the matrix form is also proved symbolically: {proof.detail}")


def _names_vector(wrt: Any, var: sp.Basic) -> bool:
    """``--wrt w`` (the whole vector) rather than ``--wrt w_j`` (one component)."""
    return (
        isinstance(var, sp.Indexed)
        and len(var.indices) == 1
        and isinstance(wrt, str)
        and wrt.strip() == str(var.base.label)
    )


def _checked_note(proof: Proof) -> str:
    if proof.ok is None:
        return proof.detail
    return f"checked: {proof.detail}"


def refuse_opaque_norm(expr: sp.Expr, var: sp.Basic, label: str) -> None:
    """``Norm(x - y)`` of scalars has no derivative symml can trust: refuse, naming it."""
    for app in expr.atoms(AppliedUndef):
        if type(app).__name__ == "Norm" and app.has(var):
            raise DerivationError(
                f"cannot differentiate {label} with respect to {var}: the norm "
                f"{sp.sstr(app)} is of a scalar expression (declare the vectors with "
                "-s NAME=vector, or write |...| for an absolute value)"
            )


def refuse_whole_use(expr: sp.Expr, var: sp.Basic, label: str) -> None:
    """Refuse when the vector of ``w_j`` also occurs whole, where entries cannot be seen.

    ``Norm(X*w - y) + lambda Sum w_j^2`` would otherwise differentiate the penalty alone.
    """
    if not isinstance(var, sp.Indexed):
        return
    name = str(var.base.label)
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    for atom in expr.atoms(sp.Symbol, sp.MatrixSymbol) - labels:
        if getattr(atom, "name", None) == name and not isinstance(atom, sp.Dummy):
            holders = [a for a in expr.atoms(sp.Function, sp.MatrixExpr) if atom in a.free_symbols]
            where = f" inside {holders[0]}" if holders else ""
            raise DerivationError(
                f"cannot differentiate {label} with respect to {var}: {name} also occurs as a "
                f"whole{where}, whose dependence on {var} symml cannot read entry by entry"
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


def _textbook(simplified, reference, expr, value, var, timeout, notes) -> tuple[sp.Expr, Any]:
    """The textbook form and the function application it is written in (or None)."""
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
    if best == shown:  # f' = f says less than the formula itself: d/dx e^x = e^x
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
        return differentiate_steps(expr, var)
    except SymmlError as exc:
        notes.append(f"no step-by-step derivation: {exc}")
        return None
