"""
Train a surrogate
=================

Train the paper's network (3-10-5-1, tanh, :math:`z^2` output, Adam) with
:class:`crt.Surrogate <crtransport.surrogate.Surrogate>`, look at its loss curve and at the
relative errors on held-out points, then train a small ensemble with a relative loss and a
network with a physics prior on its output, and compare. (The paper's figures 5 and 6, for
the pretrained surrogate and the reference database, are
:ref:`sphx_glr_auto_examples_paper_plot_fig5_loss.py` and
:ref:`sphx_glr_auto_examples_paper_plot_fig6_error_histogram.py`.) So that the example runs in
seconds, the data are a smooth synthetic stand-in for a database,
:math:`D = \\sqrt{T}\\, b^2 \\lambda_\\perp^{0.3}`, over the paper's cube (with ``T > 0.5``
and ``b > 0.3``, about two decades of D); a real database from
:func:`crt.build_dataset <crtransport.dataset.build_dataset>` is used the same way.
"""

# %%
# Data
# ----
# 5000 rows uniform in the box, 90 % for training and 10 % for testing, as in the paper.
import time

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

import crtransport as crt
from crtransport.surrogate import plot_error_histogram, plot_loss, plot_predicted_vs_true

rng = np.random.default_rng(0)
n = 5000
T = rng.uniform(0.5, 10.0, n)
b = rng.uniform(0.3, 1.0, n)
lam = rng.uniform(0.2, 20.0, n)
data = xr.Dataset(
    {"D_perp": ("sample", np.sqrt(T) * b**2 * lam**0.3)},
    coords={"T": ("sample", T), "b": ("sample", b), "lambda_perp": ("sample", lam)},
)
train, test = data.isel(sample=slice(0, 4500)), data.isel(sample=slice(4500, None))
# the box the data were drawn from; prediction outside it warns (on_extrapolate)
domain = {"T": (0.5, 10.0), "b": (0.3, 1.0), "lambda_perp": (0.2, 20.0)}

# %%
# The paper's network
# -------------------
# 5000 full-batch Adam epochs run inside one compiled ``lax.scan``; the test loss is recorded
# after every epoch too.
t0 = time.perf_counter()
paper = crt.Surrogate().fit(train, epochs=5000, key=1, validation=test, domain=domain)
print(f"trained in {time.perf_counter() - t0:.1f} s (compilation included)")
ev = paper.evaluate(test)
print(ev)

fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
plot_loss(paper, ax=axes[0])
plot_error_histogram(ev, ax=axes[1], bins=40)
plot_predicted_vs_true(ev, ax=axes[2])
axes[1].set_title(f"paper recipe: RMS {100 * ev.rms_relative_error:.1f} %")
fig.tight_layout()

# %%
# An ensemble with a relative loss
# --------------------------------
# The paper's metric is relative, so a relative loss helps; ``log_features`` maps
# ``lambda_perp``, which spans two decades, through a logarithm first, and Glorot
# initialisation makes the result insensitive to the draw. Five networks train at once
# (``jax.vmap``); their spread is an uncertainty estimate.
t0 = time.perf_counter()
ens = crt.Surrogate(
    hidden_widths=(16, 16),
    init="glorot",
    loss="relative",
    learning_rate=3e-3,
    log_features=("lambda_perp",),
    n_models=5,
).fit(train, epochs=3000, key=0, validation=test, domain=domain)
print(f"trained 5 networks in {time.perf_counter() - t0:.1f} s")
ev_ens = ens.evaluate(test)
print(ev_ens)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
plot_loss(ens, ax=axes[0])
plot_error_histogram(ev_ens, ax=axes[1], bins=40)
axes[1].set_title(f"ensemble: RMS {100 * ev_ens.rms_relative_error:.2f} %")
fig.tight_layout()

# %%
# A physics prior on the output
# -----------------------------
# Perpendicular transport scales like :math:`b^2` at small turbulence amplitude (quasilinear
# theory). ``output_powers={"b": 2}`` builds that in: the model is :math:`D = b^2\,NN(x)`,
# and the network only learns what the scaling leaves (here exactly
# :math:`\sqrt{T}\lambda_\perp^{0.3}`; on the reference database, about 2.5 of D_perp's 5.5
# decades). A log-space loss with an ``exp`` output suits a target that spans decades.
prior = crt.Surrogate(
    hidden_widths=(16, 16),
    init="glorot",
    loss="log",
    output_activation="exp",
    output_powers={"b": 2},
    learning_rate=3e-3,
    log_features=("lambda_perp",),
).fit(train, epochs=3000, key=0, domain=domain)
ev_prior = prior.evaluate(test)
print(prior)
print(f"RMS relative error: {100 * ev_prior.rms_relative_error:.2f} % with the prior")

# %%
# Predict
# -------
# Named inputs broadcast; the result is float64 in the units of D, ``rho0^2 omega_c``.
lam_grid = np.geomspace(0.2, 20.0, 100)
fig, ax = plt.subplots(figsize=(5, 3.8))
for T_value in (1.0, 3.0, 9.0):
    D, dD = ens.predict(T=T_value, b=0.5, lambda_perp=lam_grid, return_std=True)
    ax.plot(lam_grid, D, label=f"T = {T_value:g}")
    ax.fill_between(lam_grid, D - 2 * dD, D + 2 * dD, alpha=0.3)
    ax.plot(lam_grid, np.sqrt(T_value) * 0.25 * lam_grid**0.3, "k:", lw=1)
ax.set_xscale("log")
ax.set_xlabel(r"$\lambda_\perp$ [$\rho_0$]")
ax.set_ylabel(r"$D_\perp$")
ax.set_title("b = 0.5; dotted: the true function")
ax.legend()
fig.tight_layout()

# %%
# Save and load
# -------------
# The file is a NumPy ``.npz`` archive with JSON metadata (documented in the guide, so other
# codes can evaluate the network from it); loading is bit-exact.
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as tmp:
    path = ens.save(Path(tmp) / "surrogate.crt")
    again = crt.Surrogate.load(path)
    x = dict(T=2.0, b=0.4, lambda_perp=3.0)
    print(again.predict(**x) == ens.predict(**x))
