"""
Figure 8: one-parameter cuts
============================

The paper's figure 8 varies one input at a time: (a) T at b = 0.2, :math:`\\lambda_\\perp = 5`;
(b) b at T = 1, :math:`\\lambda_\\perp = 5`; (c) :math:`\\lambda_\\perp` at T = 1, b = 0.2,
with network predictions (red) over simulations (blue). Its panel (a) shows a maximum of
:math:`D_\\perp(T)`: diffusion grows with the parallel speed and falls once the Larmor radius
grows past the turbulence scales. Here: the curve of each shipped pretrained surrogate (red:
the paper's recipe; orange: the ``"improved"`` one, when it ships) and new
simulations along each cut (blue, 4000 particles each, error bars one standard error; a
hollow marker flags a run whose :math:`D_\\perp(t)` had not reached its plateau). The
simulations are not run here: they are read from ``docs/_static/figures/fig8_cuts.json``,
written by ``python scripts/figure_data.py`` (or ``nox -s figures -- --simulate``), which
runs them with :func:`crt.simulate <crtransport.simulate>` in a few minutes.
"""

import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

import crtransport as crt

try:
    HERE = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery runs the examples in their folder, without __file__
    HERE = Path.cwd()
CACHE = HERE.parents[1] / "docs" / "_static" / "figures" / "fig8_cuts.json"
record = json.loads(CACHE.read_text())
print(f"simulations: crtransport {record['crtransport_version']}, commit {record['git_commit']}")

models = {name: crt.Surrogate.pretrained(name) for name in crt.Surrogate.available_pretrained()}
COLORS = {"paper": "tab:red", "improved": "tab:orange"}
LABELS = {"T": r"$T$ [$mc^2$]", "b": r"$b$ [$B_0$]", "lambda_perp": r"$\lambda_\perp$ [$\rho_0$]"}
SYMBOLS = {"T": "T", "b": "b", "lambda_perp": r"\lambda_\perp"}
LOG_AXIS = {"T", "lambda_perp"}  # and D_perp on a log axis along lambda_perp (three decades)


def peak(x, y):
    """Location of the largest value of y; NaN when it lies at an end of the range."""
    i = int(np.argmax(y))
    return float(x[i]) if 0 < i < len(y) - 1 else float("nan")


fig, axes = plt.subplots(1, 3, figsize=(14, 4))
for ax, panel, (name, cut) in zip(axes, "abc", record["cuts"].items()):
    runs = cut["runs"]
    x = np.array([r[name] for r in runs])
    D = np.array([r["D_perp"] for r in runs])
    err = np.array([r["D_perp_err"] for r in runs])
    converged = np.array([r["is_converged_perp"] for r in runs])
    # each surrogate along the cut, over the simulated range within its training domain
    lo, hi = models["paper"].domain[name]
    lo, hi = max(lo, x.min()), min(hi, x.max())
    grid = np.geomspace(lo, hi, 400) if name in LOG_AXIS else np.linspace(lo, hi, 400)
    curves = {m: sur.predict(**{name: grid, **cut["fixed"]}) for m, sur in models.items()}
    for m, curve in curves.items():
        ax.plot(grid, curve, color=COLORS[m])
    ax.errorbar(x, D, yerr=err, fmt="none", ecolor="tab:blue", capsize=3)
    ax.plot(x[converged], D[converged], "o", color="tab:blue")
    ax.plot(x[~converged], D[~converged], "o", mfc="white", color="tab:blue")
    fixed = ", ".join(f"${SYMBOLS[k]} = {v:g}$" for k, v in cut["fixed"].items())
    ax.set_title(f"({panel}) {fixed}")
    ax.set_xlabel(LABELS[name])
    if name in LOG_AXIS:
        ax.set_xscale("log")
    if name == "lambda_perp":
        ax.set_yscale("log")
    if name == "T":
        print(f"largest D_perp(T): simulations at T = {peak(x, D):.3g}")
        for m, curve in curves.items():
            T_sur = peak(grid, curve)
            print(f"                   surrogate {m!r} at T = {T_sur:.3g}")
            ax.axvline(T_sur, color=COLORS[m], ls=":", lw=1)  # nothing drawn if NaN
        print("(nan: the largest value is at an end of the cut, no maximum inside it)")
axes[0].set_ylabel(r"$D_\perp$ [$\rho_0^2\omega_c$]")
axes[0].legend(
    handles=[
        *(Line2D([], [], color=COLORS[m], label=f'surrogate "{m}"') for m in models),
        Line2D([], [], marker="o", ls="", color="tab:blue", label="simulations"),
        Line2D([], [], marker="o", ls="", mfc="white", color="tab:blue", label="not converged"),
    ]
)
fig.tight_layout()

# %%
# Run as a script with ``CRTRANSPORT_FIGURES_DIR`` set (as ``nox -s figures`` does), the
# example saves the figure there.
if folder := os.environ.get("CRTRANSPORT_FIGURES_DIR"):
    fig.savefig(Path(folder) / "fig8_cuts.png", dpi=120)
