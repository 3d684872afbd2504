"""``crtransport simulate``: one test-particle run from the command line."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from crtransport.cli._options import add_json, add_progress, add_seed, add_settings, settings_from
from crtransport.cli._units import DIFFUSION_UNITS, add_input_arguments, resolve_inputs


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="run one test-particle simulation and print D_perp, D_par",
        description="Run crtransport.simulate and print the diffusion coefficients. Inputs are "
        "in the paper's scaled units (see crtransport.units) or, with --B0 (and --species), "
        "physical quantities with units: --energy 1GeV, --lambda-perp 0.01au. The results are "
        "printed in scaled units (rho0^2 omega_c) and, with --B0, also in m^2/s and cm^2/s.",
        epilog="example: crtransport simulate --species proton --energy 1GeV --B0 5nT "
        "--lambda-perp 0.01au --b 0.2",
    )
    add_input_arguments(
        p,
        several=False,
        required=True,
        notes={"lambda_par": "default: 10 lambda_perp", "mu": "default: 0.5"},
    )
    p.add_argument(
        "--isotropic",
        action="store_true",
        help="isotropic pitch angles (mu uniform in [-1, 1] per particle): pitch-angle "
        "averaged coefficients, as propagation codes use; excludes --mu",
    )
    add_seed(
        p,
        "random seed of the field realizations and initial phases; the same seed gives the "
        "same numbers on any number of threads",
    )
    add_json(p)
    add_progress(p, "blocks of particles pushed")
    add_settings(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    inputs = resolve_inputs(args)
    given = {name: float(values[0]) for name, values in inputs.values.items()}

    from crtransport._settings import SimulationSettings
    from crtransport._simulate import simulate

    if args.isotropic and "mu" in given:
        raise ValueError("--isotropic draws mu per particle: do not also give --mu.")
    settings = SimulationSettings(**settings_from(args))
    scales: dict[str, Any] = {"lambda_perp": given["lambda_perp"]}
    if settings.model == "slab":
        # slab turbulence has one scale: --lambda-par, or --lambda-perp read as it
        scales = {"lambda_par": given.get("lambda_par", given["lambda_perp"])}
    elif "lambda_par" in given:
        scales["lambda_par"] = given["lambda_par"]
    res = simulate(
        T=given["T"],
        b=given["b"],
        mu="isotropic" if args.isotropic else given.get("mu", 0.5),
        seed=args.seed,
        settings=settings,
        progress=False if args.no_progress else None,
        **scales,
    )
    coefficients = {
        "D_perp": res.D_perp,
        "D_perp_err": res.D_perp_err,
        "D_par": res.D_par,
        "D_par_err": res.D_par_err,
    }
    out: dict[str, Any] = {
        **coefficients,
        "converged": res.converged,
        "converged_par": res.converged_par,
        "stop_reason": res.stop_reason,
        "t_end": res.t_end,
        "alpha_perp": res.regime_perp.alpha,
        "alpha_perp_err": res.regime_perp.alpha_err,
        "regime_perp": res.regime_perp.regime,
        "alpha_par": res.regime_par.alpha,
        "alpha_par_err": res.regime_par.alpha_err,
        "regime_par": res.regime_par.regime,
        "wall_time_s": res.wall_time,
        "inputs": {**given, "mu": res.config.mu},
        "config": res.config.to_dict(),
    }
    scale = inputs.scale
    if scale is not None:
        out.update(scale.to_dict())
        for unit in DIFFUSION_UNITS:
            for name, value in coefficients.items():
                out[f"{name}_{unit}"] = float(scale.diffusion(value, unit))
    if args.json:
        print(json.dumps(out))
    else:
        c = res.config
        lengths = " ".join(f"{k}={v:g}" for k, v in scales.items())
        mu = "isotropic" if c.is_isotropic else f"{c.mu:g}"
        print(
            f"T={c.T:g} b={c.b:g} {lengths} mu={mu} model={c.model} R={c.R:.4g} "
            f"({c.n_particles} particles, {c.n_waves} waves, {res.n_steps} steps of "
            f"dt={c.dt:.4g}; run ended: {_STOPS[res.stop_reason]})"
        )
        for name, value, err, ok, regime in (
            ("D_perp", res.D_perp, res.D_perp_err, res.converged, res.regime_perp),
            ("D_par ", res.D_par, res.D_par_err, res.converged_par, res.regime_par),
        ):
            print(_coefficient_line(name, value, err, ok, regime, res.t_end))
        print(f"units: rho0^2 omega_c; wall time {res.wall_time:.2f} s")
        if scale is not None:
            print(scale.describe())
            for unit in DIFFUSION_UNITS:
                perp, perp_err, par, par_err = (
                    float(scale.diffusion(v, unit)) for v in coefficients.values()
                )
                print(
                    _physical("D_perp", perp, perp_err, unit, res.converged, res.regime_perp)
                    + "   "
                    + _physical("D_par", par, par_err, unit, res.converged_par, res.regime_par)
                )
    return 0 if math.isfinite(res.D_perp) else 1


_STOPS = {
    "fixed": "fixed length",
    "plateau": "plateau reached",
    "cap": "cap reached without a plateau",
}


def _bound(regime: Any) -> tuple[str, str]:
    """``(relation, words)`` for the end-of-run slope of a coefficient without a plateau.

    A running coefficient that still grows (super-diffusive, alpha > 1) only rises with a
    longer run: its end value is a lower bound; one that still falls (sub-diffusive) an upper
    bound.
    """
    if regime.alpha > 1:
        return ">=", "a lower bound: it still grows"
    if regime.alpha < 1:
        return "<=", "an upper bound: it still falls"
    return "~", "no plateau yet"


def _coefficient_line(
    name: str, value: float, err: float, ok: bool, regime: Any, t_end: float
) -> str:
    """A converged coefficient with its error, or what the run shows instead of one.

    Without a plateau there is no diffusion coefficient to give an error bar to: the line
    states the bound the end-of-run slope gives and the transport-regime exponent.
    """
    if ok:
        return f"{name} = {value:.6g} ± {err:.2g}   (converged)"
    relation, words = _bound(regime)
    return (
        f"{name.strip()} {relation} {value:.4g}   (not converged: no plateau by t = "
        f"{t_end:.4g}/omega_c; the slope at the end of the run, {words}; "
        f"<dx^2> ~ t^alpha with alpha = {regime.alpha:.3g} ± {regime.alpha_err:.2g}, "
        f"{regime.regime})"
    )


def _physical(name: str, value: float, err: float, unit: str, ok: bool, regime: Any) -> str:
    """One coefficient in a physical unit: ``= value ± err`` or, without a plateau, a bound."""
    if ok:
        return f"{name} = {value:.6g} ± {err:.2g} {unit}"
    return f"{name} {_bound(regime)[0]} {value:.4g} {unit} (no plateau)"
