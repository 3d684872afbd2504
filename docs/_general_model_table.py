"""Write ``generated/general_model.rst`` from ``_static/general_model.json`` at build time.

The JSON is written by ``python scripts/ship_general_model.py`` when it ships the model;
nothing here is typed by hand. Until then the page says that the model has not shipped.
"""

from __future__ import annotations

import json
from pathlib import Path

from _pretrained_tables import NBSP, _pct, _rows, _write  # docs/ is on sys.path (conf.py)

#: The issue's targets: intrinsic RMS error per direction, and the coverage bands.
TARGETS = {"D_perp": 0.02, "D_par": 0.04}
COVERAGE = {"coverage_68": (0.68, 0.05), "coverage_95": (0.95, 0.03)}


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _ci(r: dict, key: str, digits: int) -> str:
    """``value [lo, hi]`` with the report's 95 % bootstrap interval where it has one."""
    text = _pct(r[key], digits)
    if f"{key}_ci95" in r:
        lo, hi = r[f"{key}_ci95"]
        text += f" [{_pct(lo, digits).removesuffix(NBSP + '%')}, {_pct(hi, digits)}]"
    return text


def _text(s: dict) -> str:
    ev = s["evaluation"]
    status = (
        "**pipeline check on partial data**: the test rows stand in for a fifth of the "
        "training rows; not an accuracy claim"
        if s["is_partial"]
        else "the shipped model, measured once on the database's held-out test rows"
    )
    lines = [
        f"Status: {status} (``{s['command']}`` at commit ``{s['git_commit']}``; raw numbers: "
        ":download:`general_model.json <_static/general_model.json>`).",
        "",
    ]
    acc = []
    for d in ("D_perp", "D_par"):
        r = ev[d]
        acc.append([
            d, str(r["n_rows"]), _pct(r["rms_relative_error"], 1),
            _pct(r.get("mean_relative_error", float("nan")), 1), _pct(r["rms_label_noise"], 1),
            _ci(r, "rms_intrinsic_error", 1),
            f"{_pct(TARGETS[d], 0)} ({_mark(r['rms_intrinsic_error'] <= TARGETS[d])})",
            _ci(r, "coverage_68", 0), _ci(r, "coverage_95", 0), _pct(r["flag_accuracy"], 1),
        ])  # fmt: skip
    lines += [
        f"Accuracy on {ev['n_rows']} test rows (RMS of :math:`\\ln D_\\mathrm{{model}} - "
        "\\ln D_\\mathrm{row}` over the rows whose run reached a plateau, and its mean, which "
        "shows a bias between training and test labels; *intrinsic* removes "
        "the test labels' own noise in quadrature; *coverage*: share of rows inside the 68 % "
        "and 95 % intervals of model uncertainty and label noise combined, target 68 ± 5 % and "
        "95 ± 3 %; brackets: 95 % bootstrap intervals over the rows; *plateau flag*: share of "
        "all test rows whose plateau flag the classifier gets right):",
        "",
        *_rows(
            ["", "rows", "RMS error", "mean error", "label noise", "intrinsic", "target", "68 %",
             "95 %", "plateau flag"],
            acc,
            "8 6 9 9 9 14 12 12 12 9",
        ),
    ]  # fmt: skip
    if "given" in ev["D_perp"]:
        given = "; ".join(
            f"{d}: {ev[d]['given']['n_rows']} of {ev[d]['n_rows']} rows, intrinsic error "
            f"{_pct(ev[d]['given']['rms_intrinsic_error'], 1)}"
            for d in ("D_perp", "D_par")
        )
        lines += [
            "",
            "Over the rows a user is given a coefficient for (the test label reached a plateau "
            f"and the model flags the transport diffusive): {given}.",
            "",
        ]
    cov_ok = all(
        abs(ev[d][k] - centre) <= band for d in TARGETS for k, (centre, band) in COVERAGE.items()
    )
    factors = []
    for d, name in (("perp", "D_perp"), ("par", "D_par")):
        text = f"{s['calibration'][d]:.3g}"
        if "cross_validation" in s:
            lo, hi = s["cross_validation"][d]["calibration_ci68"]
            text += f" [{lo:.3g}, {hi:.3g}]"
        factors.append(f"{text} ({name})")
    lines += [
        f"Calibration: {_mark(cov_ok)}; scale factors of the ensemble spread "
        f"{', '.join(factors)}, fitted on the 5-fold out-of-fold predictions of the training "
        "rows (brackets: 68 % bootstrap interval; never below 1).",
        "",
    ]
    if "by_R" in ev["D_perp"]:
        by = [
            [f"[{x['R'][0]:g}, {x['R'][1]:g}]", str(x["n_rows"]),
             _pct(x["rms_intrinsic_error"], 1) if x["n_rows"] else "-",
             str(y["n_rows"]), _pct(y["rms_intrinsic_error"], 1) if y["n_rows"] else "-"]
            for x, y in zip(ev["D_perp"]["by_R"], ev["D_par"]["by_R"], strict=True)
        ]  # fmt: skip
        lines += [
            "Intrinsic error by decade of R:",
            "",
            *_rows(["R", "D_perp rows", "D_perp", "D_par rows", "D_par"], by, "24 19 19 19 19"),
        ]
    worst = [
        [d, f"{w['R']:.3g}", f"{w['b']:.3g}", f"{w['anisotropy']:.3g}",
         f"{w['slab_fraction']:.2f}", f"{w['relative_error']:+.3f}", f"{w['z']:+.2f}"]
        for d in ("D_perp", "D_par")
        for w in ev[d]["worst"]
    ]  # fmt: skip
    lines += [
        "The worst test rows (largest :math:`|z|`, the error over the combined uncertainty):",
        "",
        *_rows(["", "R", "b", "anisotropy", "slab fraction", "ln error", "z"], worst,
               "12 14 14 14 14 16 16"),
    ]  # fmt: skip
    sel = [
        ["-".join(str(w) for w in c["hidden_widths"]),
         _pct(c["cross_validation"]["perp"]["rms_intrinsic_error"], 1),
         _pct(c["cross_validation"]["par"]["rms_intrinsic_error"], 1), f"{c['score']:.3g}"]
        for c in s["selection"]
    ]  # fmt: skip
    st = s["settings"]
    lines += [
        f"Architecture: four ensembles of {st['n_models']} networks of hidden widths "
        f"{'-'.join(str(w) for w in st['hidden_widths'])} ({st['activation']}, "
        f"{st['n_epochs']} epochs), chosen by the 5-fold cross-validated intrinsic error on the "
        "training rows (the training labels' noise subtracted; the test rows played no part):",
        "",
        *_rows(["hidden widths", "D_perp", "D_par", "score (MSE over target squared)"], sel,
               "25 25 25 25"),
        f"Training took {s['training_core_seconds'] / 60:.1f} core-minutes for all candidates. "
        f"Prediction (``benchmarks/transport_surrogate.py`` on the shipped file, "
        f"{s['speed']['machine']}): {s['speed']['single_us']:.0f} µs for a single query (all "
        f"outputs), {s['speed']['bulk_per_s']:.3g} points per second in bulk.",
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def _study(s: dict) -> str:
    """The architectures and calibration rules measured on the start rows
    (``scripts/general_model_study.py``)."""
    rows = [
        [name, _pct(r["perp"]["rms_intrinsic_error"], 1), _pct(r["par"]["rms_intrinsic_error"], 1)]
        for name, r in s["architectures"].items()
    ]
    noise = s["label_noise"]
    lines = [
        f"Out-of-fold intrinsic error of ``ln d`` on the {s['n_start_rows']} start rows "
        f"({s['folds']}-fold cross-validation; training rows only):",
        "",
        *_rows(["networks", "D_perp", "D_par"], rows, "50 25 25"),
        "Label noise (10th, 50th, 90th percentile of the rows' error bars): D_perp "
        + ", ".join(_pct(x, 1) for x in noise["perp"])
        + "; D_par "
        + ", ".join(_pct(x, 1) for x in noise["par"])
        + ".",
        "",
    ]
    cal = [
        [
            f"{d}: {rule.replace('_', ' ')}",
            f"{r['c']:.2f}",
            *(_pct(x, 1) for x in r["coverage_68_95"]),
        ]
        for d, c in s["calibration"].items()
        for rule, r in c["rules"].items()
    ]
    lines += [
        "Calibration rules on the same out-of-fold predictions (32-32 networks):",
        "",
        *_rows(["direction: rule", "c", "68 % coverage", "95 % coverage"], cal, "40 20 20 20"),
    ]
    return "\n".join(lines)


def write(docs: Path) -> None:
    study = docs / "_static" / "general_model_study.json"
    if study.exists():
        text = _study(json.loads(study.read_text()))
        _write(docs / "generated" / "general_model_study.rst", text)
    src = docs / "_static" / "general_model.json"
    if src.exists():
        text = _text(json.loads(src.read_text()))
    else:
        text = (
            ".. note::\n\n   The general model has not shipped yet: its database is still "
            "building (:doc:`general_database`). ``python scripts/ship_general_model.py`` "
            "fills in this section when it ships the model.\n"
        )
    _write(docs / "generated" / "general_model.rst", text)
