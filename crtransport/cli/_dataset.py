"""``crtransport build``: build a database from the command line (login-node friendly).

Examples
--------
Paper database on all local cores::

    crtransport build --space paper --n-samples 5000 --seed 7 -o db.nc

On a running Dask cluster (e.g. one started with ``dask_jobqueue.SLURMCluster``)::

    crtransport build --space space.json --n-samples 5000 -o db.nc \\
        --scheduler-address tcp://10.0.0.5:8786

Interrupted builds resume when the same command is run again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from crtransport.cli._options import (
    add_alias,
    add_output,
    add_progress,
    add_seed,
    add_settings,
    settings_from,
)

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``build`` subcommand to the ``crtransport`` parser."""
    p = subparsers.add_parser(
        "build",
        help="build a database of diffusion coefficients (resumable)",
        description=(
            "Build a database of diffusion coefficients with one simulation per sample, in "
            "parallel. Finished samples are journaled next to the output; rerunning the same "
            "command resumes an interrupted build."
        ),
    )
    add_output(p, "netCDF4 file to write", deprecated=("--out",))
    p.add_argument(
        "--space",
        default="paper",
        metavar="paper|FILE.json",
        help="'paper' (default) or a JSON file holding ParameterSpace.to_dict()",
    )
    p.add_argument(
        "--n-samples", type=int, default=None, metavar="N", help="rows (required unless a grid)"
    )
    add_seed(p, "seed of the design and the samples")
    add_settings(p)
    p.add_argument(
        "--set",
        dest="sim_extra",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a simulation setting as KEY=VALUE, VALUE as JSON (e.g. --set "
        "'k_perp_range=[0.01, 100]'); the same as its flag",
    )
    p.add_argument(
        "--analytic-fraction",
        type=float,
        default=0.0,
        metavar="F",
        help="fraction of exact b = 0 rows (default: 0)",
    )
    p.add_argument(
        "--running-times",
        default=None,
        metavar="T1,T2,...",
        help="comma-separated times (1/omega_c) at which to store running D(t)",
    )
    run = p.add_argument_group("execution")
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--n-workers",
        type=int,
        default=None,
        metavar="N",
        help="local processes (default: all cores)",
    )
    add_alias(where, "--workers", "--n-workers", dest="n_workers", type=int)
    where.add_argument(
        "--scheduler-address",
        default=None,
        metavar="ADDRESS",
        help="run on the Dask cluster at this address (needs crtransport[dist])",
    )
    where.add_argument(
        "--mpi",
        action="store_true",
        help="run on mpi4py.futures.MPIPoolExecutor (launch with mpiexec -n N python -m "
        "mpi4py.futures -m crtransport build ...)",
    )
    run.add_argument(
        "--threads-per-sample",
        type=int,
        default=1,
        metavar="N",
        help="Numba threads for each sample (default: 1)",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a file or discard a journal from a build with other settings",
    )
    add_progress(run, "samples", terminal_only=False)
    p.set_defaults(func=_run)

    r = subparsers.add_parser(
        "repair-journal",
        help="keep the intact records of a damaged build journal",
        description=(
            "Keep the intact records of the damaged journal of a build of OUT (the damaged "
            "journal is kept as OUT.journal.damaged); rerunning the build then resumes from "
            "them and reruns only the dropped samples."
        ),
    )
    r.add_argument("out", type=Path, help="the -o/--output of the build (or its .journal)")
    r.set_defaults(func=_repair)


def _repair(args: argparse.Namespace) -> int:
    from crtransport.dataset import repair_journal

    kept = repair_journal(args.out)
    sys.stdout.write(f"kept {kept} intact records; rerun the build to resume\n")
    return 0


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def build_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``build_dataset`` keyword arguments from parsed command-line arguments."""
    from crtransport.dataset import ParameterSpace

    if args.space == "paper":
        space = ParameterSpace.paper()
    else:
        source = Path(args.space)
        if not source.is_file():
            raise FileNotFoundError(f"--space: no such file {source} (or use 'paper').")
        try:
            space = ParameterSpace.from_dict(json.loads(source.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise ValueError(f"--space: {source} is not valid JSON ({exc}).") from None
    simulation = settings_from(args)
    for item in args.sim_extra:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set must look like KEY=VALUE; got {item!r}.")
        simulation[key.strip()] = _parse_value(value)
    running = None
    if args.running_times:
        try:
            running = [float(v) for v in args.running_times.split(",")]
        except ValueError:
            raise ValueError(
                f"--running-times must be comma-separated numbers; got {args.running_times!r}."
            ) from None
    return {
        "space": space,
        "n_samples": args.n_samples,
        "path": args.output,
        "seed": args.seed,
        "simulation": simulation,
        "n_workers": args.n_workers,
        "analytic_fraction": args.analytic_fraction,
        "running_times": running,
        "threads_per_sample": args.threads_per_sample,
        "overwrite": args.overwrite,
        "progress": not args.no_progress,
    }


def _run(args: argparse.Namespace) -> int:
    from crtransport.dataset import _builder

    kwargs = build_kwargs(args)
    client = None
    executor = None
    try:
        if args.scheduler_address:
            try:
                from dask.distributed import Client
            except ImportError:
                raise ImportError(
                    "--scheduler-address needs dask.distributed: pip install 'crtransport[dist]'"
                ) from None
            try:
                client = Client(args.scheduler_address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise RuntimeError(
                    f"cannot reach the Dask scheduler at {args.scheduler_address} ({exc}); "
                    "is it running, and is the address right?"
                ) from None
            executor = client.get_executor()
        elif args.mpi:
            try:
                from mpi4py.futures import MPIPoolExecutor
            except ImportError:
                raise ImportError("--mpi needs mpi4py: pip install 'crtransport[mpi]'") from None
            executor = MPIPoolExecutor()
        ds = _builder.build_dataset(executor=executor, **kwargs)
    finally:
        if args.mpi and executor is not None:
            executor.shutdown()
        if client is not None:
            client.close()
    n_bad = int((~ds["is_converged_perp"].values).sum())
    sys.stdout.write(
        f"wrote {args.output}: {ds.sizes['sample']} samples "
        f"({int(ds['is_analytic'].values.sum())} analytic, {n_bad} with D_perp not converged)\n"
    )
    return 0
