"""Abstract claims checked on random instances: the chain rule with random f and g,
E and Var over random discrete distributions, KL with P and Q random distributions.

A claim about arbitrary functions or random variables has nothing to sample as written.
It is checked instead on :data:`INSTANCES` seeded random instances, each an ordinary formula:

* an abstract scalar function ``f(u)`` (declared ``function``) becomes a random positive
  elementary function (``a (2 + sin(b u))``, ``a (1 + (u - c)^2)``, ...), so that
  ``f'(g(x)) g'(x)`` can be
  compared with ``d/dx f(g(x))`` and a quotient never divides by zero;
* a function applied to a summation index (``P(x)`` in ``sum_x P(x) log P(x)/Q(x)``) becomes
  a random probability vector, drawn by the sampler (``simplex``) at every point;
* ``E[.]``, ``Var(.)`` and ``Cov(., .)`` of random variables (undeclared capitals ``X``,
  ``Y``) become sums over a random joint distribution on three values each, and the
  entropies ``H(X)``, ``H(X, Y)``, ``H(X|Y)`` those of its marginals (in nats).

A claim refuted on one instance is refuted (the instance is in the message); one that holds
on every instance is verified numerically, and the message says it was on instances.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from symml.verification._context import Context

#: Random instances per abstract claim.
INSTANCES = 3
#: Values each random variable takes in an instance.
SUPPORT = 3
_MOMENTS = ("Expectation", "Var", "Cov")
#: Functions of a summation index read as distributions without a declaration.
_DISTRIBUTION_NAMES = frozenset({"P", "Q", "p", "q"})


def _positive_function(rng: np.random.Generator) -> sp.Lambda:
    u = sp.Dummy("u", real=True)
    a, b, c = (sp.Rational(int(v), 8) for v in rng.integers([4, 4, -8], [17, 13, 9]))
    pool = [
        a * (2 + sp.sin(b * u)),
        a * (2 + sp.tanh(b * u)),
        a * (1 + (u - c) ** 2),
        a * (2 + sp.atan(b * u)),
        a * sp.sqrt(1 + (b * u) ** 2),
    ]
    return sp.Lambda(u, pool[int(rng.integers(len(pool)))])


def abstract_parts(expr: sp.Basic, kinds: Mapping[str, str]) -> dict[str, set[str]]:
    """The abstract pieces of ``expr``: scalar functions, distributions, random variables."""
    bound = {lim[0] for s in expr.atoms(sp.Sum) for lim in s.limits}
    funcs: set[str] = set()
    dists: set[str] = set()
    rvs: set[str] = set()
    for app in expr.atoms(AppliedUndef):
        name = type(app).__name__
        if name == "H" and _entropy_args(app) is not None:
            rvs |= set(_entropy_args(app))
        elif name in _MOMENTS:
            for a in app.args:
                rvs |= {
                    str(s)
                    for s in a.free_symbols
                    if type(s) is sp.Symbol and str(s) not in kinds and str(s)[:1].isupper()
                }
        elif kinds.get(name) not in ("function", "simplex") and name not in _DISTRIBUTION_NAMES:
            continue  # only what the formula declares abstract (MSE(w), softmax(z_i): no)
        elif len(app.args) == 1 and app.args[0] in bound:
            dists.add(name)
        elif len(app.args) == 1 and not isinstance(app.args[0], (sp.IndexedBase, sp.Indexed)):
            if kinds.get(name) == "function":
                funcs.add(name)
    return {"functions": funcs, "distributions": dists, "variables": rvs}


class InstanceContext(Context):
    """A formula's context with its abstract pieces replaced by one random instance."""

    def __init__(self, base: Context, parts: Mapping[str, set[str]], number: int):
        kinds = {k: v for k, v in base.kinds.items() if v != "function"}
        kinds.update({name: "simplex" for name in parts["distributions"]})
        super().__init__(
            base.formula,
            base.seed + number,
            base.points,
            base.tol,
            name=base.name,
            definition=None,
            kinds=kinds,
        )
        self._base = base
        self._derivations = base._derivations  # the abstract derivation, shared
        rng = np.random.default_rng([base.seed, number, 14])
        self.functions = {name: _positive_function(rng) for name in sorted(parts["functions"])}
        self.distributions = sorted(parts["distributions"])
        rvs = sorted(parts["variables"])
        self.variables = rvs
        self.values = {
            v: [sp.Float(round(float(x), 6)) for x in rng.uniform(-2, 2, SUPPORT)] for v in rvs
        }
        weights = rng.dirichlet(np.ones(SUPPORT ** len(rvs))) if rvs else np.ones(1)
        self.joint = [sp.Float(round(float(w), 12)) for w in weights]
        self.number = number

    @property
    def definition(self) -> sp.Basic:
        if self._definition is None:
            body = self._base.definition
            if self.formula is not None and self.formula.rhs is not None and self._heads():
                body = self._expand(self.formula.rhs)
            self._definition = self.concrete(body)
        return self._definition

    def resolve(self, value: Any) -> Any:
        if self.formula is None or not self._heads():
            return self._base.resolve(value)
        from symml.latex import Equation, Relation

        if isinstance(value, Equation):
            return Equation(self._expand(value.lhs), self._expand(value.rhs), value.op)
        if isinstance(value, Relation):
            return Relation(tuple(self._expand(p) for p in value.parts), value.ops)
        return self._expand(value)

    def _heads(self) -> list[tuple[sp.Basic, sp.Basic]]:
        """(head, body) of the formula and its definitions whose arguments are functions
        (``KL(P||Q) = sum_x P(x) ...``): those are expanded here, argument functions applied."""
        formulas = [self.formula] + [self.formula.lookup(d) for d in self.formula.definitions]
        out, functional = [], False
        for f in formulas:
            head, body = f.lhs, f.rhs
            if not isinstance(head, AppliedUndef) or not isinstance(body, sp.Basic):
                continue
            if not all(isinstance(a, sp.Symbol) for a in head.args):
                continue
            out.append((head, body))
            used = {type(a).__name__ for a in body.atoms(AppliedUndef)}
            functional |= bool({str(a) for a in head.args} & used)
        return out if functional else []

    def _expand(self, value: Any) -> Any:
        """Applications of the function-argument definitions replaced by their bodies, an
        argument ``(P + Q)/2`` applied as ``(P(x) + Q(x))/2``."""
        if not isinstance(value, sp.Basic):
            return value
        for _ in range(4):
            before = value
            for head, body in self._heads():
                value = value.replace(
                    lambda e, h=head: (
                        isinstance(e, AppliedUndef)
                        and type(e).__name__ == type(h).__name__
                        and len(e.args) == len(h.args)
                    ),
                    lambda e, h=head, b=body: _apply(h, b, e.args),
                )
            if value == before:
                break
        return value

    def describe(self) -> str:
        """The instance, for a message: ``f(u) = ..., X in {...}``."""
        out = [
            f"{n}(u) = {sp.sstr(lam.expr.xreplace({lam.variables[0]: sp.Symbol('u')}))}"
            for n, lam in self.functions.items()
        ]
        out += [f"{n} a random distribution" for n in self.distributions]
        out += [
            f"{v} on {{{', '.join(f'{x:.3g}' for x in self.values[v])}}}" for v in self.variables
        ]
        if self.variables:
            out.append("a random joint distribution")
        return ", ".join(out)

    def concrete(self, expr: Any) -> Any:
        """``expr`` with this instance's functions, distributions and moments put in."""
        if not isinstance(expr, sp.Basic):
            return expr
        for name in self.distributions:
            base = sp.IndexedBase(name)
            expr = expr.replace(
                lambda e, n=name: (
                    isinstance(e, AppliedUndef) and type(e).__name__ == n and len(e.args) == 1
                ),
                lambda e, b=base: b[e.args[0]],
            )
        expr = self._put_functions(expr)
        if self.variables:
            expr = expr.replace(
                lambda e: isinstance(e, AppliedUndef) and type(e).__name__ in _MOMENTS,
                self._moment,
            )
            expr = expr.replace(
                lambda e: (
                    isinstance(e, AppliedUndef)
                    and type(e).__name__ == "H"
                    and _entropy_args(e) is not None
                ),
                self._entropy,
            )
        return expr

    def _entropy(self, e: sp.Basic) -> sp.Basic:
        """H(X, Y) of the joint distribution's marginal; H(X|Y) = H(X, Y) - H(Y)."""
        given = [a for a in e.args if type(a).__name__ == "Given"]
        if given:
            (g,) = given
            head = [str(a) for a in e.args if a is not g] + [str(g.args[0])]
            cond = [str(v) for v in g.args[1:]]
            return self._joint_entropy(head + cond) - self._joint_entropy(cond)
        return self._joint_entropy([str(a) for a in e.args])

    def _joint_entropy(self, names: list[str]) -> sp.Basic:
        axes = sorted({self.variables.index(n) for n in names})
        weights = np.array([float(w) for w in self.joint]).reshape((SUPPORT,) * len(self.variables))
        other = tuple(k for k in range(len(self.variables)) if k not in axes)
        marginal = weights.sum(axis=other) if other else weights
        p = marginal[marginal > 0]
        return sp.Float(float(-(p * np.log(p)).sum()), 15)

    def _put_functions(self, expr: sp.Basic) -> sp.Basic:
        # f before g in d f(g(x)) / d g(x): a function that is a derivative's variable waits
        for _ in range(len(self.functions) + 1):
            present = sorted(
                {type(a).__name__ for a in expr.atoms(AppliedUndef)} & set(self.functions)
            )
            if not present:
                break
            waiting = {
                type(v).__name__
                for d in expr.atoms(sp.Derivative)
                for v in d.variables
                if isinstance(v, AppliedUndef)
            }
            name = next((n for n in present if n not in waiting), present[0])
            lam = self.functions[name]
            expr = expr.replace(
                lambda e, n=name: (
                    isinstance(e, AppliedUndef) and type(e).__name__ == n and len(e.args) == 1
                ),
                lambda e, f=lam: f(e.args[0]),
            )
            expr = expr.replace(lambda e: isinstance(e, (sp.Derivative, sp.Subs)), _doit)
        return expr

    def _expect(self, value: sp.Basic) -> sp.Basic:
        total = sp.S.Zero
        cells = itertools.product(range(SUPPORT), repeat=len(self.variables))
        for weight, cell in zip(self.joint, cells, strict=False):
            at = {}
            for v, k in zip(self.variables, cell, strict=True):
                at[sp.Symbol(v)] = at[sp.Symbol(v, real=True)] = self.values[v][k]
            total += weight * value.xreplace(at)
        return total

    def _moment(self, e: sp.Basic) -> sp.Basic:
        name = type(e).__name__
        if name == "Expectation" and len(e.args) == 1:
            return self._expect(e.args[0])
        if name == "Var" and len(e.args) == 1:
            z = e.args[0]
            return self._expect((z - self._expect(z)) ** 2)
        if name == "Cov" and len(e.args) == 2:
            a, b = e.args
            return self._expect((a - self._expect(a)) * (b - self._expect(b)))
        return e


