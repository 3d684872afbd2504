"""The model protocol the physical-unit functions and the exporters are written against, the
analytic model that implements it from theory, and the model sources by name (the general
surrogate first)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport._validation import AccuracyWarning, check_real

#: The inputs of a transport model, in the order of :meth:`TransportModel.predict_dimensionless`.
INPUTS = ("R", "b", "anisotropy", "slab_fraction")

#: The outputs every :class:`TransportModel` returns.
OUTPUTS = (
    "d_perp",
    "d_perp_std",
    "d_par",
    "d_par_std",
    "is_diffusive_perp",
    "is_diffusive_par",
)

#: The domain of the general surrogate (trained on the general database): R = r_L/lambda_perp,
#: b = dB/B0, anisotropy = lambda_par/lambda_perp and the slab energy fraction.
GENERAL_DOMAIN: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "R": (0.05, 50.0),
        "b": (0.05, 2.0),
        "anisotropy": (1.0, 100.0),
        "slab_fraction": (0.0, 0.5),
    }
)


@runtime_checkable
class TransportModel(Protocol):
    """What :func:`diffusion_coefficients` and the exporters need from a transport model.

    A model predicts, in the dimensionless variables of magnetostatic similarity
    (:doc:`/guide/coefficients`), :math:`d = D / (v \\lambda_\\perp)` as a function of
    :math:`R = r_L/\\lambda_\\perp` (:math:`r_L = p c/(|q| B_0)`), :math:`b = \\delta B/B_0`,
    ``anisotropy`` :math:`= \\lambda_\\parallel/\\lambda_\\perp` and ``slab_fraction`` (slab
    energy share of composite slab + 2D turbulence), pitch-angle averaged.
    The general surrogate (``Surrogate.pretrained("general")``, a
    :class:`~crtransport.surrogate.TransportSurrogate`) and :class:`TheoryModel` implement it.
    """

    def predict_dimensionless(
        self, R: ArrayLike, b: ArrayLike, anisotropy: ArrayLike, slab_fraction: ArrayLike
    ) -> Mapping[str, NDArray[Any]]:
        """Predict at the broadcast inputs, inside the domain or not (the caller checks
        :attr:`domain` and applies its own policy; :func:`diffusion_coefficients` does).

        Returns a mapping with the keys ``'d_perp'``, ``'d_perp_std'``, ``'d_par'``,
        ``'d_par_std'`` (:math:`D/(v\\lambda_\\perp)`, float, >= 0) and ``'is_diffusive_perp'``,
        ``'is_diffusive_par'`` (bool), each of the broadcast shape of the inputs.
        """
        ...

    @property
    def domain(self) -> Mapping[str, tuple[float, float]]:
        """Closed interval of each input (``'R'``, ``'b'``, ``'anisotropy'``,
        ``'slab_fraction'``) where the model is trusted."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TheoryModel:
    r"""Stand-in transport model from the analytic theories of :mod:`crtransport.theory`.

    **What it is.** Not a fit to simulations: for each input it builds the library's composite
    slab + 2D turbulence (:class:`~crtransport.turbulence.CompositeTurbulence`, default wave-number
    bands, spectral indices q = 3, s = 5/3) and evaluates

    * :math:`D_\parallel`: quasi-linear theory of its slab component
      (:func:`~crtransport.theory.qlt_parallel_diffusion`, Jokipii 1966; the 2D component does
      not scatter, as in Bieber et al. 1994);
    * :math:`D_\perp`: the midpoint of NLGC (Matthaeus et al. 2003) and UNLT (Shalchi 2010)
      with that :math:`D_\parallel` (:func:`~crtransport.theory.nlgc_perpendicular_diffusion`,
      :func:`~crtransport.theory.unlt_perpendicular_diffusion`), both with ``a2``.

    **Its "standard deviations"** are model spreads, not statistical errors:
    ``d_perp_std`` is half the NLGC-UNLT difference; ``d_par_std`` is the part of the QLT
    :math:`D_\parallel` that comes from the resonance gap of the wave-number band
    (``details['gap_fraction']`` of :func:`~crtransport.theory.qlt_parallel_diffusion`:
    pitch angles with no resonant wave in the band, bridged by the spectrum continued beyond
    it), which no resonant theory fixes.

    **Validity.** QLT is first order in :math:`b^2` (:data:`~crtransport.theory.QLT_MAX_B`
    = 0.3); above, and for the nonlinear theories' constant ``a2``, the numbers are
    order-of-magnitude estimates. The theories' accuracy warnings are not repeated for every
    grid point; the validation page of the documentation measures the errors. Transport is
    always reported diffusive where the implicit equations converged. The general surrogate
    (model source ``"general"``) gives simulated coefficients instead; this model is the
    analytic comparison.

    Similarity is exact in these theories (magnetostatic turbulence): each point is evaluated
    at ``T = 1`` (m c^2) with :math:`\lambda_\perp = r_L / R`, and the result holds for every
    species and energy with the same inputs.

    Parameters
    ----------
    a2 : float, default: 1/3
        The constant :math:`a^2` of NLGC and UNLT (Matthaeus et al. 2003 fit 1/3), in (0, 10].

    Notes
    -----
    About 20 ms per distinct input point on one core.

    References
    ----------
    J. R. Jokipii, ApJ 146, 480 (1966); J. W. Bieber et al., ApJ 420, 294 (1994);
    W. H. Matthaeus et al., ApJ 590, L53 (2003); A. Shalchi, ApJ 720, L127 (2010).

    Examples
    --------
    >>> from crtransport.coefficients import TheoryModel
    >>> out = TheoryModel().predict_dimensionless(R=0.1, b=0.2, anisotropy=10.0,
    ...                                           slab_fraction=0.2)
    >>> round(float(out["d_par"]), 1), round(float(out["d_perp"]), 4)
    (460.3, 0.0077)
    """

    a2: float = 1.0 / 3.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "a2", check_real("a2", self.a2, low=0.0, high=10.0, low_open=True))

    @property
    def domain(self) -> Mapping[str, tuple[float, float]]:
        """The general domain, except ``slab_fraction >= 0.01``: QLT needs slab waves to
        scatter (at 0 it gives :math:`D_\\parallel = \\infty`)."""
        return {**GENERAL_DOMAIN, "slab_fraction": (0.01, 0.5)}

    def predict_dimensionless(
        self, R: ArrayLike, b: ArrayLike, anisotropy: ArrayLike, slab_fraction: ArrayLike
    ) -> dict[str, NDArray[Any]]:
        """:math:`d = D/(v\\lambda_\\perp)` at the broadcast inputs; see :class:`TransportModel`.

        Raises
        ------
        ValueError
            If an input is not finite, ``R``, ``b`` or ``anisotropy`` is not positive, or
            ``slab_fraction`` is not in (0, 1].
        """
        arrays = np.broadcast_arrays(
            *(np.asarray(x, dtype=np.float64) for x in (R, b, anisotropy, slab_fraction))
        )
        for name, arr, low, high in zip(
            INPUTS, arrays, (0.0, 0.0, 0.0, 0.0), (math.inf, math.inf, math.inf, 1.0), strict=True
        ):
            bad = ~(np.isfinite(arr) & (arr > low) & (arr <= high))
            if np.any(bad):
                interval = f"(0, {high:g}]" if math.isfinite(high) else "(0, inf)"
                value = float(arr[bad].ravel()[0])
                raise ValueError(f"`{name}` must be in {interval}; got {value:g}.")
        shape = arrays[0].shape
        points = np.stack([a.ravel() for a in arrays], axis=1)
        unique, inverse = np.unique(points, axis=0, return_inverse=True)
        values = np.array([self._point(*row) for row in unique]).reshape(len(unique), 6)
        columns = values[np.ravel(inverse)]
        out: dict[str, NDArray[Any]] = {}
        for j, key in enumerate(OUTPUTS):
            col = columns[:, j].reshape(shape)
            out[key] = col.astype(bool) if key.startswith("is_") else col
        return out

    def _point(self, R: float, b: float, anisotropy: float, slab_fraction: float) -> list[float]:
        from crtransport.theory import (
            nlgc_perpendicular_diffusion,
            qlt_parallel_diffusion,
            unlt_perpendicular_diffusion,
        )
        from crtransport.turbulence import CompositeTurbulence

        T = 1.0
        v = math.sqrt(3.0) / 2.0  # speed at T = 1 (c)
        r_l = math.sqrt(3.0)  # gamma v at T = 1 (rho0)
        lambda_perp = r_l / R
        turb = CompositeTurbulence(
            b=b,
            lambda_perp=lambda_perp,
            lambda_par=anisotropy * lambda_perp,
            slab_fraction=slab_fraction,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AccuracyWarning)
            par = qlt_parallel_diffusion(turb, T)
            nlgc = nlgc_perpendicular_diffusion(turb, T, D_par=par.value, a2=self.a2)
            unlt = unlt_perpendicular_diffusion(turb, T, D_par=par.value, a2=self.a2)
        scale = v * lambda_perp
        d_par = par.value / scale
        d_perp = 0.5 * (nlgc.value + unlt.value) / scale
        d_perp_std = 0.5 * abs(nlgc.value - unlt.value) / scale
        d_par_std = float(par.details["gap_fraction"]) * d_par
        is_perp = bool(nlgc.converged and unlt.converged and math.isfinite(d_perp))
        return [d_perp, d_perp_std, d_par, d_par_std, float(is_perp), float(math.isfinite(d_par))]


