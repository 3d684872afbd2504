"""``crtransport train`` and ``crtransport predict``: the surrogate on the command line.

JAX, optax and xarray are imported inside the command functions, so building the parser (every
``crtransport`` invocation) stays cheap.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

logger = logging.getLogger("crtransport.surrogate")

#: Input names the ``predict`` command has options for (flag, dataset name).
_INPUT_FLAGS = (
    ("--T", "T", "kinetic energy T, units of m c^2"),
    ("--b", "b", "turbulence amplitude b, units of B0"),
    ("--lambda-perp", "lambda_perp", "perpendicular bend-over scale, units of rho0"),
    ("--mu", "mu", "pitch-angle cosine (models trained with it)"),
    ("--lambda-par", "lambda_par", "parallel bend-over scale, units of rho0 (if trained with it)"),
)


def register(subparsers: Any) -> None:
    """Add the ``train`` and ``predict`` subcommands to ``subparsers``."""
    train = subparsers.add_parser(
        "train",
        help="train a surrogate on a database (.nc) and save the model",
        description=(
            "Train the neural surrogate (default: the paper's 3-10-5-1 network, Adam, full "
            "batch) on a netCDF database, hold out a test fraction, report the RMS relative "
            "test error, and save the model file."
        ),
    )
    train.add_argument("dataset", help="database file written by `crtransport build` (netCDF)")
    train.add_argument("-o", "--output", required=True, help="model file to write")
    train.add_argument("--epochs", type=int, default=5000, help="epochs (default: 5000)")
    train.add_argument("--key", type=int, default=0, help="random seed (default: 0)")
    train.add_argument(
        "--test-fraction",
        type=float,
        default=0.1,
        help="fraction of the simulated rows held out for testing, drawn with --key; exact "
        "b = 0 rows always train (default: 0.1; 0 holds out none)",
    )
    train.add_argument(
        "--drop-unconverged",
        action="store_true",
        help="drop simulated rows whose D_perp did not converge (is_converged_perp false)",
    )
    train.add_argument(
        "--features", nargs="+", default=None, help="input variables (default: T b lambda_perp)"
    )
    train.add_argument("--target", default=None, help="target variable (default: D_perp)")
    train.add_argument(
        "--hidden-widths", type=int, nargs="+", default=None, help="hidden widths (default: 10 5)"
    )
    train.add_argument("--activation", default=None, help="hidden activation (default: tanh)")
    train.add_argument("--loss", default=None, help="mse, relative or log (default: mse)")
    train.add_argument("--learning-rate", type=float, default=None, help="Adam rate (1e-3)")
    train.add_argument("--batch-size", type=int, default=None, help="mini-batch size")
    train.add_argument("--n-models", type=int, default=None, help="ensemble size (default: 1)")
    train.add_argument("--patience", type=int, default=None, help="early-stopping patience")
    train.add_argument(
        "--log-features", nargs="+", default=None, help="inputs passed through a log first"
    )
    train.set_defaults(func=_train)

    predict = subparsers.add_parser(
        "predict",
        help="predict with a surrogate model",
        description=(
            "Evaluate a surrogate model at the given inputs (scaled units; several values "
            "per input broadcast). Without --model the pretrained model shipped with "
            "crtransport is used, if this installation has one."
        ),
    )
    predict.add_argument("--model", default=None, help="model file (default: pretrained)")
    for flag, dest, help_text in _INPUT_FLAGS:
        predict.add_argument(flag, dest=f"input_{dest}", type=float, nargs="+", help=help_text)
    predict.add_argument(
        "--on-extrapolate",
        choices=("warn", "raise", "ignore"),
        default="warn",
        help="inputs outside the training domain (default: warn)",
    )
    predict.add_argument("--json", action="store_true", help="print one JSON object")
    predict.set_defaults(func=_predict)


def _train(args: argparse.Namespace) -> int:
    import numpy as np

    from crtransport._validation import check_real
    from crtransport.dataset import open_dataset, split
    from crtransport.surrogate._model import Surrogate

    fraction = check_real("test_fraction", args.test_fraction, low=0.0, high=1.0, high_open=True)
    settings: dict[str, Any] = {}
    for name in (
        "features",
        "target",
        "hidden_widths",
        "activation",
        "loss",
        "learning_rate",
        "batch_size",
        "n_models",
        "patience",
        "log_features",
    ):
        value = getattr(args, name)
        if value is not None:
            settings[name] = tuple(value) if isinstance(value, list) else value
    sur = Surrogate(**settings)
    data = open_dataset(args.dataset)
    n_dropped = 0
    if args.drop_unconverged and "is_converged_perp" in data:
        keep = data["is_converged_perp"].values.astype(bool)
        if "is_analytic" in data:
            keep |= data["is_analytic"].values.astype(bool)
        n_dropped = int(np.sum(~keep))
        data = data.isel(sample=np.flatnonzero(keep))
    if fraction > 0:
        train, test = split(data, fraction, seed=args.key)
    else:
        train, test = data, None
    sur.fit(train, epochs=args.epochs, key=args.key, validation=test)
    path = sur.save(args.output)
    history = sur.history
    lines = [
        f"model      {sur!r}",
        f"rows       {history.n_train} train, {history.n_test} test"
        + (f" ({n_dropped} unconverged rows dropped)" if args.drop_unconverged else ""),
        f"epochs     {history.n_epochs_run}"
        + (" (stopped early)" if history.is_stopped_early else ""),
        f"train loss {float(np.min(history.train_loss[:, -1])):.4g}",
    ]
    if test is not None:
        ev = sur.evaluate(test)
        lines.append(
            f"test RMS relative error {100 * ev.rms_relative_error:.2f} % "
            f"({ev.n_excluded} rows with {sur.config.target} = 0 excluded)"
        )
    lines.append(f"written    {path}")
    print("\n".join(lines))
    return 0


def _predict(args: argparse.Namespace) -> int:
    import numpy as np

    from crtransport.surrogate._model import Surrogate

    if args.model is None:
        sur = Surrogate.pretrained(on_extrapolate=args.on_extrapolate)
    else:
        sur = Surrogate.load(args.model, on_extrapolate=args.on_extrapolate)
    given = {
        dest: np.asarray(getattr(args, f"input_{dest}"), dtype=np.float64)
        for _, dest, _ in _INPUT_FLAGS
        if getattr(args, f"input_{dest}") is not None
    }
    missing = [f for f in sur.features if f not in given]
    if missing:
        flags = ", ".join("--" + f.replace("_", "-") for f in missing)
        raise ValueError(f"this model needs the inputs {', '.join(sur.features)}; give {flags}.")
    unused = [name for name in given if name not in sur.features]
    if unused:
        raise ValueError(
            f"this model takes no input {unused[0]!r}; its inputs are {', '.join(sur.features)}."
        )
    try:
        arrays = np.broadcast_arrays(*(given[f] for f in sur.features))
    except ValueError:
        raise ValueError("the input values must broadcast (give 1 or N values each).") from None
    inputs: dict[str, Any] = dict(zip(sur.features, arrays, strict=True))
    values = np.asarray(sur.predict(**inputs))
    target = sur.config.target
    if args.json:
        record = {f: a.tolist() for f, a in zip(sur.features, arrays, strict=True)}
        record[target] = values.tolist()
        record["units"] = sur.state.target_units
        print(json.dumps(record))
        return 0
    header = " ".join(f"{name:>14s}" for name in (*sur.features, target))
    rows = [header]
    for row in zip(*(a.ravel() for a in arrays), values.ravel(), strict=True):
        rows.append(" ".join(f"{v:14.6g}" for v in row))
    sys.stdout.write("\n".join(rows) + "\n")
    return 0