def _apply(head: sp.Basic, body: sp.Basic, args: tuple) -> sp.Basic:
    """``body`` with each parameter of ``head`` replaced by the argument: a function
    parameter ``Q`` applied at ``t`` becomes the argument with every name ``n`` read ``n(t)``."""
    out = body
    for param, arg in zip(head.args, args, strict=True):
        name = str(param)
        out = out.replace(
            lambda e, n=name: isinstance(e, AppliedUndef) and type(e).__name__ == n,
            lambda e, a=arg: a.xreplace(
                {s: sp.Function(str(s))(*e.args) for s in a.free_symbols if type(s) is sp.Symbol}
            ),
        )
    return out


def _entropy_args(app: sp.Basic) -> list[str] | None:
    """The random variables of ``H(X)``, ``H(X, Y)`` or ``H(X|Y)``; None for another H."""
    names = []
    for a in app.args:
        parts = a.args if type(a).__name__ == "Given" else (a,)
        for p in parts:
            if type(p) is not sp.Symbol or not str(p)[:1].isupper():
                return None
            names.append(str(p))
    return names


def _doit(e: sp.Basic) -> sp.Basic:
    try:
        return e.doit()
    except ValueError:  # d/d(expression): wait until the function inside is put in
        return e


def instance_contexts(ctx: Context, exprs: list[Any]) -> list[InstanceContext]:
    """Random instances of the abstract pieces in ``exprs``; none when there are none."""
    parts: dict[str, set[str]] = {"functions": set(), "distributions": set(), "variables": set()}
    for e in exprs:
        if isinstance(e, sp.Basic):
            for key, found in abstract_parts(e, ctx.kinds).items():
                parts[key] |= found
    if not any(parts.values()):
        return []
    return [InstanceContext(ctx, parts, k) for k in range(INSTANCES)]
