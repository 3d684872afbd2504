"""
Figure 7: two-parameter surfaces
================================

The paper's figure 7 compares the network with the simulations over two inputs at a time, the
third held fixed: (a) T = 1, (b) b = 0.2, (c) :math:`\\lambda_\\perp = 5`. There, network values
(red dots) lie on the surface of simulated values (blue). The simulations of a random
database do not lie on a grid, so here the roles are swapped: the surface is the prediction
of the most accurate shipped pretrained surrogate (``"improved"`` when it ships, else
``"paper"``) at the fixed value, and the dots are the simulated rows of the reference
database whose fixed input lies within a thin slab around it (5 % of that input's range in the
database), so a dot may sit slightly off the surface because its fixed input differs a
little. Colours keep the paper's meaning: red is the network, blue the simulations.
:math:`\\lambda_\\perp` spans two decades and is drawn on a logarithmic axis.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import crtransport as crt

ds = crt.open_dataset(crt.datasets.paper())
sims = ds.isel(sample=~ds["is_analytic"].values)  # the exact b = 0 rows are not simulations
model_name = "improved" if "improved" in crt.Surrogate.available_pretrained() else "paper"
sur = crt.Surrogate.pretrained(model_name)
print(f"surface: the {model_name!r} surrogate ({sur.state.provenance.get('recipe', '')})")

#: panel: (fixed input, its value), as in the paper's caption
PANELS = {"a": ("T", 1.0), "b": ("b", 0.2), "c": ("lambda_perp", 5.0)}
SLAB = 0.05
SYMBOLS = {"T": "$T$", "b": "$b$", "lambda_perp": r"$\lambda_\perp$"}
LABELS = {
    "T": r"$T$ [$mc^2$]",
    "b": r"$b$ [$B_0$]",
    "lambda_perp": r"$\log_{10}\lambda_\perp$ [$\rho_0$]",
}


def axis(name, values):
    """Plot coordinate of an input: lambda_perp on a log10 axis."""
    return np.log10(values) if name == "lambda_perp" else np.asarray(values)


# two panels a row, sized for the documentation's page (about 8.5 inches wide)
fig = plt.figure(figsize=(8.5, 8.0))
for i, (panel, (fixed, value)) in enumerate(PANELS.items()):
    x_name, y_name = (name for name in ("T", "b", "lambda_perp") if name != fixed)
    # the surrogate's surface over its training domain, at the fixed value
    grids = []
    for name in (x_name, y_name):
        lo, hi = sur.domain[name]
        grids.append(np.geomspace(lo, hi, 40) if name == "lambda_perp" else np.linspace(lo, hi, 40))
    X, Y = np.meshgrid(*grids)
    Z = sur.predict(**{x_name: X, y_name: Y, fixed: value})
    # the simulated rows in the slab around the fixed value
    half_width = SLAB * float(sims[fixed].max() - sims[fixed].min())
    rows = sims.isel(sample=np.abs(sims[fixed].values - value) <= half_width)
    print(f"({panel}) {fixed} = {value} ± {half_width:.3g}: {rows.sizes['sample']} simulations")

    ax = fig.add_subplot(2, 2, i + 1, projection="3d")
    surface = dict(color="tab:red", alpha=0.3, lw=0, shade=False, antialiased=False)
    ax.plot_surface(axis(x_name, X), axis(y_name, Y), Z, **surface)
    ax.scatter(
        axis(x_name, rows[x_name].values),
        axis(y_name, rows[y_name].values),
        rows["D_perp"].values,
        color="tab:blue",
        s=8,
        depthshade=False,
        label="simulations",
    )
    ax.set_xlabel(LABELS[x_name])
    ax.set_ylabel(LABELS[y_name])
    ax.zaxis.set_rotate_label(False)
    ax.set_zlabel(r"$D_\perp$ [$\rho_0^2\omega_c$]", rotation=90)
    ax.set_title(f'({panel}) {SYMBOLS[fixed]} = {value:g}; surface: "{model_name}"', fontsize=10)
    ax.view_init(elev=25, azim=-125)
    ax.set_box_aspect(None, zoom=0.85)  # room for the axis labels
    ax.grid(False)  # the panes' grid lines would triple the PNG's size
fig.subplots_adjust(left=0.0, right=0.95, bottom=0.02, top=0.96, wspace=0.12, hspace=0.12)

# %%
# Run as a script with ``CRTRANSPORT_FIGURES_DIR`` set (as ``nox -s figures`` does), the
# example saves the figure there.
if folder := os.environ.get("CRTRANSPORT_FIGURES_DIR"):
    fig.savefig(Path(folder) / "fig7_surfaces.png", dpi=100)
