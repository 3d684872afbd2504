"""``crtransport simulate``: one test-particle run from the command line."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from crtransport._cli_units import DIFFUSION_UNITS, add_input_arguments, resolve_inputs


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
    p.add_argument("--n-particles", type=int, default=10_000)
    p.add_argument("--n-waves", type=int, default=500)
    p.add_argument("--dt", type=float, default=None, help="time step in 1/omega_c")
    p.add_argument("--t-max", type=float, default=None, help="run length in 1/omega_c")
    p.add_argument("--model", default="2d", choices=["2d", "slab", "isotropic", "composite"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    inputs = resolve_inputs(args)
    given = {name: float(values[0]) for name, values in inputs.values.items()}

    from crtransport._simulate import simulate

    res = simulate(
        T=given["T"],
        b=given["b"],
        lambda_perp=given["lambda_perp"],
        lambda_par=given.get("lambda_par"),
        mu=given.get("mu", 0.5),
        n_particles=args.n_particles,
        n_waves=args.n_waves,
        dt=args.dt,
        t_max=args.t_max,
        model=args.model,
        seed=args.seed,
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
        lengths = f"lambda_perp={given['lambda_perp']:g}" + (
            f" lambda_par={given['lambda_par']:g}" if "lambda_par" in given else ""
        )
        print(
            f"T={c.T:g} b={c.b:g} {lengths} mu={c.mu:g} model={c.model} "
            f"({c.n_particles} particles, {c.n_waves} waves, {c.n_steps} steps of dt={c.dt:.4g})"
        )
        print(f"D_perp = {res.D_perp:.6g} ± {res.D_perp_err:.2g}   converged: {res.converged}")
        print(f"D_par  = {res.D_par:.6g} ± {res.D_par_err:.2g}   converged: {res.converged_par}")
        print(f"units: rho0^2 omega_c; wall time {res.wall_time:.2f} s")
        if scale is not None:
            print(scale.describe())
            for unit in DIFFUSION_UNITS:
                perp, perp_err, par, par_err = (
                    float(scale.diffusion(v, unit)) for v in coefficients.values()
                )
                print(
                    f"D_perp = {perp:.6g} ± {perp_err:.2g} {unit}   "
                    f"D_par = {par:.6g} ± {par_err:.2g} {unit}"
                )
    return 0 if math.isfinite(res.D_perp) else 1
