"""What one document run knows: the definitions made so far, and the registry's.

:class:`Context` collects a document's definitions and looks function names up (the
document first, then the registry); :func:`match_registry` tells which registry entry a
definition is (the same up to renaming, equivalent, or different, with the evidence).
"""

from __future__ import annotations

import re
from typing import Any

from symml.documents._compare import SEED, canonical, compare, free_names, short


class Context:
    """What one document run has learnt so far: its definitions, and the registry."""

    def __init__(self, timeout: float | None):
        self.timeout = timeout
        self.defs: dict[str, tuple[tuple, object]] = {}  # name -> (parameters, body)
        self.sources: dict[str, str] = {}  # name -> the LaTeX of its body, as written
        self.values: dict[str, object] = {}  # x -> 4: values the text gives its symbols
        self.simplex: set[str] = set()  # p: vectors the text calls distributions
        self.current = ""  # the LaTeX of the formula being checked
        self._registry: list | None = None
        self._shapes: list | None = None

    def registry(self) -> list:
        """Registry definitions as (name, title, head, parameters, body) tuples."""
        if self._registry is None:
            self._registry = _registry_definitions()
        return self._registry

    def shapes(self) -> list:
        """Registry bodies as preorder node lists, for matching up to renaming."""
        import sympy as sp

        if self._shapes is None:
            self._shapes = [
                (e[0], list(sp.preorder_traversal(e[4])))
                for e in self.registry()
                if isinstance(e[4], sp.Basic)
            ]
        return self._shapes

    def lookup(self, head: str) -> tuple[tuple, object] | None:
        """A function defined earlier in the document, else in the registry.

        Densities (``p``, ``q_phi``, ``P``) are never expanded: in probability notation
        ``p(x)`` and ``p(z)`` are different densities that share a letter.
        """
        if _DENSITY.match(head):
            return None
        if head in self.defs:
            return self.defs[head]
        if _GENERIC.match(head):
            return None  # P, f, L: every document means its own; the registry has many
        for _name, _title, reg_head, params, body in self.registry():
            if reg_head == head:
                return params, body
        return None