def _general() -> TransportModel:
    from crtransport.surrogate import Surrogate

    return Surrogate.pretrained("general")  # type: ignore[return-value]


#: Model sources by name: a factory returning the model (``get_model``, the CLI's
#: ``--model-source``; the first is the CLI's default). ``"general"`` is the pretrained
#: TransportSurrogate (an installation without its file gets a FileNotFoundError saying why).
_SOURCES: dict[str, Callable[[], TransportModel]] = {
    "general": _general,
    "theory": TheoryModel,
}


def model_sources() -> tuple[str, ...]:
    """Names :func:`get_model` knows: ``('general', 'theory')``."""
    return tuple(_SOURCES)


def get_model(model: str | TransportModel) -> TransportModel:
    """Return a :class:`TransportModel` from a source name (``'general'``, ``'theory'``) or a
    model.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    TypeError
        For an object that does not implement :class:`TransportModel`.
    """
    if isinstance(model, str):
        if model not in _SOURCES:
            allowed = ", ".join(repr(s) for s in _SOURCES)
            raise ValueError(
                f"`model` must be one of {allowed} or a TransportModel; got {model!r}."
            )
        return _SOURCES[model]()
    if not isinstance(model, TransportModel):
        raise TypeError(
            "`model` must be a model source name or implement TransportModel "
            f"(predict_dimensionless and domain); got {type(model).__name__}."
        )
    return model
