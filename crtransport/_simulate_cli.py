"""``crtransport simulate``: one test-particle run from the command line."""

from __future__ import annotations

import argparse
import json
import math


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="run one test-particle simulation and print D_perp, D_par (scaled units)",
        description="Run crtransport.simulate and print the diffusion coefficients. All inputs "
        "and outputs are in the paper's scaled units (see crtransport.units).",
    )
    p.add_argument("--T", type=float, required=True, help="kinetic energy in m c^2")
    p.add_argument("--b", type=float, required=True, help="RMS turbulent field in B0")
    p.add_argument("--lambda-perp", type=float, required=True, help="bend-over scale in rho0")
    p.add_argument("--lambda-par", type=float, default=None, help="default 10 lambda_perp")
    p.add_argument("--mu", type=float, default=0.5, help="pitch cosine (default 0.5)")
    p.add_argument("--n-particles", type=int, default=10_000)
    p.add_argument("--n-waves", type=int, default=500)
    p.add_argument("--dt", type=float, default=None, help="time step in 1/omega_c")
    p.add_argument("--t-max", type=float, default=None, help="run length in 1/omega_c")
    p.add_argument("--model", default="2d", choices=["2d", "slab", "isotropic", "composite"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from crtransport._simulate import simulate

    res = simulate(
        T=args.T,
        b=args.b,
        lambda_perp=args.lambda_perp,
        lambda_par=args.lambda_par,
        mu=args.mu,
        n_particles=args.n_particles,
        n_waves=args.n_waves,
        dt=args.dt,
        t_max=args.t_max,
        model=args.model,
        seed=args.seed,
    )
    out = {
        "D_perp": res.D_perp,
        "D_perp_err": res.D_perp_err,
        "D_par": res.D_par,
        "D_par_err": res.D_par_err,
        "converged": res.converged,
        "converged_par": res.converged_par,
        "wall_time_s": res.wall_time,
        "config": res.config.to_dict(),
    }
    if args.json:
        print(json.dumps(out))
    else:
        c = res.config
        print(
            f"T={c.T:g} b={c.b:g} lambda_perp={args.lambda_perp:g} model={c.model} "
            f"({c.n_particles} particles, {c.n_waves} waves, {c.n_steps} steps of dt={c.dt:.4g})"
        )
        print(f"D_perp = {res.D_perp:.6g} ± {res.D_perp_err:.2g}   converged: {res.converged}")
        print(f"D_par  = {res.D_par:.6g} ± {res.D_par_err:.2g}   converged: {res.converged_par}")
        print(f"units: rho0^2 omega_c; wall time {res.wall_time:.2f} s")
    return 0 if math.isfinite(res.D_perp) else 1