def definition_head(value: Any) -> tuple[str, tuple] | None:
    """(name, parameters) when ``value`` is the left side of a definition: ``f(x)``, ``L``."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    if isinstance(value, sp.Symbol):
        return value.name, ()
    if isinstance(value, sp.Pow) and isinstance(value.base, sp.Symbol) and value.exp.is_Integer:
        return f"{value.base.name}^{value.exp}", ()  # sigma^2 = ..., MMD^2 = ...
    if isinstance(value, sp.Indexed):
        return str(value.base), ()
    if isinstance(value, AppliedUndef):
        if all(isinstance(a, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)) for a in value.args):
            return value.func.__name__, tuple(value.args)
        return sp.sstr(value), ()  # q(x_t | x_{t-1}) = ...: defines that expression
    if (
        isinstance(value, sp.Function)
        and not isinstance(value, AppliedUndef)
        and all(isinstance(a, sp.Symbol) for a in value.args)
    ):
        return type(value).__name__, tuple(value.args)  # relu(x) = ..., a known ML function
    return None


def compare_bounded(a: Any, b: Any, ctx: Context) -> tuple[bool | None, str]:
    from symml.workers import run_bounded

    return run_bounded(compare, a, b, SEED, frozenset(ctx.simplex), timeout=ctx.timeout)


_DENSITY = re.compile(r"^[pPqQ](_\w+)?$")

# Names too common to identify a registry entry by name alone (L, J, f, ...).
_GENERIC = re.compile(r"^([A-Za-z]|[A-Za-z]_\w+)$")


def _registry_definitions() -> list:
    from symml.errors import SymmlError
    from symml.registry import formulas

    try:
        entries = formulas()
    except SymmlError:
        return []
    out = []
    for f in entries:
        try:
            lhs = f.lhs
            head = definition_head(lhs) if lhs is not None else None
            if head is None or hasattr(f.expr, "parts"):
                continue
            out.append((f.name, f.title, head[0], head[1], f.definition()))
        except SymmlError:
            continue  # an entry that does not load is the registry's test to report
    return out


def match_registry(
    name: str, params: tuple, body: Any, ctx: Context, title: str | None = None
) -> tuple[str | None, str, str | None, bool]:
    """(registry name, note, correction, refuted): the registry entry this definition is.

    ``refuted`` is set only when the definition names a well-known quantity (the KL
    divergence, the entropy: :data:`MEANINGS`) and differs, with a counterexample, from
    every registry form of it that could be compared; ``correction`` is then that
    entry's LaTeX.
    """
    import sympy as sp

    entries = ctx.registry()
    if not isinstance(body, sp.Basic):
        return None, "", None, False
    canon = canonical(body)
    for rname, _title, _head, rparams, rbody in entries:
        if len(rparams) != len(params) or not isinstance(rbody, sp.Basic):
            continue
        if not _kinds_fit(params, rparams):
            continue  # a scalar x onto the registry's vector x: a MatMul of scalars
        try:
            renamed = canon.xreplace(_renaming(params, rparams, canon, rbody))
        except (TypeError, ValueError):
            continue  # its symbols do not fit here (Max of a non-real): not this entry
        if renamed == canonical(rbody):
            return rname, f"same as registry: {rname}", None, False
    nodes = list(sp.preorder_traversal(body))
    for rname, rnodes in ctx.shapes():
        mapping = _parallel_renaming(nodes, rnodes)
        if mapping is not None:
            renames = ", ".join(f"{a} -> {b}" for a, b in mapping.items() if str(a) != str(b))
            how = f" (renaming {renames})" if renames else ""
            return rname, f"same as registry: {rname}{how}", None, False
    meaning = _meaning(name, params, body)
    if meaning is not None:
        return _compare_meaning(meaning, params, body, ctx)
    for rname, rtitle, rhead, rparams, rbody in entries:
        same_name = not _GENERIC.match(name) and (rhead == name or rname == name.lower())
        same_title = bool(title) and title.lower() in {
            rname.replace("_", " "),
            rname,
            (rtitle or "").lower(),
        }
        if not (same_name or same_title):
            continue
        if len(rparams) != len(params):
            # \rho(s) beside the registry's lasso_rho = ...: a name in common, no more
            note = (
                f"registry {rname} has this name with {len(rparams)} argument(s), here "
                f"{len(params)}; not compared"
            )
            return None, note, None, False
        if not _kinds_fit(params, rparams):
            reason = "its arguments are matrices where these are scalars (or the reverse)"
            return None, f"registry {rname} has this name; not compared: {reason}", None, False
        renamed = body.xreplace(_renaming(params, rparams, body, rbody))
        verdict, detail = compare_bounded(renamed, rbody, ctx)
        if verdict is True:
            return rname, f"same as registry: {rname} (equivalent {detail})", None, False
        if verdict is False:
            note = (
                f"differs from registry: {rname}: here {short(renamed)}, registry "
                f"{short(rbody)}; {detail}"
            )
            if name in KNOWN_BY_NAME and _no_new_names(renamed, rbody) and _attempt(name, renamed):
                from symml.registry import get

                correction = get(rname).latex
                return rname, f"{note}; the registry has {correction}", correction, True
            return rname, note, None, False
        return None, f"registry {rname} has this name; not compared: {detail}", None, False
    return None, "not in the registry", None, False


#: Well-known quantities by meaning: the names a document may give them, the number of
#: arguments, and the registry entries that define them (in any of their units).
MEANINGS = {
    "the KL divergence": (
        {"KL", "D_KL", "DKL", "KLD", "D_kl", "kl", "D"},
        2,
        ("kl_divergence", "kl_divergence_bits"),
    ),
    "the entropy": ({"H", "Entropy", "entropy"}, 1, ("entropy_nats", "entropy")),
    "the cross-entropy": (
        {"H", "CE", "H_x", "crossentropy"},
        2,
        ("cross_entropy_distributions", "cross_entropy_bits"),
    ),
}


#: Names that mean one quantity whatever the document: a definition under this name that
#: differs from the registry's, with no parameter of its own (a temperature T), is refuted.
KNOWN_BY_NAME = {"softmax", "sigmoid"}


def _attempt(name: str, body: Any) -> bool:
    """Is ``body`` a try at the function ``name``? sigma names a generic activation too
    (sigma(x) = max(0, x)): only an exponential alone, 1/(1 + e^{z}), is a wrong sigmoid."""
    import sympy as sp

    if name != "sigmoid":
        return True
    functions = {type(f) for f in body.atoms(sp.Function)}
    return body.has(sp.exp) and functions <= {sp.exp}


def known_correction(side: Any, ctx: Context) -> str | None:
    """The registry's LaTeX when ``side`` is a quantity known by name (``softmax(z)_i``)."""
    from sympy.core.function import AppliedUndef

    if type(side).__name__ == "Component" and side.args:
        side = side.args[0]
    name = type(side).__name__ if not isinstance(side, AppliedUndef) else side.func.__name__
    if name not in KNOWN_BY_NAME:
        return None
    for rname, _title, head, _params, _body in ctx.registry():
        if head == name:
            from symml.registry import get

            return get(rname).latex
    return None


