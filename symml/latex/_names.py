"""Tables the LaTeX grammar consults: names, functions, operators, relations.

Kept apart from the grammar so that the meaning symml gives to notation can be read (and
reviewed) in one place.
"""

from __future__ import annotations

GREEK = frozenset(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu
    nu xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
    Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega ell""".split()
)
# Variants read as the plain letter: an ML reader means the same quantity.
GREEK_ALIASES = {
    "varepsilon": "epsilon",
    "vartheta": "theta",
    "varphi": "phi",
    "varrho": "rho",
    "varsigma": "sigma",
    "varpi": "pi",
}

# Indices without an enclosing sum: w_{ij}, \hat{y}_i, z_i. Other letters (k, c, t, s)
# are indices only where a \sum or \prod binds them: d_k is the key dimension, p_t a symbol.
INDEX_LETTERS = frozenset({"i", "j"})

# Accents become suffixes; the ones in VECTOR_ACCENTS also mark the symbol as a vector
# (or a matrix when the letter is a capital).
ACCENTS = {
    r"\hat": "hat",
    r"\bar": "bar",
    r"\tilde": "tilde",
    r"\dot": "dot",
    r"\ddot": "ddot",
    r"\widehat": "hat",
    r"\widetilde": "tilde",
    r"\overline": "bar",
    r"\check": "check",
    r"\breve": "breve",
}
VECTOR_ACCENTS = frozenset(
    {r"\vec", r"\mathbf", r"\boldsymbol", r"\bm", r"\pmb", r"\mathbfit", r"\overrightarrow"}
)
FONT_COMMANDS = frozenset(
    {r"\mathit", r"\mathsf", r"\mathtt", r"\mathnormal", r"\mathscr", r"\mathfrak"}
)

# A name followed by "(" is a function application (else a product): f(x), P(x|z), \sigma(z).
FUNCTION_LIKE = frozenset(
    """f g h p q P Q D G J L E H I V F N k K R S T U W Z C M
    sigma phi psi ell Phi Psi pi Pi Gamma""".split()
)

# Letters of FUNCTION_LIKE that, indexed, are still functions (p_{ij}(x), f_k(x), L_i(W)); the
# other capitals (W_i, N_k, C_i, I_n, ...) indexed are more often a matrix or a count.
INDEXED_FUNCTIONS = FUNCTION_LIKE - frozenset("I N W C M K S T U Z V R".split())
# Greek names that are functions before "(" in ML notes: \sigma^2(x) is sigma(x)^2, as \sin^2(x)
POWERED_FUNCTIONS = frozenset("sigma phi psi Phi Psi Gamma".split())
# Letters that name a function in notes: f^2(x), g^{-1}(y), F^{-1}(u) (the quantile) are refused
# rather than read as f**2*x or u/F; other letters (a^2(x+1), H^{-1}(g), W^{-1}(x - b)) are a
# power times a group.
FUNCTION_LETTERS = frozenset("f g h p q F G".split())
# Multi-letter names written without \text, read as one name: KL(P||Q), Var(X), FL(p_t).
MULTI_LETTER_NAMES = frozenset(
    """KL JS FL MMD MSE MAE BCE CE ReLU LeakyReLU Var Cov ELBO SVD PCA Attention softmax
    LayerNorm sign sgn Tr tr diag rank LSE erf erfc GELU SiLU ELU SELU""".split()
)

# Commands that apply a function to the next argument (parenthesised or not).
FUNCTION_COMMANDS = {
    r"\log": "log",
    r"\ln": "ln",
    r"\exp": "exp",
    r"\erf": "erf",
    r"\erfc": "erfc",
    r"\sin": "sin",
    r"\cos": "cos",
    r"\tan": "tan",
    r"\cot": "cot",
    r"\sec": "sec",
    r"\csc": "csc",
    r"\arcsin": "asin",
    r"\arccos": "acos",
    r"\arctan": "atan",
    r"\sinh": "sinh",
    r"\cosh": "cosh",
    r"\tanh": "tanh",
    r"\coth": "coth",
    r"\det": "det",
    r"\lg": "lg",
    r"\Pr": "Pr",
    r"\sgn": "sign",
    r"\tr": "trace",
    r"\gcd": "gcd",
    r"\lcm": "lcm",
    r"\trace": "trace",
    r"\adjugate": "adjugate",
    r"\arccot": "acot",
    r"\arcsec": "asec",
    r"\arccsc": "acsc",
    r"\sech": "sech",
    r"\csch": "csch",
    r"\arsinh": "asinh",
    r"\arcsinh": "asinh",
    r"\arccosh": "acosh",
    r"\arctanh": "atanh",
    r"\arcosh": "acosh",
    r"\artanh": "atanh",
}
# SymPy functions a function command may name beyond the table in _calls
EXTRA_FUNCTIONS = ("acot", "asec", "acsc", "sech", "csch", "asinh", "acosh", "atanh", "acoth")
# f^{-1} of a trigonometric or hyperbolic function is its inverse function
INVERSES = {
    "sin": "asin",
    "cos": "acos",
    "tan": "atan",
    "cot": "acot",
    "sec": "asec",
    "csc": "acsc",
    "sinh": "asinh",
    "cosh": "acosh",
    "tanh": "atanh",
    "coth": "acoth",
    "sech": "asech",
    "csch": "acsch",
}
# commands that end the argument of a function command written without parentheses
ARGUMENT_ENDS = frozenset({r"\sum", r"\prod", r"\int", r"\iint", r"\oint", r"\arg"})

# Operators that take a subscript (what they range over) and a body.
NAMED_OPERATORS = {
    r"\max": "MaxOver",
    r"\min": "MinOver",
    r"\sup": "Sup",
    r"\inf": "Inf",
    r"\lim": "Limit",
    r"\argmax": "ArgMax",
    r"\argmin": "ArgMin",
    r"\limsup": "LimSup",
    r"\liminf": "LimInf",
}

# Relation commands; the value is the SymPy Function name used when no relational fits.
RELATIONS = {
    r"\geq": "Ge",
    r"\ge": "Ge",
    r"\geqslant": "Ge",
    r"\leq": "Le",
    r"\le": "Le",
    r"\leqslant": "Le",
    r"\neq": "Ne",
    r"\ne": "Ne",
    r"\approx": "Approx",
    r"\sim": "Distributed",
    r"\in": "ElementOf",
    r"\notin": "NotElementOf",
    r"\propto": "ProportionalTo",
    r"\equiv": "Equivalent",
    r"\to": "Tends",
    r"\rightarrow": "Tends",
    r"\mapsto": "MapsTo",
    r"\leftarrow": "Assign",  # an update rule (theta <- theta - alpha g), never an equation
    r"\gets": "Assign",
    r"\coloneqq": "Define",
    r"\subset": "Subset",
    r"\subseteq": "Subset",
    r"\ll": "MuchLess",
    r"\gg": "MuchGreater",
    r"\simeq": "Approx",
    r"\cong": "Approx",
    r"\implies": "Implies",
    r"\iff": "Iff",
    r"\Rightarrow": "Implies",
}

# Words inside \text{...} that are prose in a formula (cases conditions, "where").
TEXT_WORDS = frozenset(
    {
        "if",
        "otherwise",
        "else",
        "for",
        "where",
        "and",
        "when",
        "s.t.",
        "subject to",
        "with",
        "or",
        "for all",
        "if ",
        "otherwise ",
    }
)

# Named functions written with \text / \operatorname / \mathrm that map to SymPy directly.
SYMPY_NAMED = {
    "sign": "sign",
    "sgn": "sign",
    "exp": "exp",
    "log": "log",
    "ln": "log",
    "tanh": "tanh",
    "max": "Max",
    "min": "Min",
    "abs": "Abs",
    "sqrt": "sqrt",
    "det": "det",
    "tr": "trace",
    "Tr": "trace",
    "trace": "trace",
    "floor": "floor",
    "ceil": "ceiling",
    "ceiling": "ceiling",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "arsinh": "asinh",
    "arcosh": "acosh",
    "artanh": "atanh",
    "asinh": "asinh",
    "acosh": "acosh",
    "atanh": "atanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "sech": "sech",
    "csch": "csch",
    "erf": "erf",
    "erfc": "erfc",
    "mod": "Mod",
    "binom": "binomial",
    "gcd": "gcd",
    "lcm": "lcm",
}
