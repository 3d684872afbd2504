"""What limits the general surrogate, and how should its uncertainty be scaled? (issue 14)

    python scripts/general_model_study.py          # docs/_static/general_model_study.json
    python scripts/general_model_study.py --quick  # 32-32 only (a minute)
    python scripts/general_model_study.py --acquired 2 3  # do rounds 2-3 help on start rows?

Training rows only: the general database's 1024 start rows (``design_round == 0``: uniform
Sobol rows, the same in every checkout of the build). No test row is read. Every variant is
scored as :meth:`~crtransport.surrogate.TransportSurrogate.fit` scores its settings: 5-fold
cross-validation (folds and initialisations seeded by key 0), every row predicted by models
fitted without it, over the rows whose run reached a plateau; the intrinsic error is
``sqrt(mean(r^2) - mean(e^2))`` (``e`` the label's error bar).

1. **Architectures** (widths, epochs, members) and a **linear trend**: a least-squares fit of
   ``ln d`` in the log inputs, with the networks fitted to its residual. If the error fell
   with width or members, the model would be the limit; if it does not, the rows are.
2. **Label noise spread**: the 10th to 90th percentiles of ``e``. Weighting the loss by
   ``1 / e^2`` (a heteroscedastic likelihood) changes only what the weights change.
3. **Calibration**: for the 32-32 networks (a candidate of ``scripts/ship_general_model.py``),
   the distribution of ``z = r / sqrt(s^2 + e^2)`` (``s`` the ensemble spread) and the 68 %
   and 95 % coverage of ``mean +- z sqrt((c s)^2 + e^2)`` for two rules for ``c``: the one that
   gives ``z`` unit RMS (the rule before this study) and the one that brings both coverages
   nearest their levels (``_calibration_factor`` in ``crtransport/surrogate/_transport.py``,
   the rule since).
4. **Acquired rows** (``--acquired``, printed only): the 32-32 networks' out-of-fold error on
   the same start rows when the rows of the named acquisition rounds join every fold's training
   rows: whether the acquisition's rows lower the error over the space.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from crtransport.dataset import read_active_build
from crtransport.surrogate._model import Surrogate
from crtransport.surrogate._transport import (
    _Z68,
    _Z95,
    DIRECTIONS,
    FEATURES,
    TransportFitSettings,
    _calibration_factor,
    _config,
    _intrinsic,
    _out_of_fold,
    _predict_ln,
    dimensionless_table,
    space_domain,
)

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "_static" / "general_model_study.json"
FOLDS = 5
DEFAULT = TransportFitSettings(hidden_widths=(32, 32), n_epochs=4000, n_models=5)
#: (name, settings, linear trend first)
VARIANTS = (
    ("16-16", TransportFitSettings(hidden_widths=(16, 16)), False),
    ("32-32", DEFAULT, False),
    ("64-64", TransportFitSettings(hidden_widths=(64, 64)), False),
    ("64-64-64", TransportFitSettings(hidden_widths=(64, 64, 64)), False),
    ("32-32, 1000 epochs", TransportFitSettings(hidden_widths=(32, 32), n_epochs=1000), False),
    ("32-32, 12000 epochs", TransportFitSettings(hidden_widths=(32, 32), n_epochs=12000), False),
    ("32-32, 10 members", TransportFitSettings(hidden_widths=(32, 32), n_models=10), False),
    ("32-32 on a linear trend's residual", DEFAULT, True),
)


def log_design(table) -> np.ndarray:
    """Columns 1, ln R, ln b, ln anisotropy, slab share."""
    return np.stack(
        [np.ones(table.sizes["sample"]), *(np.log(table[f].values) for f in FEATURES[:3]),
         table[FEATURES[3]].values], axis=1,
    )  # fmt: skip


def out_of_fold(table, domain, settings, direction: str, *, trend: bool = False):
    """Out-of-fold mean and spread of ln d over the rows whose run reached a plateau."""
    n = table.sizes["sample"]
    target = f"ln_d_{direction}"
    y, e = table[target].values, table[f"{target}_err"].values
    good = (table[f"diffusive_{direction}"].values == 1.0) & np.isfinite(y) & np.isfinite(e)
    fold = np.random.default_rng(0).permutation(n) % FOLDS
    config = _config(settings, target, "identity")
    if not trend:  # exactly what TransportSurrogate.fit scores
        mean, spread = _out_of_fold(table, config, good, fold, key=0, domain=domain)
        return y[good], e[good], mean[good], spread[good]
    # the networks on the residual of a linear trend fitted to each fold's training rows
    mean, spread = np.full(n, np.nan), np.full(n, np.nan)
    for k in range(FOLDS):
        fit_rows = np.flatnonzero(good & (fold != k))
        rows = np.flatnonzero(good & (fold == k))
        train = table.isel(sample=fit_rows)
        coef, *_ = np.linalg.lstsq(log_design(train), y[fit_rows], rcond=None)
        train = train.assign({target: ("sample", y[fit_rows] - log_design(train) @ coef)})
        probe = Surrogate(config).fit(train, key=0, domain=domain)
        mean[rows], spread[rows] = _predict_ln(probe, table.isel(sample=rows))
        mean[rows] += log_design(table.isel(sample=rows)) @ coef
    return y[good], e[good], mean[good], spread[good]


def unit_rms_factor(r: np.ndarray, s: np.ndarray, e: np.ndarray) -> float:
    """The ``c >= 1`` with mean(r^2 / (c^2 s^2 + e^2)) = 1 (bisection)."""

    def rms2(c: float) -> float:
        return float(np.mean(r**2 / (c**2 * s**2 + e**2)))

    if rms2(1.0) <= 1.0:
        return 1.0
    lo, hi = 1.0, 2.0
    while rms2(hi) > 1.0:
        lo, hi = hi, 2.0 * hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rms2(mid) > 1.0 else (lo, mid)
    return 0.5 * (lo + hi)


def coverage(r: np.ndarray, s: np.ndarray, e: np.ndarray, c: float) -> list[float]:
    width = np.sqrt((c * s) ** 2 + e**2)
    return [float(np.mean(np.abs(r) <= z * width)) for z in (_Z68, _Z95)]


def with_acquired(full, domain, settings, direction: str, rounds=None):
    """Out-of-fold error on the start rows when every fold also trains on the acquired rows.

    The start rows keep their folds (as in :func:`out_of_fold`); the acquisition rounds' rows
    (``design_round >= 2``, or those in ``rounds``) join the training rows of every fold and
    are never scored, so the two errors are measured on the same uniform rows."""
    design_round = full["design_round"].values
    start = design_round == 0
    acquired = (design_round >= 2) if rounds is None else np.isin(design_round, rounds)
    acquired &= full["split"].values == 0
    target = f"ln_d_{direction}"
    y, e = full[target].values, full[f"{target}_err"].values
    good = (full[f"diffusive_{direction}"].values == 1.0) & np.isfinite(y) & np.isfinite(e)
    good &= start | acquired
    fold = np.full(full.sizes["sample"], -1)  # negative: a training row of every fold
    fold[start] = np.random.default_rng(0).permutation(int(start.sum())) % FOLDS
    config = _config(settings, target, "identity")
    mean, _ = _out_of_fold(full, config, good, fold, key=0, domain=domain)
    scored = good & start
    return {
        "n_rows": int(scored.sum()),
        "n_acquired_training_rows": int((good & acquired).sum()),
        "rms_intrinsic_error": _intrinsic(y[scored] - mean[scored], e[scored]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 32-32 networks only")
    parser.add_argument(
        "--acquired",
        nargs="*",
        type=int,
        metavar="ROUND",
        help="only: the 32-32 networks' error on the start rows with the rows of these "
        "acquisition rounds added to every fold (none named: all)",
    )
    args = parser.parse_args()
    data = read_active_build(ROOT / "data" / "general" / "general.nc")
    full = dimensionless_table(data)
    table = full
    if args.acquired is not None:
        domain = space_domain(data, full, FEATURES)
        for d in DIRECTIONS:
            print(d, with_acquired(full, domain, DEFAULT, d, args.acquired or None), flush=True)
        return
    start = np.flatnonzero((table["split"].values == 0) & (table["design_round"].values == 0))
    table = table.isel(sample=start)
    domain = space_domain(data, table, FEATURES)
    report: dict = {"n_start_rows": int(table.sizes["sample"]), "folds": FOLDS,
                    "architectures": {}, "label_noise": {}}  # fmt: skip
    for d in DIRECTIONS:
        e = table[f"ln_d_{d}_err"].values[table[f"diffusive_{d}"].values == 1.0]
        report["label_noise"][d] = np.nanpercentile(e, [10, 50, 90]).tolist()
    variants = VARIANTS[1:2] if args.quick else VARIANTS
    for name, settings, trend in variants:
        row = {"settings": settings.to_dict(), "linear_trend": trend}
        for d in DIRECTIONS:
            y, e, mean, spread = out_of_fold(table, domain, settings, d, trend=trend)
            row[d] = {"n_rows": len(y), "rms_intrinsic_error": _intrinsic(y - mean, e)}
            if settings is DEFAULT and not trend:
                r = y - mean
                z = r / np.sqrt(spread**2 + e**2)
                rules = {"unit_rms": unit_rms_factor(r, spread, e),
                         "coverage": _calibration_factor(y, mean, spread, e)}  # fmt: skip
                report.setdefault("calibration", {})[d] = {
                    "abs_z_percentiles_50_90_99": np.percentile(np.abs(z), [50, 90, 99]).tolist(),
                    "gaussian_abs_z_percentiles_50_90_99": [0.674, 1.645, 2.576],
                    "rules": {
                        rule: {"c": c, "coverage_68_95": coverage(r, spread, e, c)}
                        for rule, c in rules.items()
                    },
                }
        report["architectures"][name] = row
        print(f"{name:36s} intrinsic error D_perp {row['perp']['rms_intrinsic_error']:.3f}"
              f"  D_par {row['par']['rms_intrinsic_error']:.3f}", flush=True)  # fmt: skip
    print(json.dumps({k: report[k] for k in ("label_noise", "calibration")}, indent=1))
    if not args.quick:
        OUTPUT.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