def _no_new_names(body: Any, rbody: Any) -> bool:
    """Does ``body`` use no name the registry's form lacks (sum lengths aside)?"""
    import sympy as sp

    lengths = set()
    for node in body.atoms(sp.Sum, sp.Product) | rbody.atoms(sp.Sum, sp.Product):
        for limit in node.limits:
            for bound in limit[1:]:
                lengths |= {str(b) for b in bound.free_symbols}
    return free_names(body) - lengths <= free_names(rbody)


def _meaning(name: str, params: tuple, body: Any) -> str | None:
    import sympy as sp

    for meaning, (names, arity, _entries) in MEANINGS.items():
        if name in names and len(params) == arity and body.has(sp.log) and body.has(sp.Sum):
            return meaning
    return None


def _compare_meaning(meaning: str, params: tuple, body: Any, ctx: Context):
    """A document's form of a well-known quantity against every registry form of it."""
    _names, _arity, wanted = MEANINGS[meaning]
    by_name = {e[0]: e for e in ctx.registry()}
    mine = as_vectors(body, params)
    refutations = []
    for rname in wanted:
        if rname not in by_name:
            continue
        _rname, _title, _head, rparams, rbody = by_name[rname]
        # by position: KL(q||p) = sum q log q/p is the registry's KL(P||Q) with q for P
        theirs = as_vectors(rbody, rparams)
        verdict, detail = compare_bounded(_by_position(mine, params, rparams, theirs), theirs, ctx)
        if verdict is True:
            return rname, f"{meaning}, same as registry: {rname} ({detail})", None, False
        if verdict is False:
            refutations.append((rname, detail))
    if not refutations:
        return None, f"{meaning}; not compared with the registry", None, False
    rname, detail = refutations[0]
    from symml.registry import get

    correction = get(rname).latex
    others = ", ".join(r for r, _ in refutations[1:])
    also = f" (and from {others})" if others else ""
    note = (
        f"{meaning} differs from registry: {rname}{also}: {detail}; the registry has {correction}"
    )
    return rname, note, correction, True


