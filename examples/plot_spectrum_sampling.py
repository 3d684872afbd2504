"""
Sampling the paper's spectrum by acceptance-rejection
=====================================================

The 2D model draws perpendicular wave numbers from
:math:`p(k_\\perp) \\propto (k\\lambda)^3/(1+(k\\lambda)^2)^{7/3}` and parallel ones from
:math:`(1+(k\\lambda_\\parallel)^2)^{-5/6}`; both tails fall as :math:`k^{-5/3}`. Here we draw
them and compare the histograms with the normalised densities.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import integrate

from crtransport.turbulence import TwoDTurbulence, bendover_density

turb = TwoDTurbulence(b=0.2, lambda_perp=5.0)
modes = turb.sample(n_waves=500, n_realizations=200, seed=0)
k_perp = np.hypot(modes.k[..., 0], modes.k[..., 1]).ravel() * turb.lambda_perp
k_par = np.abs(modes.k[..., 2]).ravel() * turb.lambda_par
print(f"acceptance rate: {modes.acceptance_rate:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
for ax, x, q, label in (
    (axes[0], k_perp, 3.0, r"$k_\perp\lambda_\perp$"),
    (axes[1], k_par, 0.0, r"$|k_\parallel|\lambda_\parallel$"),
):
    bins = np.geomspace(1e-3, 1e3, 61)
    ax.hist(x, bins=bins, density=True, histtype="step", label="sampled")
    norm = integrate.quad(
        lambda v, q=q: float(bendover_density(v, q, 5 / 3)), 0, 1e3, limit=400, points=[1, 10, 100]
    )[0]
    grid = np.geomspace(1e-3, 1e3, 400)
    ax.loglog(grid, bendover_density(grid, q, 5 / 3) / norm, "k--", label="density")
    ax.set_xlabel(label)
    ax.set_ylim(1e-9, 10)
axes[0].set_ylabel("probability density")
axes[0].legend()
fig.tight_layout()
