"""Option groups shared by the subcommands, and the deprecated spellings of renamed flags.

One vocabulary (docs, "Command line"): a flag is the keyword of the public function it feeds,
with dashes (``--n-particles`` is ``n_particles``); every command that writes a file takes it
as ``-o/--output``; every random choice is seeded by ``--seed``; ``--model`` is always the
turbulence model, and a surrogate model file is ``--surrogate``.

Nothing here imports Numba, xarray or JAX: every ``crtransport`` invocation builds all the
parsers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crtransport._settings import BACKENDS, CONVERGE, SETTINGS_DEFAULTS

#: Help of each simulation setting (the names, defaults and checks are those of
#: :class:`crtransport.SimulationSettings`; the default is appended from it).
SETTING_HELP: dict[str, str] = {
    "n_particles": "test particles, each in its own field realization; the statistical "
    "error falls as 1/sqrt(N)",
    "n_waves": "plane waves per field realization",
    "dt": "time step in 1/omega_c (default: the rules' step)",
    "t_max": "fixed run length in 1/omega_c (default: adaptive, until a plateau)",
    "t_cap": "longest adaptive run in 1/omega_c (default: 16 x the first length)",
    "k_perp_range": "perpendicular wave-number band in 1/rho0 (default: 0 to 1000/lambda_perp)",
    "k_par_range": "parallel wave-number band in 1/rho0 (default: 0 to 1000/lambda_par)",
    "model": "turbulence model: 2d, slab, isotropic or composite (slab has one scale: "
    "simulate reads --lambda-perp as it unless --lambda-par is given)",
    "rules": "time-step and run-length rules: 'default' (similarity units, adaptive) or "
    "'paper' (crtransport 0.1's fixed run, with which the paper database was built)",
    "converge": "which coefficient(s) an adaptive run waits for",
    "n_save": "saved times of the running coefficients",
    "shared_field": "all particles in one field realization, starting at points spread over "
    "100 bend-over scales",
    "backend": "pusher: the Numba kernel on the CPU or the same scheme in JAX (a GPU)",
}

_SETTING_TYPES: dict[str, dict[str, Any]] = {
    "n_particles": {"type": int, "metavar": "N"},
    "n_waves": {"type": int, "metavar": "N"},
    "n_save": {"type": int, "metavar": "N"},
    "dt": {"type": float, "metavar": "DT"},
    "t_max": {"type": float, "metavar": "T"},
    "t_cap": {"type": float, "metavar": "T"},
    "k_perp_range": {"type": float, "nargs": 2, "metavar": ("MIN", "MAX")},
    "k_par_range": {"type": float, "nargs": 2, "metavar": ("MIN", "MAX")},
    "model": {"metavar": "MODEL"},
    "rules": {"metavar": "RULES"},
    "converge": {"choices": CONVERGE},
    "backend": {"choices": BACKENDS},
    "shared_field": {"action": "store_const", "const": True},
}


def flag(name: str) -> str:
    """The command-line spelling of a keyword: ``n_particles`` -> ``--n-particles``."""
    return "--" + name.replace("_", "-")


def add_settings(parser: argparse.ArgumentParser) -> None:
    """The ``simulation settings`` group: one flag per :class:`SimulationSettings` field.

    Every flag defaults to None (not given), so that :func:`settings_from` passes on only what
    the user set and the library's defaults apply to the rest.
    """
    group = parser.add_argument_group(
        "simulation settings", "crtransport.SimulationSettings; checked by it, defaults from it"
    )
    for name, default in SETTINGS_DEFAULTS.items():
        shown = (
            "" if default is None or "default:" in SETTING_HELP[name] else f" (default: {default})"
        )
        group.add_argument(
            flag(name), dest=name, default=None, help=SETTING_HELP[name] + shown,
            **_SETTING_TYPES.get(name, {}),
        )  # fmt: skip


def settings_from(args: argparse.Namespace) -> dict[str, Any]:
    """The simulation settings given on the command line, by name (bands as tuples)."""
    out: dict[str, Any] = {}
    for name in SETTINGS_DEFAULTS:
        value = getattr(args, name)
        if value is not None:
            out[name] = tuple(value) if isinstance(value, list) else value
    return out


def add_output(
    parser: argparse.ArgumentParser, help: str, *, deprecated: Sequence[str] = ()
) -> None:
    """``-o/--output FILE`` (required): the file a command writes."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("-o", "--output", type=Path, metavar="FILE", help=help)
    for old in deprecated:
        add_alias(group, old, "-o/--output", dest="output", type=Path)


def add_seed(parser: argparse.ArgumentParser, help: str, *, deprecated: Sequence[str] = ()) -> None:
    """``--seed N`` (default 0): the seed of every random choice of the command."""
    parser.add_argument("--seed", type=int, default=0, metavar="N", help=f"{help} (default: 0)")
    for old in deprecated:
        add_alias(parser, old, "--seed", dest="seed", type=int)


def add_progress(
    parser: argparse.ArgumentParser | argparse._ActionsContainer,
    what: str,
    *,
    terminal_only: bool = True,
) -> None:
    """``--no-progress``."""
    when = " when it is a terminal" if terminal_only else ""
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help=f"no progress bar (default: a bar of the {what} on stderr{when})",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    """``--json``: one JSON object on stdout instead of the table."""
    parser.add_argument("--json", action="store_true", help="print one JSON object")


class _DeprecatedAlias(argparse.Action):
    """An old spelling of a renamed option: stores like the new one, and says so on stderr."""

    def __init__(self, option_strings: list[str], dest: str, *, new: str, **kwargs: Any) -> None:
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(
            f"{parser.prog}: warning: {option_string} is deprecated; use {self.new}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def add_alias(
    parser: argparse.ArgumentParser | argparse._ActionsContainer,
    old: str,
    new: str,
    *,
    dest: str,
    **kwargs: Any,
) -> None:
    """Accept ``old`` as a deprecated spelling of the option ``new`` (hidden from ``--help``)."""
    parser.add_argument(
        old, dest=dest, action=_DeprecatedAlias, new=new, help=argparse.SUPPRESS, **kwargs
    )
