"""Grammar pieces with structure: calls, powers, fractions and derivatives, sums, integrals,
named operators, expectations and environments. Methods of the parser (see texatoms)."""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from symml.latex._atoms import ml_function, Restart, Vec
from symml.latex._limits import (
    MAX_FACTORIAL,
    MAX_INVERT_SIZE,
    MAX_MATRIX_ENTRIES,
    MAX_MATRIX_POWER,
    MAX_POSTFIX,
    factorial_too_big,
    power_too_big,
)
from symml.latex._names import FUNCTION_COMMANDS, GREEK, SYMPY_NAMED

MAX_EXPONENT_DIGITS = 6  # x^{10^{7}}: SymPy must not expand it
# Activations applied to a vector or matrix act element-wise (sigma(Xw), g'(z)); other
# functions of a vector (J(theta), f(x), P(x)) are functions of the whole vector.
ELEMENTWISE = frozenset({"sigma", "g", "phi", "h", "tanh", "exp", "log", "act"})


def parse_postfix(self, base):
    for _ in range(MAX_POSTFIX + 1):
        if self.at("^"):
            base = _power(self, base)
        elif self.at("!"):
            self.next()
            base = self.scalar(base)
            if factorial_too_big(base):
                self.fail(
                    f"{base}! is too large to compute with exactly "
                    f"(factorials up to {MAX_FACTORIAL}!)"
                )
            base = sp.factorial(base, evaluate=False)
        elif self.at("'") and isinstance(base, sp.Symbol):
            self.next()
            base = self.symbol(f"{base.name}_prime")
        elif self.at("_") and not isinstance(base, sp.Symbol):
            base = _component(self, base)
        else:
            return base
    self.fail(f"more than {MAX_POSTFIX} powers, factorials or primes in a row")


def _power(self, base):
    tok = self.next()  # ^
    t = self.peek()
    # transpose and inverse keep their meaning; they are never dropped
    special = None
    if (
        t.kind == "letter"
        and t.value == "T"
        or t.kind == "cmd"
        and t.value in (r"\top", r"\intercal")
    ):
        special, skip = "T", 1
    elif self.at("{") and (self.peek(1).value in ("T", r"\top", r"\intercal")) and self.at("}", 2):
        special, skip = "T", 3
    elif self.at("{") and self.at("-", 1) and self.peek(2).value == "1" and self.at("}", 3):
        special, skip = "I", 4
    if special == "T":
        for _ in range(skip):
            self.next()
        return _transpose(self, base, tok)
    if special == "I" and isinstance(base, (MatrixExpr, sp.MatrixBase)):
        for _ in range(skip):
            self.next()
        if isinstance(base, MatrixExpr):
            return base.I
        if max(base.shape) > MAX_INVERT_SIZE:
            return sp.Inverse(base)  # SymPy's symbolic inverse grows factorially
        return base.inv()
    exponent = self.scalar(self.parse_arg())
    if isinstance(base, Vec):
        base = self.scalar(base)
    if isinstance(base, sp.MatrixBase):
        if not (exponent.is_Integer and 0 <= exponent <= MAX_MATRIX_POWER):
            self.fail(f"an explicit matrix to a power other than 0..{MAX_MATRIX_POWER}", tok)
        return base**exponent
    if isinstance(base, MatrixExpr):
        if base.shape == (1, 1):
            return base[0, 0] ** exponent
        return sp.MatPow(base, exponent)
    if power_too_big(base, exponent):
        self.fail("a power too large to compute with exactly", tok)
    if exponent.is_Integer and abs(exponent) > 10**MAX_EXPONENT_DIGITS:
        return sp.Pow(base, exponent, evaluate=False)
    if base.is_Number and exponent.is_Number and (abs(exponent) > 4096):
        return sp.Pow(base, exponent, evaluate=False)
    if (
        isinstance(base, sp.Pow)
        and base.exp.is_Number
        and not base.exp.is_Integer
        and exponent.is_Number
    ):
        return sp.Pow(base, exponent, evaluate=False)
    return sp.Pow(base, exponent)


