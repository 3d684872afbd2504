"""Write ``generated/general_database.rst`` from ``_static/general_database.json`` at build time.

The JSON is written by ``python scripts/general_database_report.py``; nothing here is typed by
hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from _pretrained_tables import _pct, _rows, _write  # docs/ is on sys.path (conf.py)


def _text(s: dict) -> str:
    status = (
        "complete"
        if s["complete"]
        else "**partial**: the build is running; these are the rows finished so far"
    )
    ch = s["core_hours"]
    noise, conv = s["label_noise"], s["converged"]
    rows = [
        ["rows (train / test)", f"{s['rows']['train']} / {s['rows']['test']}"],
        ["particles per row (train / test)",
         f"{s['particles']['train']} / {s['particles']['test']}"],
        ["waves per particle", f"{s['n_waves']} (half slab, half 2D)"],
        ["core-hours of simulation (train / test)",
         f"{ch['simulation']:.2f} ({ch['simulation_train']:.2f} / {ch['simulation_test']:.2f})"
         f" of a {ch['budget']:.2f} budget for rows; "
         f"{ch.get('not_in_file', ch.get('lost_in_flight', 0.0)):.2f} more not in the file "
         "(lost in flight, or spent on the abandoned first design)"],
        ["core-hours of the acquisition's ensembles", f"{ch['learner']:.2f}"],
        ["median label noise D_perp (train / test)",
         f"{_pct(noise['train']['D_perp'], 1)} / "
         + (_pct(noise['test']['D_perp'], 1) if noise["test"] else "-")],
        ["median label noise D_par (train / test)",
         f"{_pct(noise['train']['D_par'], 1)} / "
         + (_pct(noise['test']['D_par'], 1) if noise["test"] else "-")],
    ]  # fmt: skip
    for split, c in conv.items():
        rows.append([
            f"plateau reached, {split} rows (D_perp / D_par / both)",
            f"{_pct(c['D_perp'], 0)} / {_pct(c['D_par'], 0)} / {_pct(c['both'], 0)}",
        ])  # fmt: skip
    stop = s["stop_rules"]
    rows.append([
        "runs ended by (plateau / cap / ballistic stop)",
        f"{stop['plateau']} / {stop['cap']} / {stop.get('ballistic', 0)}",
    ])  # fmt: skip
    lines = [
        f"Status: {status} (``{s['command']}`` at commit ``{s['git_commit']}``; raw numbers: "
        ":download:`general_database.json <_static/general_database.json>`).",
        "",
        *_rows(["", "value"], rows, "55 45"),
    ]
    if s["rounds"] and "core_hours" in s["rounds"][0]:
        table = [
            [str(r["round"]), r["kind"], f"{r['n_done']} / {r['n_rows']}",
             f"{r['core_hours']:.2f}",
             f"{r['expected_core_seconds_total'] / 3600:.2f}"
             if "expected_core_seconds_total" in r else "-",
             f"{r['cost_power']:g}" if "cost_power" in r else "-",
             f"{r['spread_median']:.3f} / {r['candidate_spread_median']:.3f}"
             if "spread_median" in r else "-"]
            for r in s["rounds"]
        ]  # fmt: skip
        lines += [
            "The rounds (expected: the core-hours the budget check expected of the round; "
            "spread: the median ensemble spread of ln D of the picks / of all candidates):",
            "",
            *_rows(
                ["round", "kind", "rows done", "core-hours", "expected", "cost power", "spread"],
                table,
                "8 14 14 14 14 12 24",
            ),
        ]
    if s.get("by_decade_of_R"):
        dec = [
            [f"({d['R'][0]:.3g}, {d['R'][1]:.3g}]", str(d["rows"]),
             f"{d['median_core_seconds']:.3g}", _pct(d["share_of_cost"], 0),
             _pct(d["converged_perp"], 0), _pct(d["converged_par"], 0)]
            for d in s["by_decade_of_R"]
        ]  # fmt: skip
        lines += [
            "Cost and convergence of the training rows by decade of R:",
            "",
            *_rows(
                ["R", "rows", "median core-s", "share of cost", "D_perp plateau", "D_par plateau"],
                dec,
                "20 12 17 17 17 17",
            ),
        ]
    np_ = s.get("no_plateau")
    if np_:
        lines += [
            f"Rows without a plateau: {np_['perp_subdiffusive']} sub-diffusive in D_perp "
            f"(alpha < 0.8 over the last decade); {np_['par_superdiffusive']} super-diffusive "
            f"in D_par (alpha > 1.2), of which {np_['par_ballistic']} still ballistic "
            "(alpha > 1.8: the parallel mean free path is longer than the run).",
            "",
        ]
    curve = s.get("learning_curve")
    if curve and "acquisition_learner" in curve:
        acq = {p["rows"]: p["rms"] for p in curve["acquisition_learner"]["points"]}
        cells = [(d, k) for d in ("D_perp", "D_par") for k in ("rms", "intrinsic")]
        pts = [
            [str(p["rows"]), str(p["last_round"]),
             *(f"{p['error'][d][k]:.3f}" for d, k in cells),
             f"{acq[p['rows']]['D_perp']:.3f} / {acq[p['rows']]['D_par']:.3f}"]
            for p in curve["points"]
        ]  # fmt: skip
        header = ["training rows", "to round", "D_perp", "intrinsic", "D_par", "intrinsic",
                  "acquisition learner"]  # fmt: skip
        lines += [
            "Learning curve: RMS error of ln D on the test rows whose run reached a plateau, of "
            "the shipped surrogate's D_perp and D_par networks (its settings and key) trained "
            "on the first N training rows in build order (the start rows, then each "
            "acquisition round; at all rows they are the shipped model's networks), raw and "
            "with the test labels' noise removed, and of the acquisition's own learner as "
            "the build ran it (one network for both outputs, bootstrap members, unit-cube "
            "inputs, trained on every row with D > 0, plateau or not):",
            "",
            *_rows(header, pts, "14 10 12 12 12 12 28"),
            ".. image:: _static/figures/general_learning_curve.png",
            "   :alt: learning curve of the general database",
            "",
        ]
    return "\n".join(lines)


def write(docs: Path) -> None:
    src = docs / "_static" / "general_database.json"
    if src.exists():
        text = _text(json.loads(src.read_text()))
    else:
        text = "*(run* ``python scripts/general_database_report.py`` *to fill this in)*\n"
    _write(docs / "generated" / "general_database.rst", text)
