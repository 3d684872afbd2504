"""
Figure 8: one-parameter cuts
============================

The paper's figure 8 varies one input at a time: (a) T at b = 0.2, :math:`\\lambda_\\perp = 5`;
(b) b at T = 1, :math:`\\lambda_\\perp = 5`; (c) :math:`\\lambda_\\perp` at T = 1, b = 0.2,
with network predictions (red) over simulations (blue). Its panel (a) shows a maximum of
:math:`D_\\perp(T)`: diffusion grows with the parallel speed and falls once the Larmor radius
grows past the turbulence scales. Here: the pretrained surrogate's curve (red) and new
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

sur = crt.Surrogate.pretrained("paper")
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
    # the surrogate along the cut, over the simulated range within its training domain
    lo, hi = sur.domain[name]
    lo, hi = max(lo, x.min()), min(hi, x.max())
    grid = np.geomspace(lo, hi, 400) if name in LOG_AXIS else np.linspace(lo, hi, 400)
    curve = sur.predict(**{name: grid, **cut["fixed"]})

    ax.plot(grid, curve, color="tab:red", label="surrogate")
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
        T_sur, T_sim = peak(grid, curve), peak(x, D)
        print(f"largest D_perp(T): surrogate at T = {T_sur:.3g}, simulations at T = {T_sim:.3g}")
        print("(nan: the largest value is at an end of the cut, no maximum inside it)")
        ax.axvline(T_sur, color="tab:red", ls=":", lw=1)  # nothing drawn if NaN
axes[0].set_ylabel(r"$D_\perp$ [$\rho_0^2\omega_c$]")
axes[0].legend(
    handles=[
        Line2D([], [], color="tab:red", label="surrogate"),
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
