"""``crtransport coefficients``: diffusion coefficients in physical units, and their exports.

xarray and the exporters' fits load inside the command function; building the parser imports
only the list of model sources.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from crtransport.cli._options import add_json
from crtransport.cli._units import _quantity, _species
from crtransport.coefficients._model import model_sources

#: The exports ``--export`` writes, by code.
_EXPORTS = ("galprop", "dragon2", "crpropa")

#: The columns of the printed table: (variable, header).
_COLUMNS = (
    ("rigidity", "rigidity_GV"),
    ("kinetic_energy", "T_GeV"),
    ("R", "R"),
    ("D_par", "D_par"),
    ("D_par_std", "D_par_std"),
    ("D_perp", "D_perp"),
    ("D_perp_std", "D_perp_std"),
    ("mean_free_path_par", "mfp_par_au"),
    ("mean_free_path_perp", "mfp_perp_au"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``coefficients`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "coefficients",
        help="D_par and D_perp in m^2/s for a species, rigidities or energies, B0, lambda_perp",
        description="Diffusion coefficients in physical units from a transport model "
        "(crtransport.diffusion_coefficients): give a species, rigidities or kinetic energies, "
        "the mean field B0 and the perpendicular bend-over scale with units, and the "
        "dimensionless turbulence (--b, --anisotropy, --slab-fraction). Prints a table, or "
        "writes netCDF/CSV (-o FILE.nc / FILE.csv), or the parameters of a propagation code "
        "fitted over the rigidities (--export galprop|dragon2|crpropa, to stdout or -o).",
        epilog="example: crtransport coefficients --rigidity 1GV 100GV --n-points 10 --B0 5nT "
        "--lambda-perp 0.01au --b 1 --export galprop",
    )
    p.add_argument(
        "--model-source",
        choices=model_sources(),
        default=model_sources()[0],
        help="which transport model: 'general' is the surrogate trained on the general "
        "database of simulations; 'theory' the analytic comparison (QLT D_par, NLGC/UNLT "
        f"D_perp; crtransport.coefficients.TheoryModel) (default: {model_sources()[0]})",
    )
    p.add_argument(
        "--species",
        default="proton",
        metavar="NAME",
        help="proton, electron, helium, ..., or any nucleus (56Fe, A=56,Z=26) (default: proton)",
    )
    grid = p.add_mutually_exclusive_group(required=True)
    grid.add_argument(
        "--rigidity",
        nargs="+",
        metavar="RIGIDITY",
        help="rigidities with a unit (1GV 10GV ...; V, kV, MV, GV, TV)",
    )
    grid.add_argument(
        "--energy",
        nargs="+",
        metavar="ENERGY",
        help="kinetic energies with a unit (1GeV ...), or per nucleon (1GeV/n ...; nuclei)",
    )
    p.add_argument(
        "--n-points",
        type=int,
        default=None,
        metavar="N",
        help="with two values of --rigidity or --energy: N log-spaced points between them",
    )
    p.add_argument("--B0", required=True, metavar="FIELD", help="mean field, e.g. 5nT or 3uG")
    p.add_argument(
        "--lambda-perp",
        required=True,
        metavar="LENGTH",
        help="perpendicular bend-over scale with a unit, e.g. 0.01au, 10pc, 1e6km",
    )
    p.add_argument("--b", type=float, required=True, help="RMS turbulent field dB/B0")
    p.add_argument(
        "--anisotropy", type=float, default=10.0, help="lambda_par/lambda_perp (default: 10)"
    )
    p.add_argument(
        "--slab-fraction",
        type=float,
        default=0.2,
        help="slab energy share of the composite slab + 2D turbulence (default: 0.2)",
    )
    p.add_argument(
        "--on-extrapolate",
        choices=("raise", "warn", "ignore"),
        default="raise",
        help="inputs outside the model's domain (default: raise, an error)",
    )
    p.add_argument(
        "--export",
        choices=_EXPORTS,
        default=None,
        help="fit and print (or write to -o) the parameters of GALPROP (galdef lines), "
        "DRAGON2 (XML <Diffusion> block) or CRPropa 3 (DiffusionSDE scale, alpha, epsilon)",
    )
    p.add_argument(
        "--component",
        choices=("trace", "par", "perp"),
        default="trace",
        help="what an isotropic coefficient (GALPROP D_xx, DRAGON2 D0) describes: "
        "(D_par + 2 D_perp)/3, D_par or D_perp (default: trace)",
    )
    p.add_argument(
        "--anisotropic",
        action="store_true",
        help="with --export dragon2: also write the <AnisotropicDiffusion> block of D_par and "
        "D_perp (DRAGON2 3D grids only)",
    )
    p.add_argument(
        "--unit",
        choices=("m2/s", "cm2/s"),
        default="m2/s",
        help="unit of the printed or tabulated coefficients (default: m2/s)",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write instead of printing: FILE.nc or FILE.csv (the table), or the --export text",
    )
    add_json(p)
    p.set_defaults(func=_run)


def _grid(args: argparse.Namespace) -> tuple[str, list[float], str]:
    """(keyword, values, unit) of the grid: rigidities in V or energies in eV (per nucleon)."""
    flag, texts = ("--rigidity", args.rigidity) if args.rigidity else ("--energy", args.energy)
    kind = "rigidity" if flag == "--rigidity" else "energy"
    per_nucleon = {t.strip().endswith("/n") for t in texts}
    if len(per_nucleon) > 1:
        raise ValueError(f"{flag}: give every energy per nucleon ('/n') or none of them.")
    is_per_nucleon = per_nucleon.pop()
    if is_per_nucleon and kind == "rigidity":
        raise ValueError(f"{flag}: '/n' (per nucleon) is for --energy; got {texts[0]!r}.")
    values = [_quantity(flag, t.strip().removesuffix("/n"), kind) for t in texts]
    if args.n_points is not None:
        if len(values) != 2 or args.n_points < 2:
            raise ValueError(
                f"--n-points: needs exactly two values of {flag} (the ends) and N >= 2; got "
                f"{len(values)} values and N = {args.n_points}."
            )
        values = list(np.geomspace(values[0], values[1], args.n_points))
    unit = "V" if kind == "rigidity" else ("eV/n" if is_per_nucleon else "eV")
    return kind, values, unit


def _run(args: argparse.Namespace) -> int:
    species = _species(args.species)
    B0 = _quantity("--B0", args.B0, "field")
    lambda_perp = _quantity("--lambda-perp", args.lambda_perp, "length")
    kind, values, unit = _grid(args)
    out = args.output
    if out is not None and args.export is None and out.suffix.lower() not in (".nc", ".csv"):
        raise ValueError(f"-o/--output: {out} must end in .nc or .csv (or give --export).")
    if args.anisotropic and args.export != "dragon2":
        raise ValueError(f"--anisotropic goes with --export dragon2; got --export {args.export}.")

    from crtransport.coefficients import (
        convert_units,
        diffusion_coefficients,
        export_crpropa,
        export_dragon2,
        export_galprop,
        export_table,
    )

    grid: dict[str, Any] = {kind: values, f"{kind}_unit": unit}
    ds = diffusion_coefficients(
        args.model_source,
        species=species,
        B0=B0,
        B0_unit="T",
        lambda_perp=lambda_perp,
        lambda_perp_unit="m",
        b=args.b,
        anisotropy=args.anisotropy,
        slab_fraction=args.slab_fraction,
        on_extrapolate=args.on_extrapolate,
        **grid,
    )
    if args.export is not None:
        if args.export == "galprop":
            params: Any = export_galprop(ds, out, component=args.component)
            text = params.to_galdef()
        elif args.export == "dragon2":
            params = export_dragon2(
                ds, out, component=args.component, is_anisotropic=args.anisotropic
            )
            text = params.to_xml()
        else:
            params = export_crpropa(ds, out)
            text = params.to_python()
        if args.json:
            print(json.dumps(params.to_dict()))
        elif out is None:
            sys.stdout.write(text)
        else:
            print(f"written {out}")
        return 0
    if out is not None:
        export_table(ds, out, diffusion_unit=args.unit)
        print(f"written {out}")
        return 0
    table = convert_units(ds, diffusion=args.unit, length="au")
    columns = {header: np.asarray(table[name].values) for name, header in _COLUMNS}
    if args.json:
        # strict JSON: null where a coefficient does not exist (NaN in the Dataset)
        record: dict[str, Any] = {
            h: [x if math.isfinite(x) else None for x in v.tolist()] for h, v in columns.items()
        }
        record.update(
            unit=args.unit,
            is_diffusive_par=table["is_diffusive_par"].values.tolist(),
            is_diffusive_perp=table["is_diffusive_perp"].values.tolist(),
            is_extrapolated=table["is_extrapolated"].values.tolist(),
            attrs={k: v for k, v in ds.attrs.items() if isinstance(v, str | int | float)},
        )
        print(json.dumps(record))
        return 0
    lines = [
        f"# {species.name}, B0 = {args.B0}, lambda_perp = {args.lambda_perp}, b = {args.b:g}, "
        f"lambda_par/lambda_perp = {args.anisotropy:g}, slab fraction = {args.slab_fraction:g}",
        f"# model: {ds.attrs['model']}; D in {args.unit}, mean free paths 3 D/v in au",
        " ".join(f"{h:>12s}" for h in columns) + "  flags",
    ]
    flags = zip(
        table["is_diffusive_par"].values,
        table["is_diffusive_perp"].values,
        table["is_extrapolated"].values,
        strict=True,
    )
    for row, (par, perp, extra) in zip(zip(*columns.values(), strict=True), flags, strict=True):
        note = ("" if par else " nondiff-par") + ("" if perp else " nondiff-perp")
        note += " extrapolated" if extra else ""
        lines.append(" ".join(f"{v:12.5g}" for v in row) + " " + note)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
