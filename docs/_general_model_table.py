"""Write ``generated/general_model.rst`` from ``_static/general_model.json`` at build time.

The JSON is written by ``python scripts/ship_general_model.py`` when it ships the model;
nothing here is typed by hand. Until then the page says that the model has not shipped.
"""

from __future__ import annotations

import json
from pathlib import Path

from _pretrained_tables import _pct, _rows, _write  # docs/ is on sys.path (conf.py)

#: The issue's targets: intrinsic RMS error per direction, and the coverage bands.
TARGETS = {"D_perp": 0.02, "D_par": 0.04}
COVERAGE = {"coverage_68": (0.68, 0.05), "coverage_95": (0.95, 0.03)}


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


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
            _pct(r["rms_intrinsic_error"], 1),
            f"{_pct(TARGETS[d], 0)} ({_mark(r['rms_intrinsic_error'] <= TARGETS[d])})",
            _pct(r["coverage_68"], 0), _pct(r["coverage_95"], 0), _pct(r["flag_accuracy"], 1),
        ])  # fmt: skip
    lines += [
        f"Accuracy on {ev['n_rows']} test rows (RMS of :math:`\\ln D_\\mathrm{{model}} - "
        "\\ln D_\\mathrm{row}` over the rows whose run reached a plateau, and its mean, which "
        "shows a bias between training and test labels; *intrinsic* removes "
        "the test labels' own noise in quadrature; *coverage*: share of rows inside the 68 % "
        "and 95 % intervals of model uncertainty and label noise combined, target 68 ± 5 % and "
        "95 ± 3 %; *plateau flag*: share of all test rows whose plateau flag the classifier "
        "gets right):",
        "",
        *_rows(
            ["", "rows", "RMS error", "mean error", "label noise", "intrinsic", "target", "68 %",
             "95 %", "plateau flag"],
            acc,
            "10 7 10 10 10 10 13 8 8 10",
        ),
    ]  # fmt: skip
    cov_ok = all(
        abs(ev[d][k] - centre) <= band for d in TARGETS for k, (centre, band) in COVERAGE.items()
    )
    lines += [f"Calibration: {_mark(cov_ok)}; scale factors of the ensemble spread "
              f"{s['calibration']['perp']:.3g} (D_perp), {s['calibration']['par']:.3g} (D_par).",
              ""]  # fmt: skip
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
         _pct(c["held_back_rms_ln_error"]["perp"], 1), _pct(c["held_back_rms_ln_error"]["par"], 1),
         f"{c['score']:.3f}"]
        for c in s["selection"]
    ]  # fmt: skip
    st = s["settings"]
    lines += [
        f"Architecture: four ensembles of {st['n_models']} networks of hidden widths "
        f"{'-'.join(str(w) for w in st['hidden_widths'])} ({st['activation']}, "
        f"{st['n_epochs']} epochs), chosen by the error on the held-back training rows (label "
        "noise included; the test rows played no part):",
        "",
        *_rows(["hidden widths", "D_perp", "D_par", "score (relative to targets)"], sel,
               "25 25 25 25"),
        f"Training took {s['training_core_seconds'] / 60:.1f} core-minutes for all candidates. "
        f"Prediction (``benchmarks/transport_surrogate.py`` on the shipped file, "
        f"{s['speed']['machine']}): {s['speed']['single_us']:.0f} µs for a single query (all "
        f"outputs), {s['speed']['bulk_per_s']:.3g} points per second in bulk.",
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def write(docs: Path) -> None:
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
