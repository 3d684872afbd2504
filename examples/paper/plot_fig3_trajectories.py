"""
Figure 3: typical trajectories
==============================

The paper's figure 3 shows typical cosmic-ray trajectories in the 2D turbulence, (a) projected
on the perpendicular plane and (b) in 3D. Here: four protons with T = 1 and pitch cosine
0.5, each in its own realization of the 2D model with b = 0.2, :math:`\\lambda_\\perp = 5`,
:math:`\\lambda_\\parallel = 50` (500 waves), followed for :math:`t = 2000/\\omega_c`, about 160
gyrations. Larmor rotation plus scattering across the mean field; with :math:`\\mu = 0.5` the
particles run along :math:`z` much faster than their guiding centres drift across it.
:func:`~crtransport.pusher.propagate` records displacements at every saved step.
"""

import math
import os
from pathlib import Path

import matplotlib.pyplot as plt

from crtransport.pusher import initial_conditions, propagate
from crtransport.turbulence import TwoDTurbulence

n = 4
modes = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(n_waves=500, n_realizations=n, seed=3)
pos, mom = initial_conditions(T=1.0, mu=0.5, n_particles=n, seed=4)
dt = 2 * math.pi / 40
out = propagate(modes, pos, mom, dt=dt, n_steps=round(2000 / dt), save_every=1)
r = out.displacement

fig = plt.figure(figsize=(10, 4.5))
ax = fig.add_subplot(1, 2, 1)
for p in range(n):
    ax.plot(r[p, :, 0], r[p, :, 1], lw=0.5)
ax.set_xlabel(r"$x$ [$\rho_0$]")
ax.set_ylabel(r"$y$ [$\rho_0$]")
ax.set_title("(a) perpendicular plane")
ax.set_aspect("equal")
ax3 = fig.add_subplot(1, 2, 2, projection="3d")
for p in range(n):
    ax3.plot(r[p, :, 0], r[p, :, 1], r[p, :, 2], lw=0.5)
ax3.set_xlabel(r"$x$ [$\rho_0$]")
ax3.set_ylabel(r"$y$ [$\rho_0$]")
ax3.set_zlabel(r"$z$ [$\rho_0$]")
ax3.set_title("(b) 3D")
fig.tight_layout()

# %%
# Run as a script with ``CRTRANSPORT_FIGURES_DIR`` set (as ``nox -s figures`` does), the
# example saves the figure there.
if folder := os.environ.get("CRTRANSPORT_FIGURES_DIR"):
    fig.savefig(Path(folder) / "fig3_trajectories.png", dpi=100)
