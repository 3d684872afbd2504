"""Write the accuracy tables of the shipped models from ``_static/pretrained.json``.

``scripts/ship_paper_models.py`` records what it measured in that file; ``conf.py`` calls
:func:`write` so that the tables in ``paper.rst`` always show the numbers of the files that ship,
never numbers copied by hand.
"""

from __future__ import annotations

import json
from pathlib import Path


def _spaced(x: float, digits: int = 0) -> str:
    """``x`` with ``digits`` decimals and its thousands separated by spaces."""
    return f"{x:,.{digits}f}".replace(",", " ")


def _pct(x: float, digits: int = 2) -> str:
    """A percentage, whole above 100 %."""
    return _spaced(100 * x, 0 if abs(x) >= 1 else digits) + " %"


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


def write(docs: Path) -> None:
    """Write ``generated/pretrained_tables.rst`` under ``docs`` (excluded from the toctree)."""
    summary = json.loads((docs / "_static" / "pretrained.json").read_text())
    out = docs / "generated" / "pretrained_tables.rst"
    out.parent.mkdir(exist_ok=True)
    text = tables(summary)
    if not out.exists() or out.read_text() != text:  # leave it alone: no needless rebuilds
        out.write_text(text)
