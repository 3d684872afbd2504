"""The ``crtransport`` parser, its message policy and ``main``.

Each command module of this package provides ``register(subparsers)``, which adds its parser
and sets ``func`` to a callable taking the parsed arguments and returning an exit code. Heavy
imports (Numba, xarray, JAX) happen inside those callables, so ``crtransport --help`` stays
fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TextIO

from crtransport._validation import (
    DOMAIN_ADVICE,
    DOMAIN_ADVICE_CLI,
    EXTRAPOLATE_ADVICE,
    EXTRAPOLATE_ADVICE_CLI,
    AccuracyWarning,
)
from crtransport._version import __version__
from crtransport.cli import _coefficients, _dataset, _simulate, _surrogate

#: Python wording in library messages -> what the command line says instead (CLI messages
#: name flags, not keyword arguments).
_CLI_WORDING = {EXTRAPOLATE_ADVICE: EXTRAPOLATE_ADVICE_CLI, DOMAIN_ADVICE: DOMAIN_ADVICE_CLI}


def _cli_text(text: str) -> str:
    for python, cli in _CLI_WORDING.items():
        text = text.replace(python, cli)
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crtransport",
        description="Cosmic-ray transport in synthetic turbulence (scaled units, see docs).",
    )
    parser.add_argument("--version", action="version", version=f"crtransport {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in (
        _simulate.register,
        _dataset.register,
        _surrogate.register,
        _coefficients.register,
    ):
        register(subparsers)
    return parser


#: Errors in what the user asked for: exit status 2 (argparse's own usage errors also exit 2).
USAGE_ERRORS = (ValueError, TypeError, FileNotFoundError, FileExistsError, PermissionError,
                IsADirectoryError, NotADirectoryError)  # fmt: skip


def _value_options(parser: argparse.ArgumentParser) -> set[str]:
    """Option strings, over the parser and its subcommands, that take exactly one value."""
    out: set[str] = set()
    todo = [parser]
    while todo:
        p = todo.pop()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend(action.choices.values())
            elif (
                action.option_strings
                and action.nargs is None
                and not isinstance(action, argparse._StoreConstAction | argparse._CountAction)
            ):
                out.update(s for s in action.option_strings if s.startswith("--"))
    return out


def _glue_negative_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``--B0 -5nT`` -> ``--B0=-5nT``: a value that starts with '-' is not an option.

    argparse reads any token that starts with '-' and is not a number as an option, so
    ``--B0 -5nT`` failed with "expected one argument" (issue 19.18). A token after an option
    that takes a value is glued to it unless it is itself a known option.
    """
    takes_value = _value_options(parser)
    known = set(takes_value)
    todo = [parser]
    while todo:
        p = todo.pop()
        for action in p._actions:
            known.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                todo.extend(action.choices.values())
    out: list[str] = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--":
            out.extend(tokens[i:])
            break
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if (
            tok in takes_value
            and nxt is not None
            and nxt.startswith("-")
            and nxt.split("=", 1)[0] not in known
        ):
            out.append(f"{tok}={nxt}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    One message policy for every subcommand: errors in what the user asked for (bad values,
    missing or unwritable files) print ``crtransport COMMAND: error: ...`` and exit 2, like
    argparse's usage errors; failures while running (a sample failed, disk full, a cluster
    that cannot be reached) print the same kind of line and exit 1. No traceback is shown
    (``-vv`` adds it to the log for a bug report).
    """
    parser = build_parser()
    args = parser.parse_args(_glue_negative_values(parser, sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 2
    with warnings.catch_warnings():
        # the command's accuracy warnings are part of its output: one line each, in CLI words,
        # never a Python source path (whatever filter the caller has set)
        warnings.simplefilter("always", AccuracyWarning)
        warnings.showwarning = _warning_printer(args.command)
        return _run(args)


def _warning_printer(command: str) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints ``crtransport COMMAND: warning: ...`` (accuracy
    warnings) and logs any other warning."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if not issubclass(category, AccuracyWarning):
            logging.getLogger("crtransport").warning("%s: %s", category.__name__, message)
            return
        print(f"crtransport {command}: warning: {_cli_text(str(message))}", file=sys.stderr)

    return show


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except USAGE_ERRORS as exc:
        _report(args, exc)
        return 2
    except KeyboardInterrupt:
        print(f"crtransport {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure, not a usage error: one line, exit 1
        _report(args, exc)
        return 1


def _report(args: argparse.Namespace, exc: BaseException) -> None:
    text = _cli_text(str(exc) or type(exc).__name__)
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{text} ({exc.filename})"
    if not isinstance(exc, (*USAGE_ERRORS, OSError, RuntimeError, ImportError)):
        text = f"{type(exc).__name__}: {text}"
    print(f"crtransport {args.command}: error: {text}", file=sys.stderr)
    logging.getLogger("crtransport").debug("traceback", exc_info=exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