def _component(self, base):
    """(A + B)_{ij}, (c v)_i, (A^T)_{ij}: an element of a vector or matrix expression."""
    tok = self.next()  # _
    kind, value = self.parse_subscript()
    if kind != "index":
        if kind == "name" and value.isdigit():  # \|x\|_1 after a norm is handled there
            value = (sp.Integer(value),)
        else:
            self.fail("a subscript on an expression must be an index (i, j or a bound one)", tok)
    if isinstance(base, Vec):
        return sp.Indexed(sp.IndexedBase(base.name), *base.index, *value)
    if isinstance(base, MatrixExpr):
        if len(value) == 1 and base.shape[1] == 1:
            value = (value[0], 0)
        if len(value) != 2:
            self.fail("a matrix element needs two indices", tok)
        return base[value[0], value[1]]
    return sp.Function("Component")(self.scalar(base), *value)


def _transpose(self, base, tok):
    if isinstance(base, (MatrixExpr, sp.MatrixBase)):
        return base.T
    if isinstance(base, Vec):
        return Vec(base.name, base.index, not base.transposed)
    free = [s for s in getattr(base, "free_symbols", ()) if isinstance(s, sp.Symbol)]
    names = {s.name for s in free} - set(self.bound)
    if names and not (names & self.vectors):
        # a transposed scalar expression: its symbols are vectors (x - y)^T
        raise Restart(vectors=names)
    self.fail("a transpose of something that is not a vector or a matrix", tok)


def parse_call_args(self):
    """(a, b), (x | theta), (P || Q), (x; mu, Sigma) -> list of values."""
    right = False
    if self.at(r"\left"):
        self.next()
        right = True
    self.expect("(")
    self.closers.append("arg")
    args = []
    try:
        while True:
            if self.at(")") or (right and self.at(r"\right")):
                self.fail("an empty argument")
            value = self.parse_relation()
            if self.at("|") or self.at(r"\mid"):
                self.next()
                given = self.parse_relation()
                extra = []
                while self.at(","):
                    self.next()
                    extra.append(self.scalar(self.parse_relation()))
                value = sp.Function("Given")(_arg(self, value), _arg(self, given), *extra)
            args.append(value)
            if self.at(",") or self.at(";") or self.at("||") or self.at(r"\|"):
                self.next()
                continue
            break
    finally:
        self.closers.pop()
    if right:
        self.expect(r"\right")
        self.expect(")")
    else:
        self.expect(")")
    return args


def _arg(self, v):
    if isinstance(v, Vec):
        return self.scalar(v) if not v.transposed else self.fail("a transposed vector as argument")
    if hasattr(v, "lhs") and hasattr(v, "rhs") and not isinstance(v, sp.Basic):
        return sp.Function("Rel")(_arg(self, v.lhs), _arg(self, v.rhs))
    if hasattr(v, "as_sympy"):
        return v.as_sympy()
    return v


def apply_function(self, name, args, primes=0):
    args = [_arg(self, a) for a in args]
    if primes:
        return _derivative_call(self, name, args, primes)
    lname = name.lower()
    if name in SYMPY_NAMED or lname in ("sign", "sgn"):
        target = SYMPY_NAMED.get(name, "sign")
        fn = {
            "sign": sp.sign,
            "exp": sp.exp,
            "log": sp.log,
            "tanh": sp.tanh,
            "Max": sp.Max,
            "Min": sp.Min,
            "Abs": sp.Abs,
            "sqrt": sp.sqrt,
            "det": sp.det,
            "trace": sp.trace,
        }[target]
        value = fn(*args)
    elif lname == "softmax" and len(args) == 1 and isinstance(args[0], MatrixExpr):
        from symml.functions import row_softmax

        value = row_softmax(args[0])
    elif (ml := ml_function(name)) is not None and lname not in ("softmax", "logsumexp"):
        try:
            value = ml(*args)
        except (TypeError, ValueError):
            value = sp.Function(name)(*args)
    elif (
        len(args) == 1
        and isinstance(args[0], MatrixExpr)
        and args[0].shape != (1, 1)
        and (name in ELEMENTWISE or ml_function(name) is not None)
    ):
        # \sigma(Xw): a scalar function of a matrix applies element-wise
        u = sp.Dummy("u")
        ml = ml_function(name)
        f = ml if ml is not None else sp.Function(name)
        from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

        value = ElementwiseApplyFunction(sp.Lambda(u, f(u)), args[0])
    else:
        value = sp.Function(name)(
            *[
                self.scalar(a) if isinstance(a, MatrixExpr) and a.shape == (1, 1) else a
                for a in args
            ]
        )
    return value