def _by_position(expr: Any, params: tuple, rparams: tuple, theirs: Any) -> Any:
    """``expr`` (from :func:`as_vectors`) with its parameters' vectors renamed, all at once,
    to the registry's parameters in the same places, where those are vectors of the
    registry's body ``theirs`` (KL(P||Q): p and q; not H(X), whose body sums P(x_i))."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    def name(p: Any) -> str:
        if isinstance(p, sp.Indexed):
            return str(p.base.label).lower()
        return str(p.func.__name__ if isinstance(p, AppliedUndef) else p).lower()

    if len(params) != len(rparams) or not isinstance(expr, sp.Basic):
        return expr
    vectors = {str(b.label) for b in getattr(theirs, "atoms", lambda *_: ())(sp.IndexedBase)}
    renames = {name(a): name(b) for a, b in zip(params, rparams, strict=True)}
    if all(a == b for a, b in renames.items()) or not set(renames.values()) <= vectors:
        return expr
    bases = {b for b in expr.atoms(sp.IndexedBase) if str(b.label) in renames}
    return expr.xreplace({b: sp.IndexedBase(renames[str(b.label)]) for b in bases})


def as_vectors(expr: Any, params: tuple = ()) -> Any:
    """A distribution as a vector, whatever its spelling: ``P(x_i)``, ``P(x)``, ``p_i`` -> ``p[i]``.

    Names are lower-cased (``P`` and ``p`` are one distribution) and every sum runs from 1
    to the same ``n``, so that two spellings of one quantity compare equal.
    """
    import sympy as sp
    from sympy.core.function import AppliedUndef

    def vector(app):
        if len(app.args) != 1:
            return app
        arg = app.args[0]
        index = arg.indices[-1] if isinstance(arg, sp.Indexed) else arg
        return sp.IndexedBase(app.func.__name__.lower())[index]

    def lower(ix):
        return sp.IndexedBase(str(ix.base.label).lower())[ix.indices]

    n = sp.Symbol("n_terms", integer=True, positive=True)

    def bounds(s):
        limits = [(v, 1, n) if len(lim) == 3 else lim for lim in s.limits for v in lim[:1]]
        return type(s)(s.function, *limits)

    try:
        out = expr.replace(lambda e: isinstance(e, AppliedUndef), vector)
        out = out.replace(lambda e: isinstance(e, sp.Indexed), lower)
        out = out.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), bounds)
    except (TypeError, ValueError, AttributeError):
        return expr
    return canonical(out)


def _parallel_renaming(nodes: list, rnodes: list) -> dict | None:
    """The renaming of symbols that turns one expression tree into the other, if any."""
    import sympy as sp

    if len(nodes) != len(rnodes):
        return None
    mapping: dict = {}
    for x, y in zip(nodes, rnodes, strict=True):
        if isinstance(x, sp.Symbol) and isinstance(y, sp.Symbol):
            if mapping.setdefault(x, y) != y:
                return None
        elif x.func != y.func or len(x.args) != len(y.args) or (x.is_Atom and x != y):
            return None
    if len(set(mapping.values())) != len(mapping):
        return None
    return mapping


def _kinds_fit(params: tuple, rparams: tuple) -> bool:
    """Is each parameter a matrix (a vector) exactly where the registry entry's is?"""
    from sympy.matrices.expressions import MatrixExpr

    return all(
        isinstance(mine, MatrixExpr) == isinstance(theirs, MatrixExpr)
        for mine, theirs in zip(params, rparams, strict=True)
    )


def _renaming(params: tuple, rparams: tuple, body=None, rbody=None) -> dict:
    """Map a definition's parameters onto a registry entry's (``x`` onto ``z[i]``: bases).

    Other symbols map by name: the registry declares domains (``beta_t`` positive) that
    make its symbols different objects from the document's.
    """
    import sympy as sp

    mapping = {}
    if body is not None and rbody is not None:
        theirs_by_name = {str(t): t for t in rbody.free_symbols if isinstance(t, sp.Symbol)}
        for mine in body.free_symbols:
            if isinstance(mine, sp.Symbol) and str(mine) in theirs_by_name:
                mapping[mine] = theirs_by_name[str(mine)]
    for mine, theirs in zip(params, rparams, strict=True):
        if isinstance(theirs, sp.Indexed) and not isinstance(mine, sp.Indexed):
            mapping[sp.IndexedBase(mine)] = theirs.base
            mapping[mine] = theirs.base.label
        elif isinstance(theirs, sp.Indexed) and isinstance(mine, sp.Indexed):
            mapping[mine.base] = theirs.base
            mapping[mine.base.label] = theirs.base.label
        else:
            mapping[mine] = theirs
    return mapping
