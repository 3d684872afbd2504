"""``crtransport train`` and ``crtransport predict``: the surrogate on the command line.

JAX, optax and xarray are imported inside the command functions, so building the parser (every
``crtransport`` invocation) stays cheap.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from crtransport.cli._options import add_alias, add_json, add_output, add_progress, add_seed
from crtransport.cli._units import DIFFUSION_UNITS, add_input_arguments, resolve_inputs
from crtransport.surrogate._recipes import (
    PAPER_WEAKNESS,
    RECIPE_NAMES,
    recipe_optimizer,
    recipe_settings,
)

logger = logging.getLogger("crtransport.surrogate")

#: The options that give each input of ``predict`` (for the "missing input" message).
_INPUT_FLAGS = {"T": "--T, --energy or --rigidity"}


def register(subparsers: Any) -> None:
    """Add the ``train`` and ``predict`` subcommands to ``subparsers``."""
    train = subparsers.add_parser(
        "train",
        help="train a surrogate on a database (.nc) and save the model",
        description=(
            "Train the neural surrogate on a netCDF database with a named recipe (default: "
            "improved), hold out a test fraction, report the RMS relative test error, and save "
            "the model file. Options given explicitly override the recipe's values."
        ),
        epilog="recipes: improved (default; 32-32 network on log D_perp with log T and log "
        "lambda_perp inputs, a b^2 output prior and a decaying Adam step, 20000 epochs: about "
        "2.4 % RMS on the reference database); paper (Palade 2023's 3-10-5-1 network on the "
        "squared error, 5000 epochs: it fits the large D_perp and leaves the small ones with "
        "errors of hundreds to 1e5 %, since D_perp spans five decades); ensemble (4 networks "
        "of the improved kind with a b^2 T^0.5 prior, whose spread "
        "Surrogate.predict(return_std=True) gives).",
    )
    train.add_argument("dataset", help="database file written by `crtransport build` (netCDF)")
    add_output(train, "model file to write")
    train.add_argument(
        "--recipe",
        choices=RECIPE_NAMES,
        default=RECIPE_NAMES[0],
        help="training recipe (default: improved, the recommended one; 'paper' reproduces "
        "Palade 2023 and its large errors on small D_perp, see below)",
    )
    train.add_argument(
        "--epochs", type=int, default=None, help="epochs (default: the recipe's, 20000 or 5000)"
    )
    add_seed(
        train,
        "seed of the weights, the mini-batches and the test split (the JAX key of Surrogate.fit)",
        deprecated=("--key",),
    )
    train.add_argument(
        "--test-fraction",
        type=float,
        default=0.1,
        help="fraction of the simulated rows held out for testing, drawn with --seed; exact "
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
        "--hidden-widths",
        type=int,
        nargs="+",
        default=None,
        help="hidden widths (default: the recipe's: 32 32, paper 10 5)",
    )
    train.add_argument("--activation", default=None, help="hidden activation (default: tanh)")
    train.add_argument(
        "--loss", default=None, help="mse, relative or log (default: the recipe's: log, paper mse)"
    )
    train.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="constant Adam rate (default: the recipe's: 1e-3 for paper, a step decaying from "
        "1e-2 to 1e-4 for the others)",
    )
    train.add_argument("--batch-size", type=int, default=None, help="mini-batch size")
    train.add_argument(
        "--n-models",
        type=int,
        default=None,
        help="ensemble size (default: the recipe's: 1, ensemble 4)",
    )
    train.add_argument("--patience", type=int, default=None, help="early-stopping patience")
    train.add_argument(
        "--log-features",
        nargs="+",
        default=None,
        help="inputs passed through a log first (default: the recipe's: T lambda_perp, paper none)",
    )
    train.add_argument(
        "--output-activation",
        default=None,
        help="square, identity, exp or softplus (default: the recipe's: exp, paper square)",
    )
    train.add_argument(
        "--init",
        default=None,
        help="normal or glorot (default: the recipe's: glorot, paper normal)",
    )
    train.add_argument(
        "--output-powers",
        nargs="+",
        type=_power,
        default=None,
        metavar="NAME=EXPONENT",
        help="output prior: the network learns the target over the product of these powers "
        "of the inputs, e.g. b=2 (default: the recipe's: b=2, paper none); rows where the "
        "prior is 0 (the exact b = 0 rows under b=2) are reproduced by it and not trained "
        "on, which the output reports",
    )
    add_progress(train, "epochs")
    train.set_defaults(func=_train)

    predict = subparsers.add_parser(
        "predict",
        help="predict with a surrogate model",
        description=(
            "Evaluate a surrogate model at the given inputs; several values per input "
            "broadcast. Inputs are in the paper's scaled units (see crtransport.units) or, "
            "with --B0 (and --species), physical quantities with units: --energy 1GeV, "
            "--lambda-perp 0.01au. The prediction is printed in scaled units (rho0^2 omega_c) "
            "and, with --B0, also in m^2/s and cm^2/s, next to the scaled inputs it was "
            "evaluated at. Without --surrogate the pretrained model shipped with crtransport "
            "is used."
        ),
        epilog="example: crtransport predict --species proton --energy 1GeV --B0 5nT "
        "--lambda-perp 0.01au --b 0.2",
    )
    which = predict.add_mutually_exclusive_group()
    which.add_argument(
        "--surrogate",
        type=Path,
        default=None,
        metavar="FILE",
        help="surrogate model file written by `crtransport train` (default: a pretrained model)",
    )
    add_alias(which, "--model", "--surrogate", dest="surrogate", type=Path)
    which.add_argument(
        "--pretrained",
        choices=("paper", "improved"),
        default=None,
        help="which shipped model to use without --surrogate (default: the most accurate "
        "shipped, improved when it ships, else paper; see Surrogate.pretrained)",
    )
    add_input_arguments(
        predict,
        several=True,
        notes={"mu": "models trained with it", "lambda_par": "models trained with it"},
    )
    predict.add_argument(
        "--on-extrapolate",
        choices=("warn", "raise", "ignore"),
        default="warn",
        help="inputs outside the training domain (default: warn)",
    )
    add_json(predict)
    predict.set_defaults(func=_predict)


def _power(text: str) -> tuple[str, float]:
    """``NAME=EXPONENT`` as a pair (argparse type of ``--output-powers``)."""
    name, sep, exponent = text.partition("=")
    try:
        if not sep or not name:
            raise ValueError
        return name, float(exponent)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected NAME=EXPONENT, e.g. b=2; got {text!r}"
        ) from None


def _check_output(path: Path) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    if path.is_dir():
        raise IsADirectoryError(f"-o/--output: {path} is a directory; give a file name.")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"-o/--output: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"-o/--output: no write permission in {parent}.")
    if path.exists() and not os.access(path, os.W_OK):
        raise PermissionError(f"-o/--output: {path} exists and is read-only.")


def _train(args: argparse.Namespace) -> int:
    import numpy as np

    from crtransport._validation import check_real
    from crtransport.dataset import open_dataset, split
    from crtransport.surrogate import Surrogate

    _check_output(args.output)  # before training, not after (issue 19.15)
    fraction = check_real("test_fraction", args.test_fraction, low=0.0, high=1.0, high_open=True)
    settings: dict[str, Any] = recipe_settings(args.recipe)
    epochs = int(settings.pop("n_epochs")) if args.epochs is None else args.epochs
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
        "output_activation",
        "init",
        "output_powers",
    ):
        value = getattr(args, name)
        if value is not None:
            settings[name] = tuple(value) if isinstance(value, list) else value
    optimizer = None if args.learning_rate is not None else recipe_optimizer(args.recipe, epochs)
    sur = Surrogate(**settings, optimizer=optimizer)
    data = open_dataset(args.dataset)
    n_dropped = 0
    if args.drop_unconverged and "is_converged_perp" in data:
        keep = data["is_converged_perp"].values.astype(bool)
        if "is_analytic" in data:
            keep |= data["is_analytic"].values.astype(bool)
        n_dropped = int(np.sum(~keep))
        data = data.isel(sample=np.flatnonzero(keep))
    if fraction > 0:
        train, test = split(data, fraction, seed=args.seed)
    else:
        train, test = data, None
    n_prior = _rows_the_prior_reproduces(sur.config, train)
    sur.fit(
        train,
        epochs=epochs,
        key=args.seed,
        validation=test,
        progress=False if args.no_progress else None,
    )
    path = sur.save(args.output)
    history = sur.history
    lines = [
        f"recipe     {args.recipe}",
        f"model      {sur!r}",
        f"rows       {history.n_train} train, {history.n_test} test"
        + (f" ({n_dropped} unconverged rows dropped)" if args.drop_unconverged else ""),
    ]
    if n_prior:
        powers = " * ".join(f"{name}**{p:g}" for name, p in sur.config.output_powers)
        zero = ", ".join(f"{name} = 0" for name, p in sur.config.output_powers if p > 0)
        lines.append(
            f"note       {n_prior} training rows with {zero} are not trained on: the output "
            f"prior {powers} is 0 there and reproduces their {sur.config.target} = 0 exactly"
        )
    lines += [
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
    if args.recipe == "paper":
        lines.append(f"note       {PAPER_WEAKNESS}")
    print("\n".join(lines))
    return 0


def _rows_the_prior_reproduces(config: Any, data: Any) -> int:
    """Rows of ``data`` where the output prior vanishes (``fit`` leaves them out)."""
    import numpy as np

    if not config.output_powers:
        return 0
    zero = np.zeros(data.sizes["sample"], dtype=bool)
    for name, p in config.output_powers:
        if p > 0 and name in data:
            zero |= np.asarray(data[name].values) == 0
    return int(zero.sum())


def _predict(args: argparse.Namespace) -> int:
    import numpy as np

    inputs = resolve_inputs(args)  # the user's input errors first, before JAX loads

    from crtransport.surrogate import Surrogate

    if args.surrogate is None:
        sur = Surrogate.pretrained(args.pretrained, on_extrapolate=args.on_extrapolate)
    else:
        sur = Surrogate.load(args.surrogate, on_extrapolate=args.on_extrapolate)
    given = inputs.values
    missing = [f for f in sur.features if f not in given]
    if missing:
        flags = ", ".join(_INPUT_FLAGS.get(f, "--" + f.replace("_", "-")) for f in missing)
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
    columns: dict[str, Any] = dict(zip(sur.features, arrays, strict=True))
    values = np.asarray(sur.predict(**columns))
    target = sur.config.target
    columns[target] = values
    scale = inputs.scale
    if scale is not None:
        from crtransport.dataset._schema import UNIT_DIFFUSION

        if sur.state.target_units != UNIT_DIFFUSION:
            raise ValueError(
                f"--B0: the model's output {target} is in {sur.state.target_units!r}, not "
                f"{UNIT_DIFFUSION!r}, so it has no conversion to m^2/s; leave out --B0 and "
                "give the inputs in scaled units."
            )
        for unit in DIFFUSION_UNITS:
            columns[f"{target}_{unit}"] = np.asarray(scale.diffusion(values, unit))
    if args.json:
        record: dict[str, Any] = {name: a.tolist() for name, a in columns.items()}
        record["units"] = sur.state.target_units
        if scale is not None:
            record.update(scale.to_dict())
        print(json.dumps(record))
        return 0
    lines = [] if scale is None else [f"# {scale.describe()}"]
    lines.append(" ".join(f"{name:>14s}" for name in columns))
    for row in zip(*(a.ravel() for a in columns.values()), strict=True):
        lines.append(" ".join(f"{v:14.6g}" for v in row))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
