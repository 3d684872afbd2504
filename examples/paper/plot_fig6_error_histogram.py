"""
Figure 6: relative errors on the test set
=========================================

The paper's figure 6 is the histogram of the relative errors :math:`100\\,(Z/Y - 1)` between
the network's predictions Z and the simulated values Y on the 10 % of the database held out
from training; its second moment, about 5 % there, is the network's accuracy. Here: the
pretrained surrogate with the paper's recipe on the test rows of the reference database,
:func:`crt.dataset.split(ds, 0.1, seed=0) <crtransport.dataset.split>`, whose other 90 % it
was trained on. The exact ``b = 0`` rows (``is_analytic``) never enter the test set: a
relative error against :math:`D_\\perp = 0` is undefined.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import crtransport as crt

ds = crt.open_dataset(crt.datasets.paper())
sur = crt.Surrogate.pretrained("paper")
train, test = crt.dataset.split(ds, 0.1, seed=0)
test = test.isel(sample=~test["is_analytic"].values)  # split() already ensures it
print("rows of database, train, test:", *(d.sizes["sample"] for d in (ds, train, test)))
print("rows the surrogate was trained on:", sur.history.n_train)

ev = sur.evaluate(test)
print(ev)

# %%
# The histogram spans +-50 %; rows beyond are counted in the legend. The paper notes that its
# largest errors come from rows with very small D_perp.
WINDOW = 50.0
error = 100 * ev.relative_error
outside = np.abs(error) > WINDOW
fig, ax = plt.subplots(figsize=(6, 4))
ax.hist(
    error[~outside],
    bins=np.linspace(-WINDOW, WINDOW, 51),
    color="C0",
    label=f"not shown: {int(outside.sum())} beyond ±{WINDOW:g} %",
)
ax.set_xlabel("relative error 100 (Z/Y - 1) [%]")
ax.set_ylabel("test rows")
ax.set_title(
    f"{test.sizes['sample']} test rows: RMS relative error "
    f"{100 * ev.rms_relative_error:.1f} %, mean {100 * ev.mean_relative_error:+.1f} %"
)
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# Run as a script with ``CRTRANSPORT_FIGURES_DIR`` set (as ``nox -s figures`` does), the
# example saves the figure there.
if folder := os.environ.get("CRTRANSPORT_FIGURES_DIR"):
    fig.savefig(Path(folder) / "fig6_error_histogram.png", dpi=120)
