"""Write the accuracy tables of the shipped models from ``_static/pretrained.json``.

``scripts/ship_paper_models.py`` records what it measured in that file; ``conf.py`` calls
:func:`write` so that the tables in ``paper.rst`` always show the numbers of the files that ship,
never numbers copied by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

#: a no-break space: "138 125 %" stays on one line in a narrow table column
NBSP = "\u00a0"


def _spaced(x: float, digits: int = 0) -> str:
    """``x`` with ``digits`` decimals and its thousands separated by no-break spaces."""
    return f"{x:,.{digits}f}".replace(",", NBSP)


def _pct(x: float, digits: int = 2) -> str:
    """A percentage, whole above 100 %, never broken over lines."""
    return _spaced(100 * x, 0 if abs(x) >= 1 else digits) + NBSP + "%"


def _rows(header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        out.append(f"   * - {row[0]}")
        out.extend(f"     - {cell}" for cell in row[1:])
    return [*out, ""]


def tables(summary: dict) -> str:
    """The reST text: the database, the test accuracy, the recipes and the learning curve."""
    db = summary["database"]
    sim = db["simulation"]
    status = "complete" if db["complete"] else "**partial**, shipped while the build ran"
    lines = [
        f"**Database** ({status}): {db['n_samples']} of {db['n_samples_planned']} rows, "
        f"{db['n_simulated']} of them simulated ({_spaced(sim['n_particles'])} particles, "
        f"{sim['n_waves']} waves each), the rest "
        f"exact b = 0 rows. Statistical error of each simulated :math:`D_\\perp`: median "
        f"{_pct(db['label_error_median'])}, 90th percentile {_pct(db['label_error_p90'])}. "
        f"{db['n_unconverged']} runs are flagged unconverged (kept, as in the paper). Cost: "
        f"{db['cost_sample_seconds'] / 3600:,.1f} core-hours, "
        f"{db['cost_wave_evaluations']:.2e} wave evaluations. Split: "
        f"``{summary['split']['function']}``, {summary['split']['n_test']} test rows.",
        "",
    ]
    header = [
        "model",
        "RMS rel. error",
        "denoised",
        "bias",
        "median abs. error",
        "within 5 %",
        "max abs. error",
        "predictions/s",
    ]
    rows = []
    for name, model in summary["models"].items():
        t = model["test"]
        rows.append(
            [
                f'``"{name}"``',
                _pct(t["rms_relative_error"]),
                _pct(t["rms_relative_error_denoised"]),
                _pct(t["mean_relative_error"]),
                _pct(t["median_abs_relative_error"]),
                _pct(t["fraction_within_5_percent"], 1),
                _pct(t["max_abs_relative_error"], 1),
                f"{model['predictions_per_second']:.1e}",
            ]
        )
    lines += [
        "**Test split** (simulated rows only; label noise "
        f"{_pct(next(iter(summary['models'].values()))['test']['label_noise'])}):",
        "",
    ]
    lines += _rows(header, rows, "14 12 10 10 12 10 12 12")
    comparison = summary["comparison"]
    rows = [["paper (best of its seeds)", _pct(comparison["validation_rms_paper"])]]
    for recipe, rms in comparison["validation_rms_by_recipe"].items():
        mark = (
            " (shipped as ``improved``)"
            if (recipe == comparison["best_recipe"] and comparison["improved_shipped"])
            else ""
        )
        rows.append([recipe + mark, _pct(rms)])
    lines += ["**Recipes on validation data** (best seed of each; " + comparison["rule"] + "):", ""]
    lines += _rows(["recipe", "validation RMS rel. error"], rows, "70 30")
    curve = summary.get("learning_curve", {})
    if curve:
        names = list(curve)
        header = ["training rows"] + [f"{n}: RMS (denoised)" for n in names]
        rows = []
        for i, point in enumerate(curve[names[0]]):
            cells = [str(point["n_train"])]
            for n in names:
                p = curve[n][i]
                cells.append(
                    f"{_pct(p['rms_relative_error'])} ({_pct(p['rms_relative_error_denoised'])})"
                )
            rows.append(cells)
        lines += ["**Learning curve** (validation rows, as the training set grows):", ""]
        lines += _rows(header, rows, "20 " + " ".join(["40"] * len(names)))
    return "\n".join(lines)


def recheck_table(recheck: dict) -> str:
    """The reST text for ``scripts/recheck_test_split.py``'s summary."""
    versus = recheck["build_vs_recheck"]
    lines = [
        f"**Recheck** ({recheck['rows']} of the {recheck['of_test_rows']} test rows, in a fixed "
        f"random order, re-simulated at {recheck['factor']}x the particles with independent "
        f"seeds, {recheck['core_seconds'] / 3600:.1f} core-hours). Label noise (RMS of "
        f"the error bars): build {_pct(recheck['label_noise_build_rms'])}, recheck "
        f"{_pct(recheck['label_noise_recheck_rms'])}, both combined "
        f"{_pct(recheck['label_noise_combined_rms'])}. The build's values against the "
        f"recheck's scatter by {_pct(versus['rms_observed'])} RMS where the two error bars "
        f"predict {_pct(versus['rms_predicted_by_error_bars'])} (mean "
        f"{_pct(versus['mean'])}, chi-square per row {versus['chi2_per_row']:.2f}); read as "
        f"noise falling like one over the square root of the particle count, that scatter "
        f"measures the build's own noise at {_pct(recheck['label_noise_build_measured'])} and "
        f"the recheck's at {_pct(recheck['label_noise_recheck_measured'])}.",
        "",
    ]
    header = ["model", "labels", "RMS rel. error", "denoised", "bias", "median abs. error",
              "max abs. error"]  # fmt: skip
    rows = []
    for name, model in recheck["models"].items():
        for labels, t in model.items():
            rows.append(
                [
                    f'``"{name}"``',
                    labels,
                    _pct(t["rms_relative_error"]),
                    _pct(t["rms_relative_error_denoised"]),
                    _pct(t["mean_relative_error"]),
                    _pct(t["median_abs_relative_error"]),
                    _pct(t["max_abs_relative_error"], 1),
                ]
            )
    lines += _rows(header, rows, "14 14 14 14 14 14 14")
    return "\n".join(lines)


def _write(out: Path, text: str) -> None:
    out.parent.mkdir(exist_ok=True)
    if not out.exists() or out.read_text() != text:  # leave it alone: no needless rebuilds
        out.write_text(text)


def write(docs: Path) -> None:
    """Write ``generated/pretrained_tables.rst`` and ``generated/recheck_table.rst``.

    Both live under ``docs`` (excluded from the toctree); the second says so when
    ``_static/test_recheck.json`` has not been written.
    """
    summary = json.loads((docs / "_static" / "pretrained.json").read_text())
    _write(docs / "generated" / "pretrained_tables.rst", tables(summary))
    path = docs / "_static" / "test_recheck.json"
    text = (
        recheck_table(json.loads(path.read_text()))
        if path.exists()
        else "*No recheck recorded* (``python scripts/recheck_test_split.py`` writes one)."
    )
    _write(docs / "generated" / "recheck_table.rst", text)
