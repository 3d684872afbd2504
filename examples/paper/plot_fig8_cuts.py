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

The top and right axes give the same numbers in physical units for protons in a mean field
:math:`B_0 = 5` nT (the solar wind near 1 au): T in GeV, :math:`\\lambda_\\perp` in au and
:math:`D_\\perp` in cm\\ :sup:`2`/s, converted with :mod:`crtransport.units`.
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

paper_models = [n for n in crt.Surrogate.available_pretrained() if n != "general"]
models = {name: crt.Surrogate.pretrained(name) for name in paper_models}
COLORS = {"paper": "tab:red", "improved": "tab:orange"}
LABELS = {"T": r"$T$ [$mc^2$]", "b": r"$b$ [$B_0$]", "lambda_perp": r"$\lambda_\perp$ [$\rho_0$]"}
SYMBOLS = {"T": "T", "b": "b", "lambda_perp": r"\lambda_\perp"}
LOG_AXIS = {"T", "lambda_perp"}  # and D_perp on a log axis along lambda_perp (three decades)


# physical units: protons in B0 = 5 nT (factors from crtransport.units)
B0 = "5nT"
TO_PHYSICAL = {
    "T": (float(crt.units.energy_from_scaled(1.0, unit="GeV")), "$T$ [GeV], protons"),
    "lambda_perp": (
        float(crt.units.length_from_scaled(1.0, B0=B0, unit="au")),
        r"$\lambda_\perp$ [au], $B_0$ = 5 nT",
    ),
}
D_CM2S = float(crt.units.diffusion_from_scaled(1.0, B0=B0, unit="cm2/s"))


def scaled_by(factor):
    """The pair of functions of a secondary axis that is ``factor`` times the primary."""
    return (lambda x: x * factor, lambda x: x / factor)


def peak(x, y):
    """Location of the largest value of y; NaN when it lies at an end of the range."""
    i = int(np.argmax(y))
    return float(x[i]) if 0 < i < len(y) - 1 else float("nan")


# sized for the documentation's page (about 8 inches wide): two panels a row, the fourth cell
# holds the legend
fig, grid_axes = plt.subplots(2, 2, figsize=(8.5, 7.4))
axes = [grid_axes[0, 0], grid_axes[0, 1], grid_axes[1, 0]]
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
    ax.set_title(f"({panel}) {fixed}", fontsize=10)
    ax.set_xlabel(LABELS[name])
    ax.set_ylabel(r"$D_\perp$ [$\rho_0^2\omega_c$]")
    if name in TO_PHYSICAL:
        factor, label = TO_PHYSICAL[name]
        top = ax.secondary_xaxis("top", functions=scaled_by(factor))
        top.set_xlabel(label, fontsize=9)
    right = ax.secondary_yaxis("right", functions=scaled_by(D_CM2S))
    right.set_ylabel(r"[cm$^2$/s], $B_0$ = 5 nT", fontsize=9)
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
legend_cell = grid_axes[1, 1]
legend_cell.axis("off")
legend_cell.legend(
    loc="center",
    handles=[
        *(Line2D([], [], color=COLORS[m], label=f'surrogate "{m}"') for m in models),
        Line2D([], [], marker="o", ls="", color="tab:blue", label="simulations"),
        Line2D([], [], marker="o", ls="", mfc="white", color="tab:blue", label="not converged"),
    ],
)
fig.tight_layout()

# %%
# Run as a script with ``CRTRANSPORT_FIGURES_DIR`` set (as ``nox -s figures`` does), the
# example saves the figure there.
if folder := os.environ.get("CRTRANSPORT_FIGURES_DIR"):
    fig.savefig(Path(folder) / "fig8_cuts.png", dpi=120)
