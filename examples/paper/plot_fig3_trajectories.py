"""
Typical trajectories (the paper's figure 3)
===========================================

A few protons with T = 1, pitch cosine 0.5, in the 2D turbulence with b = 0.2 and
:math:`\\lambda_\\perp = 5`: Larmor rotation plus scattering across the mean field, shown in the
perpendicular plane and in 3D. :func:`~crtransport.pusher.propagate` records displacements at
every saved step.
"""

import math

import matplotlib.pyplot as plt

from crtransport.pusher import initial_conditions, propagate
from crtransport.turbulence import TwoDTurbulence

n = 4
modes = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(n_waves=500, n_realizations=n, seed=3)
pos, mom = initial_conditions(T=1.0, mu=0.5, n_particles=n, seed=4)
out = propagate(modes, pos, mom, dt=2 * math.pi / 40, n_steps=16_000, save_every=1)
r = out.displacement

fig = plt.figure(figsize=(10, 4.5))
ax = fig.add_subplot(1, 2, 1)
for p in range(n):
    ax.plot(r[p, :, 0], r[p, :, 1], lw=0.5)
ax.set_xlabel(r"$x/\rho_0$")
ax.set_ylabel(r"$y/\rho_0$")
ax.set_title("perpendicular plane")
ax.set_aspect("equal")
ax3 = fig.add_subplot(1, 2, 2, projection="3d")
for p in range(n):
    ax3.plot(r[p, :, 0], r[p, :, 1], r[p, :, 2], lw=0.5)
ax3.set_xlabel("x")
ax3.set_ylabel("y")
ax3.set_zlabel("z")
ax3.set_title("3D")
fig.tight_layout()
