"""The ``crtransport`` command line.

Subcommands are registered by the layers that own them: each provides a module with
``register(subparsers)`` which adds its parser and sets ``func`` to a callable taking the parsed
arguments and returning an exit code. Heavy imports (JAX, xarray) happen inside those callables.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from crtransport._version import __version__

# module paths of the subcommand providers, in help order
_PROVIDERS = (
    "crtransport._simulate_cli",
    "crtransport.dataset._cli",
    "crtransport.surrogate._cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crtransport",
        description="Cosmic-ray transport in synthetic turbulence (scaled units, see docs).",
    )
    parser.add_argument("--version", action="version", version=f"crtransport {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for provider in _PROVIDERS:
        try:
            module = importlib.import_module(provider)
        except ModuleNotFoundError as exc:  # a layer not present in this build
            if exc.name != provider:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, PermissionError) as exc:
        print(f"crtransport {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