def _derivative_call(self, name, args, primes):
    """f'(x), \\sigma'(z), ReLU'(0), g'(\\mathbf{z}): the derivative of the named function."""
    first, rest = args[0], args[1:]
    u = sp.Dummy("u", real=True)
    inner = apply_function(self, name, [u, *rest])
    if not inner.has(u):
        self.fail(f"a prime on {name}, which does not depend on its argument")
    d = sp.Derivative(inner, (u, primes))
    if isinstance(first, MatrixExpr) and first.shape != (1, 1):
        from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

        return ElementwiseApplyFunction(sp.Lambda(u, d), first)
    if isinstance(first, sp.Symbol) and not rest:
        return sp.Derivative(apply_function(self, name, [first]), (first, primes))
    return sp.Subs(d, u, self.scalar(first))


def parse_function_command(self):
    tok = self.next()
    name = FUNCTION_COMMANDS[tok.value]
    base = None
    power = None
    primes = 0
    for _ in range(3):
        if self.at("_") and name in ("log", "lg"):
            self.next()
            base = self.scalar(self.parse_arg())
        elif self.at("^") and not self.at(r"\prime", 1):
            self.next()
            power = self.scalar(self.parse_arg())
        elif self.at("'"):
            self.next()
            primes += 1
        else:
            break
    if self.at("(") or (self.at(r"\left") and self.at("(", 1)):
        args = [self.scalar(_arg(self, a)) for a in self.parse_call_args()]
    elif self.at("{"):
        # SymPy prints log(u)**2 as \log{\left(u \right)}^{2}: braces hold the argument and a
        # power after them applies to the value (unlike \log x^2, which is log(x^2))
        self.next()
        args = [self.scalar(self.parse_group_body("}"))]
    else:
        args = [self.scalar(parse_postfix_factor(self))]
    fn = {
        "log": sp.log,
        "ln": sp.log,
        "exp": sp.exp,
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "cot": sp.cot,
        "sec": sp.sec,
        "csc": sp.csc,
        "asin": sp.asin,
        "acos": sp.acos,
        "atan": sp.atan,
        "sinh": sp.sinh,
        "cosh": sp.cosh,
        "tanh": sp.tanh,
        "coth": sp.coth,
        "lg": lambda x: sp.log(x, 10),
        "sign": sp.sign,
    }.get(name)
    if name == "det":
        value = sp.Determinant(args[0]) if isinstance(args[0], MatrixExpr) else sp.det(args[0])
    elif name == "trace":
        value = sp.Trace(args[0])
    elif name == "Pr":
        value = sp.Function("P")(*args)
    elif name == "log" and base is not None:
        value = sp.log(args[0], base)  # log(x)/log(b): \log_2 keeps its base
    else:
        value = fn(*args)
    if primes:
        x = sp.Dummy("u")
        d = sp.diff(fn(x), x)
        value = d.subs(x, args[0])
    if power is not None:
        if power == -1 and name in ("sin", "cos", "tan"):
            return {"sin": sp.asin, "cos": sp.acos, "tan": sp.atan}[name](args[0])
        value = value**power
    return value


def parse_postfix_factor(self):
    """The argument of an unparenthesised function: \\log x^2, \\log P(x|z), \\log \\frac{a}{b}."""
    return self.parse_postfix(self.parse_atom())


def parse_frac(self):
    tok = self.next()
    # derivative notation: \frac{d}{dx}, \frac{dy}{dx}, \frac{\partial L}{\partial w}
    deriv = _derivative_frac(self)
    if deriv is not None:
        return deriv
    num = self.parse_arg()
    den = self.parse_arg()
    if isinstance(num, Vec):
        num = self.scalar(num)
    if isinstance(den, MatrixExpr) and den.shape != (1, 1):
        self.fail("a fraction with a matrix denominator", tok)
    return self.div(num, den)


