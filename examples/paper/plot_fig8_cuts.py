"""
Perpendicular diffusion against energy (the paper's figure 8a)
==============================================================

At b = 0.2 and :math:`\\lambda_\\perp = 5`, :math:`D_\\perp(T)` rises with the parallel speed and
falls once the Larmor radius exceeds the turbulence scales: a maximum. A small ensemble per
point keeps this example under a minute; error bars are one standard error.
"""

import matplotlib.pyplot as plt
import numpy as np

import crtransport as crt

energies = np.geomspace(0.05, 10, 8)
results = [
    crt.simulate(T=T, b=0.2, lambda_perp=5.0, n_particles=600, n_waves=250, seed=i)
    for i, T in enumerate(energies)
]
D = np.array([r.D_perp for r in results])
err = np.array([r.D_perp_err for r in results])
for T, r in zip(energies, results):
    print(f"T = {T:6.3f}: D_perp = {r.D_perp:.4f} ± {r.D_perp_err:.4f}, converged: {r.converged}")

fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(energies, D, yerr=err, fmt="o-")
ax.set_xscale("log")
ax.set_xlabel(r"$T$ [$mc^2$]")
ax.set_ylabel(r"$D_\perp$ [$\rho_0^2\omega_c$]")
ax.set_title(r"$b = 0.2$, $\lambda_\perp = 5$, $\lambda_\parallel = 50$")
fig.tight_layout()
