r"""Writers of the diffusion coefficients in the forms propagation codes read.

Each fits the model's :math:`D(\mathcal R)` over the rigidities of a Dataset from
:func:`~crtransport.coefficients.diffusion_coefficients` with the consumer's own formula, by
least squares in :math:`\ln D` versus :math:`\ln \mathcal R`, returns the parameters with the
fit's residuals (:class:`~crtransport.coefficients.FitQuality`) and writes them, with the
residuals as comments, in the consumer's syntax. The formulas and their sources:

GALPROP (``D_xx.cc`` of GALPROP v56/v57, galdef parameters ``D0_xx``, ``D_rigid_ref``,
``D_rigid_br``, ``D_g_1``, ``D_g_2``, ``D_eta``; rigidities in MV, D in cm^2/s):

.. math:: D_{xx} = \beta^{\eta} D_{0,xx}
          \left(\frac{\rho_{br}}{\rho_{ref}}\right)^{g_{ref}}
          \left(\frac{\rho}{\rho_{br}}\right)^{g(\rho)},
          \quad g(\rho) = g_1\ (\rho < \rho_{br}),\ g_2\ (\rho \ge \rho_{br}),

with :math:`g_{ref} = g_1` if :math:`\rho_{ref} < \rho_{br}`, :math:`g_2` if larger, and no
factor if equal.

DRAGON2 (``input.cc`` and ``diffusion.cc`` of cosmicrays/DRAGON2-Beta_version: XML tags
``D0_1e28``, ``DiffRefRig``, ``Delta``, ``etaT`` and, in ``AnisotropicDiffusion``,
``DPar_1e28``, ``etaTPar``, ``DeltaPar``, ``DPerp_1e28``, ``etaTPerp``, ``DeltaPerp``; D in units
of 1e28 cm^2/s, rigidities in GV):

.. math:: D = D_0\,\beta^{\eta_T} (\mathcal R/\mathcal R_{ref})^{\delta}.

CRPropa 3 ``DiffusionSDE`` (``src/module/DiffusionSDE.cpp``: ``calculateBTensor``; D in m^2/s;
``r = E/q`` with ``E`` the candidate's total energy, CRPropa treating particles as
ultra-relativistic):

.. math:: D_\parallel = \mathrm{scale}\times 6.1\times10^{24}\,\mathrm{m^2/s}
          \left(\frac{|E/q|}{4\,\mathrm{GV}}\right)^{\alpha},
          \qquad D_\perp = \epsilon D_\parallel,

with CRPropa's limits :math:`0 \le \alpha \le 2`, :math:`0 \le \epsilon \le 1`,
:math:`\mathrm{scale} \ge 0`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from crtransport import units
from crtransport._validation import AccuracyWarning, check_choice, check_real
from crtransport._version import __version__
from crtransport.coefficients._fit import (
    FitQuality,
    diffusive_points,
    fit_broken_power_law,
    fit_power_law,
    quality,
)
from crtransport.coefficients._physical import diffusion_in

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

Component = Literal["trace", "par", "perp"]
_COMPONENTS = ("trace", "par", "perp")

#: CRPropa 3 DiffusionSDE: the normalisation (m^2/s) and the reference |E/q| (V).
CRPROPA_D0 = 6.1e24
CRPROPA_REFERENCE_V = 4.0e9

_CM2 = 1e-4  # m^2 per cm^2


# --------------------------------------------------------------------------- shared


def _component(coefficients: xr.Dataset, component: str) -> NDArray[np.float64]:
    """The isotropic coefficient to export, m^2/s: D_par, D_perp, or the trace
    (D_par + 2 D_perp) / 3."""
    par = diffusion_in(coefficients, "D_par")
    perp = diffusion_in(coefficients, "D_perp")
    return {"par": par, "perp": perp, "trace": (par + 2.0 * perp) / 3.0}[component]


def _needs(component: str) -> tuple[str, ...]:
    return {"par": ("par",), "perp": ("perp",), "trace": ("par", "perp")}[component]


def _header(coefficients: xr.Dataset, code: str) -> list[str]:
    """Comment lines (without the comment marker) that say where the numbers come from."""
    a = coefficients.attrs
    lines = [
        f"{code} diffusion parameters written by crtransport {__version__}",
        f"model: {a.get('model', '?')}",
    ]
    if "B0_T" in a:
        lines.append(
            f"species {a.get('species')}, B0 = {a['B0_T']:.6g} T, lambda_perp = "
            f"{a['lambda_perp_m']:.6g} m, b = {a.get('b'):g}, lambda_par/lambda_perp = "
            f"{a.get('anisotropy'):g}, slab fraction = {a.get('slab_fraction'):g}"
        )
    if "is_extrapolated" in coefficients:
        n = int(np.sum(coefficients["is_extrapolated"].values))
        if n:
            lines.append(
                f"{n} of the {coefficients.sizes['rigidity']} rigidities are outside the model's "
                "domain (extrapolated)"
            )
    return lines


def _gv(name: str, value: Any) -> float:
    """A rigidity in GV from a number (GV) or a string with a unit (``"4GV"``, ``"4000MV"``)."""
    if isinstance(value, str):
        try:
            volts = float(units.parse_quantity(value, "rigidity"))
        except ValueError as exc:
            raise ValueError(f"`{name}`: {exc}") from None
        return check_real(name, volts / 1e9, low=0.0, low_open=True)
    return check_real(name, value, low=0.0, low_open=True)


def _write(path: str | Path | None, text: str) -> None:
    if path is not None:
        Path(path).write_text(text)


def _comment(lines: Sequence[str], marker: str) -> list[str]:
    return [f"{marker} {line}".rstrip() for line in lines]


# --------------------------------------------------------------------------- GALPROP


@dataclass(frozen=True, slots=True, kw_only=True)
class GalpropParameters:
    """GALPROP's diffusion parameters (galdef names) fitted to a model; see :func:`export_galprop`.

    Attributes
    ----------
    D0_xx : float
        Diffusion coefficient at ``D_rigid_ref`` for :math:`\\beta = 1`, cm^2/s.
    D_rigid_ref, D_rigid_br : float
        Reference and break rigidities, MV (GALPROP's unit).
    D_g_1, D_g_2 : float
        Indices below and above the break.
    D_eta : float
        Velocity exponent: :math:`D \\propto \\beta^{\\eta}`.
    component : {'trace', 'par', 'perp'}
        Which coefficient was fitted.
    fit : FitQuality
        Residuals of GALPROP's formula with these parameters against the model.
    comments : tuple of str
        Provenance lines written above the parameters.
    """

    D0_xx: float
    D_rigid_ref: float
    D_rigid_br: float
    D_g_1: float
    D_g_2: float
    D_eta: float
    component: str
    fit: FitQuality
    comments: tuple[str, ...] = ()

    def to_galdef(self) -> str:
        """The galdef lines: ``#`` comments, then ``name = value  remark``."""
        rows = [
            ("D0_xx", f"{self.D0_xx:.6e}", "D at D_rigid_ref for beta = 1 (cm^2/s)"),
            ("D_rigid_ref", f"{self.D_rigid_ref:.6e}", "reference rigidity (MV)"),
            ("D_rigid_br", f"{self.D_rigid_br:.6e}", "break rigidity (MV)"),
            ("D_g_1", f"{self.D_g_1:.6f}", "index below D_rigid_br"),
            ("D_g_2", f"{self.D_g_2:.6f}", "index above D_rigid_br"),
            ("D_eta", f"{self.D_eta:g}", "D ~ beta^D_eta (needs diff_reacc = 0 or 1)"),
        ]  # fmt: skip
        lines = _comment(self.comments, "#")
        lines += [f"{name:<21s}= {value:<14s} {remark}" for name, value, remark in rows]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe values (the parameters and the fit)."""
        return _params_dict(self)


def export_galprop(
    coefficients: xr.Dataset,
    path: str | Path | None = None,
    *,
    component: Component = "trace",
    break_rigidity: float | str | None = "fit",
    reference_rigidity: float | str | None = None,
    eta: float = 1.0,
) -> GalpropParameters:
    r"""Fit GALPROP's (broken) power law to the coefficients and write its galdef lines.

    Parameters
    ----------
    coefficients : xarray.Dataset
        From :func:`diffusion_coefficients`; the fit uses every rigidity of it where the
        transport of the fitted component is diffusive (the others are left out with an
        AccuracyWarning).
    path : str or Path, optional
        File to write the galdef lines to (paste them into a galdef file).
    component : {'trace', 'par', 'perp'}, default: 'trace'
        GALPROP's :math:`D_{xx}` is isotropic: 'trace' fits
        :math:`(D_\parallel + 2 D_\perp)/3`, the isotropic coefficient of a field whose
        direction is random on the scales GALPROP resolves; 'par' or 'perp' fits one of them.
    break_rigidity : 'fit', None, float or str, default: 'fit'
        'fit': a broken power law with the break fitted (needs 4 rigidities); None: one power
        law (``D_g_1 = D_g_2``); a rigidity (GV, or a string such as ``"10GV"``): a broken
        power law with the break there.
    reference_rigidity : None, float or str, default: None
        ``D_rigid_ref`` (GV or a string). None: at the break (``D0_xx`` is then D at the
        break, which GALPROP versions before ``D_rigid_ref`` also read), or 4 GV without a
        break.
    eta : float, default: 1
        ``D_eta``. With 1 the velocity dependence is exact: :math:`D = v\lambda_\perp
        d(R)` and :math:`R` depends on rigidity only, so :math:`D/\beta` is a function of
        rigidity alone and only :math:`d(R)` is approximated.

    Returns
    -------
    GalpropParameters
        The parameters, the fit's residuals and the provenance; ``to_galdef()`` gives the
        text written.

    Raises
    ------
    ValueError
        For an unknown ``component``, a non-positive rigidity, or fewer diffusive rigidities
        than the fit needs (2, or 4 for a fitted break).

    Notes
    -----
    Least squares of :math:`\ln(D/\beta^\eta)` versus :math:`\ln\rho` with GALPROP's formula
    (module docstring); the break is a continuous kink in log-log. GALPROP reads the
    parameters in ``D_xx.cc``, where other galdef settings change :math:`D_{xx}`: keep
    ``diff_reacc`` at 0 or 1 (a negative value replaces ``D_eta`` by ``diff_reacc``, 2
    multiplies :math:`D_{xx}` by a wave-damping factor, 3 and above replace the formula),
    ``B_dep_diffusion = 0`` and ``Dxx_plane_scale <= 0`` (both rescale ``D0_xx``).

    References
    ----------
    GALPROP ``source/D_xx.cc`` (v56, v57) and the galdef parameter list; T. A. Porter et al.,
    ApJS 262, 30 (2022).

    Examples
    --------
    >>> import numpy as np, crtransport as crt
    >>> ds = crt.diffusion_coefficients("theory", rigidity=np.geomspace(1, 100, 6),
    ...                                 rigidity_unit="GV", B0="5nT", lambda_perp="0.01au",
    ...                                 b=0.2)
    >>> p = crt.coefficients.export_galprop(ds, break_rigidity=None)
    >>> p.D_g_1 == p.D_g_2, p.D_rigid_ref
    (True, 4000.0)
    """
    exporter = "export_galprop"
    check_choice("component", component, _COMPONENTS)
    eta = check_real("eta", eta, low=-10.0, high=10.0)
    fitted_break = isinstance(break_rigidity, str) and break_rigidity == "fit"
    keep = diffusive_points(
        coefficients, _needs(component), n_min=4 if fitted_break else 2, exporter=exporter
    )
    rig = np.asarray(coefficients["rigidity"].values, dtype=np.float64)[keep]
    beta = np.asarray(coefficients["beta"].values, dtype=np.float64)[keep]
    D = _component(coefficients, component)[keep] / _CM2  # cm^2/s
    y = D / beta**eta
    if break_rigidity is None:
        ref = 4.0 if reference_rigidity is None else _gv("reference_rigidity", reference_rigidity)
        D0, g = fit_power_law(rig, y, ref)
        g1 = g2 = g
        br = ref
    else:
        given = None if fitted_break else _gv("break_rigidity", break_rigidity)
        D_br, g1, g2, br = fit_broken_power_law(rig, y, given)
        ref = br if reference_rigidity is None else _gv("reference_rigidity", reference_rigidity)
        g_ref = g1 if ref < br else g2
        D0 = D_br * (ref / br) ** g_ref
    g_of = np.where(rig < br, g1, g2)
    g_ref = 0.0 if ref == br else (g1 if ref < br else g2)
    model = beta**eta * D0 * (br / ref) ** g_ref * (rig / br) ** g_of
    fit = quality(rig, model, D)
    comments = (
        *_header(coefficients, "GALPROP"),
        f"D_xx = {_COMPONENT_TEXT[component]}; D = beta^D_eta D0_xx (D_rigid_br/D_rigid_ref)^g_ref "
        "(rho/D_rigid_br)^(D_g_1 below, D_g_2 above D_rigid_br) (GALPROP D_xx.cc)",
        "fit over " + fit.describe(),
    )
    params = GalpropParameters(
        D0_xx=D0,
        D_rigid_ref=ref * 1e3,
        D_rigid_br=br * 1e3,
        D_g_1=g1,
        D_g_2=g2,
        D_eta=eta,
        component=component,
        fit=fit,
        comments=comments,
    )
    _write(path, params.to_galdef())
    return params


_COMPONENT_TEXT = {
    "trace": "(D_par + 2 D_perp)/3",
    "par": "D_par",
    "perp": "D_perp",
}


def _params_dict(params: Any) -> dict[str, Any]:
    """A parameter set's fields as JSON-safe values, fits as dicts, without the comments."""
    out = {}
    for name in params.__dataclass_fields__:
        value = getattr(params, name)
        if name != "comments":
            out[name] = value.to_dict() if isinstance(value, FitQuality) else value
    return out


# --------------------------------------------------------------------------- DRAGON2


@dataclass(frozen=True, slots=True, kw_only=True)
class Dragon2Parameters:
    """DRAGON2's diffusion parameters (XML tag names) fitted to a model; see
    :func:`export_dragon2`.

    Attributes
    ----------
    D0_1e28, DPar_1e28, DPerp_1e28 : float
        Isotropic, parallel and perpendicular D at ``DiffRefRig`` for :math:`\\beta = 1`, in
        units of 1e28 cm^2/s.
    DiffRefRig : float
        Reference rigidity, GV.
    Delta, DeltaPar, DeltaPerp : float
        Power-law indices.
    etaT, etaTPar, etaTPerp : float
        Velocity exponents.
    component : {'trace', 'par', 'perp'}
        What the isotropic ``D0_1e28`` describes.
    is_anisotropic : bool
        Whether the ``AnisotropicDiffusion`` block is written.
    fit, fit_par, fit_perp : FitQuality
        Residuals of DRAGON2's formula: isotropic, parallel and perpendicular parts.
    comments : tuple of str
    """

    D0_1e28: float
    DiffRefRig: float
    Delta: float
    etaT: float
    DPar_1e28: float
    DeltaPar: float
    etaTPar: float
    DPerp_1e28: float
    DeltaPerp: float
    etaTPerp: float
    component: str
    is_anisotropic: bool
    fit: FitQuality
    fit_par: FitQuality
    fit_perp: FitQuality
    comments: tuple[str, ...] = ()

    def to_xml(self) -> str:
        """The ``<Diffusion>`` element (to paste into ``<Galaxy>``), comments first."""

        def tag(name: str, value: float, indent: str = "  ") -> str:
            return f'{indent}<{name} value="{value:.6g}" />'

        lines = [f"<!-- {c.replace('--', '- -')} -->" for c in self.comments]
        lines += [
            '<Diffusion type="Constant">',
            tag("D0_1e28", self.D0_1e28),
            tag("DiffRefRig", self.DiffRefRig),
            tag("Delta", self.Delta),
            tag("etaT", self.etaT),
        ]
        if self.is_anisotropic:
            lines += [
                "  <!-- 3D grids only: DRAGON2's 2D grids take no anisotropic diffusion -->",
                "  <AnisotropicDiffusion>",
                tag("DPar_1e28", self.DPar_1e28, "    "),
                tag("etaTPar", self.etaTPar, "    "),
                tag("DeltaPar", self.DeltaPar, "    "),
                tag("DPerp_1e28", self.DPerp_1e28, "    "),
                tag("etaTPerp", self.etaTPerp, "    "),
                tag("DeltaPerp", self.DeltaPerp, "    "),
                "  </AnisotropicDiffusion>",
            ]
        lines.append("</Diffusion>")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe values (the parameters and the fits)."""
        return _params_dict(self)


def export_dragon2(
    coefficients: xr.Dataset,
    path: str | Path | None = None,
    *,
    component: Component = "trace",
    reference_rigidity: float | str = 4.0,
    eta: float = 1.0,
    is_anisotropic: bool = False,
) -> Dragon2Parameters:
    r"""Fit DRAGON2's power laws to the coefficients and write its ``<Diffusion>`` XML block.

    Parameters
    ----------
    coefficients : xarray.Dataset
        From :func:`diffusion_coefficients`; rigidities where the transport is not diffusive
        are left out (AccuracyWarning).
    path : str or Path, optional
        File to write the block to.
    component : {'trace', 'par', 'perp'}, default: 'trace'
        What the isotropic ``D0_1e28``/``Delta`` describe (see :func:`export_galprop`).
    reference_rigidity : float or str, default: 4
        ``DiffRefRig``, GV (or a string such as ``"4GV"``).
    eta : float, default: 1
        ``etaT``, ``etaTPar`` and ``etaTPerp`` (1 is exact in the velocity, see
        :func:`export_galprop`).
    is_anisotropic : bool, default: False
        Also write ``<AnisotropicDiffusion>`` with the parallel and perpendicular parts, for
        **3D grids only**: in a 3D run DRAGON2 then diffuses along and across the regular
        field with them. Any such block switches DRAGON2 to anisotropic diffusion, which its
        2D grids do not support (``galaxy.cc`` then builds no isotropic coefficient), so the
        default writes only the isotropic parameters.

    Returns
    -------
    Dragon2Parameters
        ``to_xml()`` gives the text written.

    Raises
    ------
    ValueError
        For an unknown ``component``, a non-positive reference rigidity, or fewer than 2
        diffusive rigidities.

    Notes
    -----
    Least squares of :math:`\ln(D/\beta^\eta)` versus :math:`\ln\mathcal R`, separately for
    each part, with DRAGON2's :math:`D = D_0\beta^{\eta_T}(\mathcal R/\mathcal
    R_{ref})^\delta` (``diffusion.cc``; the anisotropic parts share ``DiffRefRig``). No break
    is written: DRAGON2's ``Delta_h`` then defaults to ``Delta`` (a single power law).
    DRAGON2's 2D coefficient uses the power law only for ``Delta > 0`` and substitutes a
    built-in fit otherwise, so a fitted isotropic ``Delta <= 0`` gets an AccuracyWarning.

    References
    ----------
    C. Evoli et al., JCAP 02 (2017) 015; github.com/cosmicrays/DRAGON2-Beta_version,
    ``input.cc`` (tag names, the 1e28 cm^2/s unit) and ``diffusion.cc`` (the formula).
    """
    exporter = "export_dragon2"
    check_choice("component", component, _COMPONENTS)
    eta = check_real("eta", eta, low=-10.0, high=10.0)
    ref = _gv("reference_rigidity", reference_rigidity)
    needs = ("par", "perp") if is_anisotropic else _needs(component)
    keep = diffusive_points(coefficients, needs, n_min=2, exporter=exporter)
    rig = np.asarray(coefficients["rigidity"].values, dtype=np.float64)[keep]
    beta = np.asarray(coefficients["beta"].values, dtype=np.float64)[keep]
    fits: dict[str, tuple[float, float, FitQuality]] = {}
    for part in ("iso", "par", "perp"):
        D = _component(coefficients, component if part == "iso" else part)[keep] / _CM2
        D0, delta = fit_power_law(rig, D / beta**eta, ref)
        fits[part] = (D0 / 1e28, delta, quality(rig, beta**eta * D0 * (rig / ref) ** delta, D))
    comments = (
        *_header(coefficients, "DRAGON2"),
        f"D0_1e28 describes {_COMPONENT_TEXT[component]}; D = D0 1e28 cm^2/s beta^etaT "
        "(R/DiffRefRig)^Delta (DRAGON2 diffusion.cc)",
        "isotropic fit over " + fits["iso"][2].describe(),
        "parallel fit: " + fits["par"][2].describe(),
        "perpendicular fit: " + fits["perp"][2].describe(),
    )
    params = Dragon2Parameters(
        D0_1e28=fits["iso"][0],
        DiffRefRig=ref,
        Delta=fits["iso"][1],
        etaT=eta,
        DPar_1e28=fits["par"][0],
        DeltaPar=fits["par"][1],
        etaTPar=eta,
        DPerp_1e28=fits["perp"][0],
        DeltaPerp=fits["perp"][1],
        etaTPerp=eta,
        component=component,
        is_anisotropic=bool(is_anisotropic),
        fit=fits["iso"][2],
        fit_par=fits["par"][2],
        fit_perp=fits["perp"][2],
        comments=comments if is_anisotropic else comments[:-2],
    )
    if params.Delta <= 0.0:
        warnings.warn(
            f"export_dragon2: the fitted isotropic Delta = {params.Delta:.4g} is not positive; "
            "DRAGON2's 2D diffusion coefficient uses its power law only for Delta > 0 and "
            "substitutes a built-in energy dependence otherwise (diffusion.cc), so a 2D run "
            "would not use these numbers.",
            AccuracyWarning,
            stacklevel=2,
        )
    _write(path, params.to_xml())
    return params


# --------------------------------------------------------------------------- CRPropa


@dataclass(frozen=True, slots=True, kw_only=True)
class CRPropaParameters:
    """CRPropa 3 ``DiffusionSDE`` parameters fitted to a model; see :func:`export_crpropa`.

    Attributes
    ----------
    scale : float
        ``setScale``: :math:`D_\\parallel` at :math:`|E/q| = 4` GV in units of
        6.1e24 m^2/s.
    alpha : float
        ``setAlpha``: the index of :math:`D_\\parallel` in :math:`|E/q|`.
    epsilon : float
        The constructor's ``epsilon`` = :math:`D_\\perp/D_\\parallel`.
    fit_par, fit_perp : FitQuality
        Residuals of CRPropa's :math:`D_\\parallel` and :math:`\\epsilon D_\\parallel`.
    comments : tuple of str
    """

    scale: float
    alpha: float
    epsilon: float
    fit_par: FitQuality
    fit_perp: FitQuality
    comments: tuple[str, ...] = ()

    def to_python(self) -> str:
        """A Python snippet: ``#`` comments and the assignments ``scale``, ``alpha``,
        ``epsilon``, with how to pass them to DiffusionSDE."""
        lines = _comment(self.comments, "#")
        lines += [
            f"scale = {self.scale!r}",
            f"alpha = {self.alpha!r}",
            f"epsilon = {self.epsilon!r}",
            "# usage: sde = DiffusionSDE(field, tolerance, minStep, maxStep, epsilon)",
            "#        sde.setScale(scale); sde.setAlpha(alpha)",
        ]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe values (the parameters and the fits)."""
        return _params_dict(self)


def export_crpropa(coefficients: xr.Dataset, path: str | Path | None = None) -> CRPropaParameters:
    r"""Fit CRPropa 3's ``DiffusionSDE`` law to the coefficients and write its parameters.

    Parameters
    ----------
    coefficients : xarray.Dataset
        From :func:`diffusion_coefficients`; rigidities where either transport is not
        diffusive are left out (AccuracyWarning).
    path : str or Path, optional
        File to write the Python snippet to.

    Returns
    -------
    CRPropaParameters
        ``to_python()`` gives the text written.

    Raises
    ------
    ValueError
        If fewer than 2 rigidities are diffusive, or a fitted value is outside what
        DiffusionSDE accepts (:math:`0 \le \alpha \le 2`, :math:`0 \le \epsilon \le 1`; its
        setters throw): the message gives the value and suggests a narrower rigidity range.

    Notes
    -----
    CRPropa evaluates :math:`D_\parallel = \mathrm{scale}\cdot 6.1\times10^{24}
    (|E/q|/4\,\mathrm{GV})^\alpha` m^2/s at :math:`|E/q|` with :math:`E` the total energy
    (``DiffusionSDE::process``: ``rig = current.getEnergy() / current.getCharge()``), and
    :math:`D_\perp = \epsilon D_\parallel`, with no separate velocity factor. The fit is
    therefore in :math:`\ln D_\parallel` versus :math:`\ln(E/|Z|e)`, :math:`E =
    \sqrt{(|Z|e\mathcal R)^2 + (mc^2)^2}`, so that CRPropa reproduces the model at the
    energies it will use (below a few GV this differs from the rigidity); :math:`\ln\epsilon`
    is the mean of :math:`\ln(D_\perp/D_\parallel^{fit})` (least squares).

    References
    ----------
    CRPropa 3, ``src/module/DiffusionSDE.cpp`` (``calculateBTensor``, the setters' limits);
    L. Merten et al., JCAP 06 (2017) 046.
    """
    exporter = "export_crpropa"
    keep = diffusive_points(coefficients, ("par", "perp"), n_min=2, exporter=exporter)
    a = coefficients.attrs
    rig = np.asarray(coefficients["rigidity"].values, dtype=np.float64)[keep]
    species = units.Species(
        name=str(a.get("species", "proton")),
        rest_energy_eV=float(a.get("rest_energy_eV", units.PROTON.rest_energy_eV)),
        charge_number=int(a.get("charge_number", 1)),
    )
    T = units.rigidity_to_scaled(rig, species=species, unit="GV")  # kinetic energy, m c^2
    e_over_q = (1.0 + T) * species.rest_energy_eV / abs(species.charge_number)  # E / |Z| e, V
    D_par = diffusion_in(coefficients, "D_par")[keep]
    D_perp = diffusion_in(coefficients, "D_perp")[keep]
    D_ref, alpha = fit_power_law(e_over_q, D_par, CRPROPA_REFERENCE_V)
    fitted_par = D_ref * (e_over_q / CRPROPA_REFERENCE_V) ** alpha
    epsilon = float(np.exp(np.mean(np.log(D_perp / fitted_par))))
    scale = D_ref / CRPROPA_D0
    problems = []
    if not 0.0 <= alpha <= 2.0:
        problems.append(f"alpha = {alpha:.4g} is outside DiffusionSDE's [0, 2]")
    if not 0.0 <= epsilon <= 1.0:
        problems.append(f"epsilon = D_perp/D_par = {epsilon:.4g} is outside DiffusionSDE's [0, 1]")
    if problems:
        raise ValueError(
            f"{exporter}: " + "; ".join(problems) + f" over rigidities [{rig.min():.4g}, "
            f"{rig.max():.4g}] GV; CRPropa would refuse these values. Fit a narrower rigidity "
            "range, or use export_table for a tabulated D."
        )
    fit_par = quality(rig, fitted_par, D_par)
    fit_perp = quality(rig, epsilon * fitted_par, D_perp)
    comments = (
        *_header(coefficients, "CRPropa 3 DiffusionSDE"),
        "D_par = scale * 6.1e24 m^2/s * (|E/q| / 4 GV)^alpha, D_perp = epsilon * D_par, "
        "E the total energy (CRPropa DiffusionSDE.cpp)",
        "parallel fit over " + fit_par.describe(),
        "perpendicular fit over " + fit_perp.describe(),
    )
    params = CRPropaParameters(
        scale=float(scale),
        alpha=float(alpha),
        epsilon=epsilon,
        fit_par=fit_par,
        fit_perp=fit_perp,
        comments=comments,
    )
    _write(path, params.to_python())
    return params


# --------------------------------------------------------------------------- table

_TABLE_COLUMNS = ("D_par", "D_par_std", "D_perp", "D_perp_std")


def export_table(
    coefficients: xr.Dataset,
    path: str | Path,
    *,
    diffusion_unit: str = "m2/s",
) -> Path:
    """Write D_par and D_perp (with their standard deviations) versus rigidity as a table.

    Parameters
    ----------
    coefficients : xarray.Dataset
        From :func:`diffusion_coefficients`.
    path : str or Path
        ``.nc``: netCDF (the Dataset's rigidity, energy and speed coordinates, the four
        coefficients, the flags and every attribute); ``.csv``: comma-separated values, with
        ``#`` comment lines that give the provenance and each column's unit, then a header
        row ``rigidity_GV,kinetic_energy_GeV,beta,D_par_m2/s,...``.
    diffusion_unit : str, default: 'm2/s'
        Unit of the coefficients (``'m2/s'`` or ``'cm2/s'``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        For another suffix or an unknown unit.
    """
    from crtransport.coefficients._physical import convert_units

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".nc", ".csv"):
        raise ValueError(f"`path` must end in '.nc' or '.csv'; got {path.name!r}.")
    table = convert_units(coefficients, diffusion=diffusion_unit)
    keep = [n for n in (*_TABLE_COLUMNS, "is_diffusive_par", "is_diffusive_perp") if n in table]
    table = table[keep]
    table = table.drop_vars(
        [c for c in table.coords if c not in ("rigidity", "kinetic_energy", "beta")]
    )
    if suffix == ".nc":
        table.to_netcdf(path, engine="netcdf4", format="NETCDF4")
        return path
    columns = {"rigidity": "GV", "kinetic_energy": "GeV", "beta": "1"}
    columns.update({name: table[name].attrs["units"] for name in keep})
    header = _comment(_header(coefficients, "Diffusion-coefficient table"), "#")
    header += [
        f"# {name}: {table[name].attrs.get('long_name', name)} ({unit})"
        for name, unit in columns.items()
    ]
    rows = [",".join(f"{name}_{unit}" for name, unit in columns.items())]
    values = [np.asarray(table[name].values) for name in columns]
    for row in zip(*values, strict=True):
        rows.append(",".join(_cell(x) for x in row))
    path.write_text("\n".join([*header, *rows]) + "\n")
    return path


def _cell(x: Any) -> str:
    if isinstance(x, np.bool_ | bool):
        return str(int(x))
    return repr(float(x)) if math.isfinite(float(x)) else "nan"
