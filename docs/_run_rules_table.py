"""Write ``generated/run_rules_table.rst`` from ``_static/run_rules_cost.json`` at build time.

The JSON is written by ``python benchmarks/run_rules.py``; the table is never typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from _pretrained_tables import _rows, _write  # docs/ is on sys.path (conf.py)


def _table(summary: dict) -> str:
    w, s = summary["wave_evaluations"], summary["seconds"]
    err, conv = summary["median_rel_err"], summary["converged"]
    rows = [
        [
            "wave evaluations, total",
            f"{w['paper']:.3e}",
            f"{w['default']:.3e}",
            f"{w['ratio']:.2f}",
        ],
        [
            "seconds, total (this machine, both cores, shared)",
            f"{s['paper']:.0f}",
            f"{s['default']:.0f}",
            f"{s['ratio']:.2f}",
        ],
        ["median relative error of D_perp", f"{err['paper']:.2%}", f"{err['default']:.2%}", ""],
        ["runs flagged converged", str(conv["paper"]), str(conv["default"]), ""],
    ]
    header = ["", '``"paper"``', '``"default"``', "paper / default"]
    lines = [
        f"Measured by ``python benchmarks/run_rules.py`` on {summary['machine']}: "
        f"{summary['n_points']} points drawn uniformly over the paper's cube (design seed "
        f"{summary['design_seed']}), {summary['settings']['n_particles']} particles and "
        f"{summary['settings']['n_waves']} waves, each run under both presets with independent "
        "seeds (raw numbers: :download:`run_rules_cost.json <../_static/run_rules_cost.json>`).",
        "",
        *_rows(header, rows, "40 20 20 20"),
        f"D_perp under the two presets agrees within 2 sigma (combined error) at "
        f"{summary['within_2_sigma']} of {summary['n_points']} points; the largest \\|z\\| is "
        f"{summary['max_abs_z']:.2f} and the mean z (default - paper) is "
        f"{summary['mean_z']:+.2f}. The default runs stopped on a plateau at "
        f"{summary['stop_reasons']['plateau']} points and at the cap at "
        f"{summary['stop_reasons']['cap']}.",
        "",
    ]
    return "\n".join(lines)


def write(docs: Path) -> None:
    src = docs / "_static" / "run_rules_cost.json"
    if src.exists():
        text = _table(json.loads(src.read_text()))
    else:
        text = "*(run* ``python benchmarks/run_rules.py`` *to measure this table)*\n"
    _write(docs / "generated" / "run_rules_table.rst", text)
