"""
A small database
================

Build a small database of diffusion coefficients with
:func:`crt.build_dataset <crtransport.dataset.build_dataset>`,
read it back, split it into training and test sets and look at it. The settings are tiny
(256 particles, 64 waves per sample) so that the example runs in seconds; the paper uses
10^4 particles and 500 waves (``ParameterSpace.paper()``, 5000 samples).
"""

# %%
# The parameter space
# -------------------
# The paper's space with narrower bounds: ``T`` in (1, 5] m c^2, ``b`` in (0.05, 0.5] B0,
# ``lambda_perp`` log-uniform in (1, 10] rho0, ``mu = 0.5``, ``lambda_par = 10 lambda_perp``,
# drawn as a Latin hypercube.
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import crtransport as crt
from crtransport.dataset import Free, ParameterSpace

space = ParameterSpace(
    T=Free(1.0, 5.0), b=Free(0.05, 0.5), lambda_perp=Free(1.0, 10.0, log=True), sampling="lhs"
)
print(space.describe())

# %%
# Build it
# --------
# 32 rows, 10 % of them exact ``b = 0`` rows, with the running ``D(t)`` stored on a common
# grid. For a handful of samples we run them one at a time in this process
# (a one-thread executor) and let Numba use every core for each sample; a real build uses the
# default ``executor=None``, one process per core (see the guide).
folder = Path(tempfile.mkdtemp())
path = folder / "small.nc"
settings = dict(
    space=space,
    n_samples=32,
    path=path,
    seed=2023,
    simulation=dict(n_particles=256, n_waves=64),
    analytic_fraction=0.1,
    running_times=np.geomspace(1.0, 5000.0, 60),
    threads_per_sample=None,
    progress=False,
)
start = time.perf_counter()
with ThreadPoolExecutor(max_workers=1) as executor:
    ds = crt.build_dataset(executor=executor, **settings)
print(f"built in {time.perf_counter() - start:.1f} s")

# %%
# Running the same call again finds the finished file and returns it without simulating:
# this is also how an interrupted build resumes.
start = time.perf_counter()
with ThreadPoolExecutor(max_workers=1) as executor:
    crt.build_dataset(executor=executor, **settings)
print(f"second call: {time.perf_counter() - start:.2f} s")

# %%
# Open, inspect, split
# --------------------
ds = crt.open_dataset(path)
print(ds[["D_perp", "D_perp_err", "is_converged_perp", "is_analytic", "t_max"]])
print("D_perp units:", ds["D_perp"].attrs["units"])
print("not converged:", int((~ds["is_converged_perp"]).sum()), "of", ds.sizes["sample"])

train, test = crt.dataset.split(ds, test_fraction=0.2, seed=0)
print("train/test rows:", train.sizes["sample"], test.sizes["sample"])

# %%
# Look at it
# ----------
# Left: ``D_perp`` against ``b`` (error bars: the ensemble error), colour = ``lambda_perp``;
# the exact ``b = 0`` rows sit at the origin. Right: the running ``D_perp(t)`` of a few
# samples; each run stops at its own ``t_max``, chosen from the physics. The right and top
# axes give the same numbers for protons in a mean field of 5 nT (the solar wind near 1 au):
# D in cm^2/s and t in seconds (``crtransport.units``).
D_CM2S = float(crt.units.diffusion_from_scaled(1.0, B0="5nT", unit="cm2/s"))
T_S = float(crt.units.time_from_scaled(1.0, B0="5nT", unit="s"))


def times(factor):
    """Secondary-axis functions for a unit ``factor`` times the scaled one."""
    return (lambda x: x * factor, lambda x: x / factor)


fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
sc = ax1.scatter(ds["b"], ds["D_perp"], c=ds["lambda_perp"], cmap="viridis", zorder=3)
ax1.errorbar(ds["b"], ds["D_perp"], yerr=ds["D_perp_err"], fmt="none", ecolor="0.6", zorder=2)
ax1.set_xlabel(r"$b$ [$B_0$]")
ax1.set_ylabel(r"$D_\perp$ [$\rho_0^2\,\omega_c$]")
ax1.secondary_yaxis("right", functions=times(D_CM2S)).set_ylabel(
    r"[cm$^2$/s], protons, $B_0$ = 5 nT"
)
fig.colorbar(sc, ax=ax1, label=r"$\lambda_\perp$ [$\rho_0$]", pad=0.18)
for i in range(0, 28, 7):
    row = ds.isel(sample=i)
    ax2.plot(ds["time"], row["D_perp_running"], label=f"b = {float(row['b']):.2f}")
ax2.set_xscale("log")
ax2.set_xlabel(r"$t$ [$1/\omega_c$]")
ax2.set_ylabel(r"running $D_\perp(t)$ [$\rho_0^2\,\omega_c$]")
ax2.secondary_xaxis("top", functions=times(T_S)).set_xlabel(r"$t$ [s], protons, $B_0$ = 5 nT")
ax2.secondary_yaxis("right", functions=times(D_CM2S)).set_ylabel(r"[cm$^2$/s]")
ax2.legend()
fig.tight_layout()
plt.show()
