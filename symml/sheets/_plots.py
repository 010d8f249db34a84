"""Figures for the cheat-sheet: each activation function next to its derivative.

The curves are lambdified from SymPy expressions that symml built (the registry's
definitions and their symbolic derivatives), never typed in by hand, so a plot shows
what the sheet states. matplotlib is an optional extra (``pip install symml[plots]``);
it is imported only when a figure is drawn, on the non-interactive Agg canvas (pyplot and
the global backend are left alone).

Examples:
    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> c = Curve("tanh", "tanh", sympy.tanh(x), x)
    >>> round(float(c.derivative.subs(x, 0)), 3)
    1.0
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Curve", "PLOTS_HINT", "available", "draw"]

#: What the sheet says when matplotlib is missing.
PLOTS_HINT = "pip install symml[plots]"

#: Horizontal range of every plot; wide enough to show the saturation of sigmoid and tanh.
X_RANGE = (-5.0, 5.0)
N_POINTS = 801


@dataclass(frozen=True)
class Curve:
    """One activation: ``expr`` in the single variable ``var``, and its derivative.

    Attributes:
        name: file stem of the figure (a registry name).
        label: how the legend names the function (matplotlib text, ``$...$`` for math).
        expr: SymPy expression in ``var`` only.
        var: the SymPy symbol on the horizontal axis.
        derivative: ``d expr / d var``; computed with SymPy when not given.
        derivative_label: how the legend names the derivative (``$\\sigma'(x)$``).
    """

    name: str
    label: str
    expr: Any
    var: Any
    derivative: Any = field(default=None)
    derivative_label: str = "derivative"

    def __post_init__(self) -> None:
        if self.derivative is None:
            import sympy

            object.__setattr__(self, "derivative", sympy.diff(self.expr, self.var))


def available() -> bool:
    """Whether matplotlib can be imported (without importing it)."""
    return importlib.util.find_spec("matplotlib") is not None


def lambdified(expr: Any, var: Any) -> Callable[[Any], Any]:
    """A vectorised NumPy function of ``var`` (symml's stable printer when it exists)."""
    import numpy as np

    try:
        from symml.numeric import lambdify_ml
    except ImportError:  # numeric.py not there yet: plain SymPy lambdify on elementary form
        import sympy

        from symml.functions import to_elementary

        fn = sympy.lambdify([var], to_elementary(expr), modules="numpy")
    else:
        fn = lambdify_ml(expr, [var])

    def vectorised(xs: Any) -> Any:
        ys = fn(xs)
        return np.broadcast_to(np.asarray(ys, dtype=float), np.shape(xs))

    return vectorised


def draw(curves: Iterable[Curve], out_dir: Path, *, ext: str = "pdf") -> dict[str, Path]:
    """Draw one small figure per curve into ``out_dir``; return name -> file.

    Raises:
        ImportError: matplotlib is not installed (check :func:`available` first).
    """
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out_dir.mkdir(parents=True, exist_ok=True)
    xs = np.linspace(*X_RANGE, N_POINTS)
    written: dict[str, Path] = {}
    style = {
        "font.size": 7,
        "axes.linewidth": 0.5,
        "xtick.major.width": 0.5,
        "ytick.major.width": 0.5,
        "pdf.fonttype": 42,
        "svg.fonttype": "none",
    }
    with matplotlib.rc_context(style):
        for curve in curves:
            f = lambdified(curve.expr, curve.var)(xs)
            df = lambdified(curve.derivative, curve.var)(xs)
            # a Figure on an Agg canvas, not pyplot: the caller's backend and state are untouched
            fig = Figure(figsize=(2.6, 1.2), layout="constrained")
            FigureCanvasAgg(fig)
            ax = fig.subplots()
            ax.axhline(0, color="0.75", lw=0.5)
            ax.axvline(0, color="0.75", lw=0.5)
            ax.plot(xs, f, color="#1f4e9c", lw=1.2, label=curve.label)
            ax.plot(xs, df, color="#c0392b", lw=1.0, ls="--", label=curve.derivative_label)
            ax.set_xlim(*X_RANGE)
            ax.set_xlabel(f"${_mathtext(curve.var)}$", loc="right", labelpad=0)
            ax.grid(True, lw=0.3, color="0.88")
            ax.legend(loc="best", frameon=False, handlelength=1.6, fontsize=6)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            path = out_dir / f"{curve.name}.{ext}"
            # metadata without a date keeps the PDF bytes reproducible
            meta = {"CreationDate": None} if ext == "pdf" else {}
            partial = path.with_name(f".{path.name}.partial.{ext}")
            fig.savefig(partial, dpi=200, metadata=meta)
            os.replace(partial, path)  # never a half-written figure under the real name
            written[curve.name] = path
    return written


def _mathtext(var: Any) -> str:
    """A SymPy symbol as matplotlib mathtext (``z_1`` -> ``z_{1}``)."""
    import sympy

    return sympy.latex(var)
