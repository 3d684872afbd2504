"""
Figure 4: running diffusion coefficients
========================================

The paper's figure 4 shows the perpendicular diffusion computed in two ways for one set of
parameters: the running coefficient of its eq. 5,
:math:`D_\\perp(t) = \\langle\\Delta x_\\perp^2\\rangle / (4t)`, and the differential one,
:math:`d_\\perp(t) = \\partial_t\\langle\\Delta x_\\perp^2\\rangle / 4`. Here: T = 1, b = 0.2,
:math:`\\lambda_\\perp = 5` (mu = 0.5 and :math:`\\lambda_\\parallel = 50`, the defaults) with
4000 particles, saved on 1000 times so that the gyration (period :math:`4\\pi/\\omega_c` at
T = 1) is resolved. The Larmor rotation makes :math:`d_\\perp` oscillate at early times and it
is noisier late; :math:`D_\\perp` smooths both. Both reach the asymptotic value that
:func:`crt.simulate <crtransport.simulate>` reports, shown with its statistical error over its
fitting window (the second half of the run).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import crtransport as crt

res = crt.simulate(T=1.0, b=0.2, lambda_perp=5.0, n_particles=4000, n_save=1000, seed=1)
print(res)

run = res.running
fig, ax = plt.subplots(figsize=(6, 4.4))
ax.plot(run.time, run.d_perp, label=r"$d_\perp(t)$", color="C1", lw=0.8)
ax.plot(run.time, run.D_perp, label=r"$D_\perp(t)$", color="C0", lw=1.5)
ax.axhline(res.D_perp, color="k", ls="--", lw=0.8, label="asymptotic value")
lo, hi = res.perp.window
ax.fill_between(
    [lo, hi],
    res.D_perp - res.D_perp_err,
    res.D_perp + res.D_perp_err,
    color="k",
    alpha=0.5,
    zorder=3,
    label="± error, over the fitting window",
)
ax.set_xscale("log")
ax.set_xlabel(r"$t$ [$1/\omega_c$]")
ax.set_ylabel(r"$D_\perp$, $d_\perp$ [$\rho_0^2\omega_c$]")
# the same numbers for protons in B0 = 5 nT (the solar wind near 1 au), from crtransport.units
D_CM2S = float(crt.units.diffusion_from_scaled(1.0, B0="5nT", unit="cm2/s"))
T_S = float(crt.units.time_from_scaled(1.0, B0="5nT", unit="s"))
top = ax.secondary_xaxis("top", functions=(lambda t: t * T_S, lambda t: t / T_S))
top.set_xlabel(r"$t$ [s], protons, $B_0$ = 5 nT", fontsize=9)
right = ax.secondary_yaxis("right", functions=(lambda d: d * D_CM2S, lambda d: d / D_CM2S))
right.set_ylabel(r"[cm$^2$/s]", fontsize=9)
ax.set_title(r"$T = 1$, $b = 0.2$, $\lambda_\perp = 5$, 4000 particles", fontsize=10, pad=8)
ax.legend()
fig.tight_layout()

# %%
# Run as a script with ``CRTRANSPORT_FIGURES_DIR`` set (as ``nox -s figures`` does), the
# example saves the figure there.
if folder := os.environ.get("CRTRANSPORT_FIGURES_DIR"):
    fig.savefig(Path(folder) / "fig4_running_diffusion.png", dpi=120)
