"""
Running diffusion coefficients (the paper's figure 4)
=====================================================

:math:`D_\\perp(t) = \\langle\\Delta x_\\perp^2\\rangle / (4t)` and its differential form
:math:`d_\\perp(t)` at T = 1, b = 0.2, :math:`\\lambda_\\perp = 5`. The Larmor rotation makes
:math:`d_\\perp` oscillate at early times; both converge to the asymptotic value, shown with its
statistical error over the fit window (the second half of the run).
"""

import matplotlib.pyplot as plt

import crtransport as crt

res = crt.simulate(T=1.0, b=0.2, lambda_perp=5.0, n_particles=2000, seed=1)
print(res)

run = res.running
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(run.time, run.D_perp, label=r"$D_\perp(t)$")
ax.plot(run.time, run.d_perp, label=r"$d_\perp(t)$", alpha=0.7)
lo, hi = res.perp.window
ax.fill_between(
    [lo, hi],
    res.D_perp - res.D_perp_err,
    res.D_perp + res.D_perp_err,
    color="k",
    alpha=0.25,
    label="asymptotic value ± error",
)
ax.set_xscale("log")
ax.set_xlabel(r"$t\,\omega_c$")
ax.set_ylabel(r"$D$ [$\rho_0^2\omega_c$]")
ax.legend()
fig.tight_layout()
