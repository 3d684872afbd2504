"""Where the cost of the paper database goes: wave evaluations per row across the paper's cube.

    python scripts/cost_map.py

Reads the shipped database (its per-row ``dt``, ``t_max`` and ``wall_time``, built with the
``"paper"`` run rules) and writes ``docs/_static/cost_map.json`` (the summary the docs quote)
and ``docs/_static/figures/cost_map.png``. No simulation runs.

The cost of a row is ``n_particles x n_waves x n_steps`` wave evaluations with
``n_steps = t_max / dt``. Under the paper rules ``t_max = max(10 tau_c, 20 gyrations)`` with
``tau_c = lambda_par / (v |mu|)``, and ``dt`` is set by the gyration (at least 40 steps in the
RMS field, at most 2 pi / 10) or by the crossing of half a bend-over scale; so at fixed
``lambda_perp`` the cost grows like ``1 / v`` as ``T -> 0`` (the run is ten decorrelation times
of an ever slower particle at a fixed number of steps per gyration).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

import crtransport as crt

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "_static" / "cost_map.json"
FIG = ROOT / "docs" / "_static" / "figures" / "cost_map.png"


def main() -> None:
    ds = crt.open_dataset(crt.datasets.paper())
    sim = ~ds["is_analytic"].values
    settings = json.loads(ds.attrs["simulation"])
    per_step = settings["n_particles"] * settings["n_waves"]
    T = ds["T"].values[sim]
    lam = ds["lambda_perp"].values[sim]
    b = ds["b"].values[sim]
    steps = np.rint(ds["t_max"].values[sim] / ds["dt"].values[sim])
    wall = ds["wall_time"].values[sim]
    evals = steps * per_step
    total = evals.sum()
    order = np.argsort(evals)[::-1]
    top = order[: max(1, len(order) // 10)]
    R = np.sqrt(T * (T + 2.0)) / lam
    bins = {
        "T < 0.1": T < 0.1,
        "0.1 <= T < 1": (T >= 0.1) & (T < 1),
        "1 <= T < 3": (T >= 1) & (T < 3),
        "T >= 3": T >= 3,
    }
    summary = {
        "description": "cost of the shipped paper database per row (rules 'paper')",
        "command": "python scripts/cost_map.py",
        "rows": int(sim.sum()),
        "wave_evaluations_total": float(total),
        "wall_time_total_s": float(wall.sum()),
        "steps_median": float(np.median(steps)),
        "steps_max": float(steps.max()),
        "most_expensive_tenth_share": float(evals[top].sum() / total),
        "most_expensive_tenth_T_median": float(np.median(T[top])),
        "most_expensive_tenth_lambda_perp_median": float(np.median(lam[top])),
        "most_expensive_row": {
            "T": float(T[order[0]]),
            "b": float(b[order[0]]),
            "lambda_perp": float(lam[order[0]]),
            "steps": float(steps[order[0]]),
            "wall_time_s": float(wall[order[0]]),
        },
        "share_by_T": {k: float(evals[m].sum() / total) for k, m in bins.items()},
        "rows_by_T": {k: int(m.sum()) for k, m in bins.items()},
        "gyration_limited_fraction": float(
            np.mean(
                20 * 2 * math.pi * (1 + T) >= 10 * 10 * lam / (np.sqrt(1 - 1 / (1 + T) ** 2) * 0.5)
            )
        ),
        "seconds_per_1e9_wave_evaluations": float(wall.sum() / total * 1e9),
        "R_range": [float(R.min()), float(R.max())],
    }
    OUT.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    sc = axes[0].scatter(T, lam, c=np.log10(evals), s=4, cmap="viridis")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel(r"$T$ [$m c^2$] (protons: 1 = 0.94 GeV)")
    axes[0].set_ylabel(r"$\lambda_\perp$ [$\rho_0$]")
    fig.colorbar(sc, ax=axes[0], label=r"$\log_{10}$ wave evaluations per row")
    axes[0].set_title("cost across the paper's cube (rules 'paper')")
    axes[1].scatter(R, evals / per_step, c=b, s=4, cmap="magma")
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel(r"$R = r_L/\lambda_\perp$")
    axes[1].set_ylabel("time steps per row")
    axes[1].set_title(r"steps against $R$ (colour: $b$)")
    FIG.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIG, dpi=110)


if __name__ == "__main__":
    main()
