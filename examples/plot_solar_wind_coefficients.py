"""
Solar-wind protons: coefficients in m^2/s, then GALPROP and CRPropa parameters
===============================================================================

Protons from 1 to 1000 GV in the solar wind at 1 au, with
:func:`crt.diffusion_coefficients <crtransport.coefficients.diffusion_coefficients>`, and the
parameter sets of two propagation codes fitted to them
(:func:`~crtransport.coefficients.export_galprop`,
:func:`~crtransport.coefficients.export_crpropa`).

The numbers come from the general surrogate (``"general"``), trained on the general database
of test-particle simulations; its accuracy and the calibration of its bands are on the
documentation page "The general model". ``"theory"`` in its place gives the analytic
comparison (:class:`~crtransport.coefficients.TheoryModel`).
"""

# %%
# The solar wind at 1 au
# ----------------------
# Mean field ``B0 = 5 nT``; turbulence level ``b = dB/B0 = 1`` (the fluctuations of all scales
# together are comparable to the mean field at 1 au); correlation (bend-over)
# scale ``lambda_perp = 0.01 au``, the order of the 1.2e6 km (0.008 au) that Matthaeus et al.
# (PRL 95, 231101, 2005) measured with two-point correlations; ``lambda_par = 10 lambda_perp``
# and 20 % slab energy (Bieber et al., ApJ 420, 294, 1994).
import matplotlib.pyplot as plt
import numpy as np

import crtransport as crt
from crtransport.coefficients import export_crpropa, export_galprop

solar_wind = dict(
    species="proton",
    B0="5nT",
    lambda_perp="0.01au",
    b=1.0,
    anisotropy=10.0,
    slab_fraction=0.2,
)
rigidity = np.geomspace(1.0, 1000.0, 25)  # GV

# %%
# The model's domain
# ------------------
# The model is trusted for ``R = r_L / lambda_perp`` up to 50. Here ``r_L`` at 1000 GV is
# 0.45 au, so the upper end is outside it, and the default is an error that says which
# rigidities are allowed:
try:
    crt.diffusion_coefficients("general", rigidity=rigidity, rigidity_unit="GV", **solar_wind)
except ValueError as exc:
    print(exc)

# %%
# We evaluate the model there anyway (``on_extrapolate='ignore'``) to show where it stops;
# the Dataset marks those rigidities in ``is_extrapolated``, and the exports below use only
# the rigidities inside the domain.
ds = crt.diffusion_coefficients(
    "general", rigidity=rigidity, rigidity_unit="GV", on_extrapolate="ignore", **solar_wind
)
au = crt.units.parse_quantity(1.0, "length", "au")
lam_par = ds["mean_free_path_par"].values / au
print(f"parallel mean free path at 1 GV: {lam_par[0]:.2f} au")
print(ds[["D_par", "D_perp"]].isel(rigidity=[0, 12, 24]))

# %%
# D_par and D_perp with their bands
# ---------------------------------
# The bands are the model's one-standard-deviation intervals (log-normal, calibrated on
# held-out simulations). Where a direction has no plateau in the simulations (the model's
# ``is_diffusive_*`` flag) the Dataset has NaN and the curve stops. Shaded: outside the
# domain.
cgs = crt.coefficients.convert_units(ds, diffusion="cm2/s")
fig, ax = plt.subplots(figsize=(6, 4))
for name, color in (("D_par", "C0"), ("D_perp", "C3")):
    D, s = cgs[name].values, cgs[f"{name}_std"].values
    ax.loglog(rigidity, D, color=color, label=name)
    ln_s = ds[f"{name}_std"].values / ds[name].values  # the std of ln D
    ax.fill_between(rigidity, D * np.exp(-ln_s), D * np.exp(ln_s), color=color, alpha=0.25)
outside = rigidity[ds["is_extrapolated"].values]
ax.axvspan(outside.min(), rigidity.max(), color="0.85", zorder=0, label="outside domain")
ax.set_xlabel("rigidity (GV)")
ax.set_ylabel("D (cm$^2$/s)")
ax.set_title("protons, solar wind at 1 au (general model)")
ax.legend()
fig.tight_layout()

# %%
# Weaker turbulence: where no coefficient exists
# -----------------------------------------------
# At ``b = 0.5`` the simulations find no plateau of the perpendicular running coefficient
# above a few GV within the simulated time (sub-diffusive perpendicular transport, as in
# slab-rich turbulence), so the model flags it and the Dataset holds NaN there instead of a
# number; an exporter that needs D_perp then refuses rather than fit what does not exist.
weak = crt.diffusion_coefficients(
    "general", rigidity=rigidity, rigidity_unit="GV", on_extrapolate="ignore",
    **{**solar_wind, "b": 0.5},
)  # fmt: skip
inside_weak = ~weak["is_extrapolated"].values
diffusive = rigidity[inside_weak & weak["is_diffusive_perp"].values]
print(f"b = 0.5: D_perp diffusive at {diffusive.round(1)} GV of {rigidity[inside_weak].round(1)}")

# %%
# GALPROP and CRPropa parameter sets
# ----------------------------------
# The exports are fitted over the rigidities inside the domain, 1 to 112 GV. GALPROP gets a
# broken power law in rigidity (MV) times ``beta^D_eta`` with D in cm^2/s; its isotropic
# ``D_xx`` is the trace ``(D_par + 2 D_perp) / 3`` by default.
inside = ds.isel(rigidity=np.flatnonzero(~ds["is_extrapolated"].values))
galprop = export_galprop(inside)
print(galprop.to_galdef())

# %%
# CRPropa's DiffusionSDE takes ``D_par = scale 6.1e24 m^2/s (|E/q| / 4 GV)^alpha`` and
# ``D_perp = epsilon D_par``. A single power law and a constant ratio fit these
# coefficients less well; the comment lines give the residuals.
crpropa = export_crpropa(inside)
print(crpropa.to_python())