def _derivative_frac(self):
    start = self.pos
    if not self.at("{"):
        return None
    k = 1
    first = self.peek(k)
    is_d = first.kind == "letter" and first.value == "d"
    is_partial = first.kind == "cmd" and first.value == r"\partial"
    if first.kind == "text" and first.value in (r"\mathrm{d}", r"\text{d}"):
        is_d = True
    if not (is_d or is_partial):
        return None
    self.next()  # {
    self.next()  # d / \partial
    order = 1
    if self.at("^"):
        self.next()
        order = int(self.next().value)
    body = None
    if not self.at("}"):
        body = self.scalar(self.parse_relation())
    self.expect("}")
    self.expect("{")
    wrts = []
    while not self.at("}"):
        t = self.next()
        if not (
            (t.kind == "letter" and t.value == "d")
            or (t.kind == "cmd" and t.value == r"\partial")
            or t.kind == "text"
        ):
            self.pos = start
            return None
        var = self.scalar(self.parse_postfix(self.parse_atom()))
        if isinstance(var, sp.Pow) and var.exp.is_Integer:
            wrts.append((var.base, int(var.exp)))
        else:
            wrts.append((var, 1))
    self.next()
    if body is None:  # \frac{d}{dx} f(x): the operand follows
        if self.peek().kind == "end" or self.at("=") or self.at(")"):
            self.fail("\\frac{d}{dx} without an expression to differentiate")
        body = self.scalar(self.parse_postfix(self.parse_atom()))
    wrt_args = []
    for var, n in wrts:
        if not isinstance(var, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)):
            wrt_args.append((sp.Symbol(str(var)), n))
        else:
            wrt_args.append((var, n))
    return sp.Derivative(body, *wrt_args)


def parse_big_operator(self, cmd):
    tok = self.next()
    var = lo = hi = None
    for _ in range(2):
        if self.at("_"):
            self.next()
            var, lo = _bound_spec(self)
        elif self.at("^"):
            self.next()
            hi = self.scalar(self.parse_arg())
    if var is None:
        free = [c for c in ("i", "j", "k") if _mentions(self, c)]
        if not free:
            self.fail(f"{cmd} without an index", tok)
        var = free[0]
    sym = sp.Symbol(var, integer=True)
    if lo is None:
        lo = sp.Integer(1)
    if hi is None:
        hi = (
            sp.Symbol(f"N_{var}", integer=True, positive=True)
            if var not in "ijk"
            else sp.Symbol("n", integer=True, positive=True)
        )
    saved = self.bound.get(var)
    self.bound[var] = sym
    try:
        body = self.scalar(self.parse_term())
    finally:
        if saved is None:
            self.bound.pop(var, None)
        else:
            self.bound[var] = saved
    op = sp.Sum if cmd == r"\sum" else sp.Product
    return op(body, (sym, lo, hi))


def _mentions(self, letter):
    depth = 0
    for t in self.toks[self.pos :]:
        if t.kind == "op" and t.value in ("(", "{", "["):
            depth += 1
        if t.kind == "op" and t.value in (")", "}", "]"):
            depth -= 1
            if depth < 0:
                return False
        if t.kind == "letter" and t.value == letter:
            return True
    return False


def _bound_spec(self):
    """_{i=1}, _i, _{x}: the variable name and the lower bound (or None)."""
    if self.at("{"):
        self.next()
        t = self.next()
        name = t.value.lstrip("\\")
        if t.kind not in ("letter", "cmd") or (t.kind == "cmd" and name not in GREEK):
            self.fail("expected an index variable", t)
        lo = None
        if self.at("="):
            self.next()
            lo = self.scalar(self.parse_additive())
        elif self.at(r"\in"):
            self.next()
            self.parse_additive()
        if not self.at("}"):
            self.fail("expected } after the index", self.peek())
        self.next()
        return name, lo
    t = self.next()
    if t.kind != "letter":
        self.fail("expected an index variable", t)
    return t.value, None


def parse_integral(self):
    tok = self.next()
    lo = hi = None
    for _ in range(2):
        if self.at("_"):
            self.next()
            lo = self.scalar(self.parse_arg())
        elif self.at("^"):
            self.next()
            hi = self.scalar(self.parse_arg())
    self.integral_depth += 1
    try:
        if self.at(r"\frac") and self.at("{", 1) and self.peek(2).value == "d":
            self.next()
            self.expect("{")
            self.next()
            var = self.scalar(self.parse_postfix(self.parse_atom()))
            self.expect("}")
            den = self.scalar(self.parse_arg())
            body = 1 / den
        else:
            body = self.scalar(self.parse_additive())
            if not (self.peek().kind == "letter" and self.peek().value == "d") and not (
                self.peek().kind == "text" and self.peek().value.endswith("{d}")
            ):
                self.fail("an integral without its differential (dx)", tok)
            self.next()
            var = self.scalar(self.parse_postfix(self.parse_atom()))
    finally:
        self.integral_depth -= 1
    if not isinstance(var, sp.Symbol):
        return sp.Function("StieltjesIntegral")(body, var)
    if lo is None and hi is None:
        return sp.Integral(body, var)
    return sp.Integral(body, (var, lo, hi))


def parse_named_operator(self, name):
    var = None
    domain = None
    if self.at("_"):
        self.next()
        spec = self.parse_arg()
        if hasattr(spec, "parts"):  # \gamma \in \Pi(P,Q), h \to 0
            var, domain = spec.parts[0], spec.parts[-1]
        else:
            var = spec
        var = self.scalar(var) if isinstance(var, Vec) else var
    if name == "Limit":
        body = self.scalar(self.parse_term())
        return sp.Limit(body, var, domain, dir="+-") if domain is not None else sp.Function(name)(body, var)
    body = self.scalar(self.parse_term())
    args = [body] + ([var] if var is not None else []) + ([domain] if domain is not None else [])
    return sp.Function(name)(*args)


def parse_expectation(self):
    spec = None
    if self.at("_"):
        self.next()
        spec = self.parse_arg()
        if hasattr(spec, "parts"):
            spec = sp.Function("Distributed")(*[self.scalar(p) for p in spec.parts])
        elif isinstance(spec, Vec):
            spec = self.scalar(spec)
    right = False
    if self.at(r"\left"):
        self.next()
        right = True
    self.expect("[")
    self.closers.append("]")
    try:
        body = self.scalar(self.parse_additive())
    finally:
        self.closers.pop()
    if right:
        self.expect(r"\right")
    self.expect("]")
    args = [body] + ([spec] if spec is not None else [])
    return sp.Function("Expectation")(*args)


def env_name(self, peek_only=False):
    k = 1
    if not self.at("{", k):
        self.fail("\\begin without {name}")
    name = ""
    k += 1
    while not self.at("}", k):
        t = self.peek(k)
        if t.kind == "end":
            self.fail("unbalanced braces after \\begin")
        name += t.value
        k += 1
    if not peek_only:
        self.pos += k + 1
    return name


def end_env(self, name):
    self.expect(r"\end")
    self.expect("{")
    got = ""
    while not self.at("}"):
        t = self.next()
        if t.kind == "end":
            self.fail(f"\\begin{{{name}}} is not closed")
        got += t.value
    self.next()
    if got != name:
        self.fail(f"\\begin{{{name}}} closed by \\end{{{got}}}")


def parse_environment(self):
    tok = self.peek()
    name = self.env_name()
    if name == "cases":
        value = _cases(self)
    elif name in ("matrix", "pmatrix", "bmatrix", "vmatrix", "Vmatrix", "Bmatrix"):
        rows = _rows(self)
        if len(rows) * len(rows[0]) > MAX_MATRIX_ENTRIES:
            self.fail(f"a matrix with more than {MAX_MATRIX_ENTRIES} entries", tok)
        m = sp.ImmutableMatrix(rows)
        if name == "vmatrix":  # beyond 4x4 the expanded determinant is too long to be useful
            value = m.det() if m.rows <= MAX_INVERT_SIZE else sp.Determinant(m)
        else:
            value = m
    else:
        self.fail(f"environment {name} is not supported inside a formula", tok)
    self.end_env(name)
    return value


def _rows(self):
    rows, row = [], []
    while not self.at(r"\end"):
        if self.at("&"):
            self.next()
            continue
        if self.at(r"\\"):
            self.next()
            rows.append(row)
            row = []
            continue
        row.append(self.scalar(self.parse_additive()))
    if row:
        rows.append(row)
    if not rows or len({len(r) for r in rows}) != 1:
        self.fail("a matrix with rows of different lengths")
    return rows


def _cases(self):
    pieces = []
    while not self.at(r"\end"):
        value = self.scalar(self.parse_additive())
        cond = sp.true
        if self.at("&"):
            self.next()
            cond = _condition(self)
        pieces.append((value, cond))
        if self.at(r"\\"):
            self.next()
        elif self.at(","):
            self.next()
    if not pieces:
        self.fail("empty cases")
    if pieces[-1][1] is not sp.true and len(pieces) > 1:
        pass
    return sp.Piecewise(*pieces)


def _condition(self):
    words = []
    while self.peek().kind == "text":
        t = self.next()
        words.append(t.value.partition("{")[2][:-1].strip())
    if any(w in ("otherwise", "else") for w in words) or (self.at(r"\\") or self.at(r"\end")):
        return sp.true
    rel = self.parse_relation()
    if hasattr(rel, "as_sympy"):
        return rel.as_sympy()
    if hasattr(rel, "lhs") and not isinstance(rel, sp.Basic):
        return sp.Eq(rel.lhs, rel.rhs)
    self.fail("a cases condition that is not a relation")
