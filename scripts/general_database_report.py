"""What the general database holds and cost: the numbers and figures of its docs page.

    python scripts/general_database_report.py              # the finished file, or the build so far
    python scripts/general_database_report.py --no-curve   # skip the learning curve (minutes)
    python scripts/general_database_report.py --replot     # its figure again, from the JSON

Reads ``data/general/general.nc`` (or, while the build runs, its journal and rounds log through
:func:`crtransport.dataset.read_active_build`) and writes ``docs/_static/general_database.json``
(the docs page's tables are generated from it) and three figures in ``docs/_static/figures/``:
the cost map (core-seconds per training row over R and lambda_par / lambda_perp), the transport
regimes (where a run ended without a plateau, and its exponent), and the learning curve
(test-set error of the shipped surrogate's networks, at its settings, trained on the first N
training rows in build order, beside the acquisition's own learner).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
from pathlib import Path

import build_general_database as build  # scripts/ is on sys.path when run as a script
import numpy as np

import crtransport as crt
from crtransport import units
from crtransport.dataset import read_active_build
from crtransport.dataset._schema import STOP_RULES

ROOT = Path(__file__).resolve().parents[1]
PATH = ROOT / "data" / "general" / "general.nc"
OUT = ROOT / "docs" / "_static" / "general_database.json"
FIGURES = ROOT / "docs" / "_static" / "figures"


def load() -> tuple[object, bool]:
    if PATH.exists():
        return crt.open_dataset(PATH), True
    return read_active_build(PATH), False


def dimensionless(ds) -> dict[str, np.ndarray]:
    T, lam = ds["T"].values, ds["lambda_perp"].values
    v = units.speed_from_T(T)
    return {
        "R": units.u_from_T(T) / lam,
        "b": ds["b"].values,
        "anisotropy": ds["lambda_par"].values / lam,
        "slab_fraction": ds["slab_fraction"].values,
        "d_perp": ds["D_perp"].values / (v * lam),
        "d_par": ds["D_par"].values / (v * lam),
    }


def label_noise(ds, mask) -> dict[str, float]:
    out = {}
    for name in ("D_perp", "D_par"):
        rel = ds[f"{name}_err"].values[mask] / np.abs(ds[name].values[mask])
        out[name] = float(np.nanmedian(rel))
    return out


#: What the report keeps of each round's record (the rounds log has the per-row lists).
ROUND_KEYS = ("round", "kind", "n_rows", "n_done", "cost_power", "cost_scale",
              "expected_core_seconds_total", "spread_median", "candidate_spread_median",
              "reduced")  # fmt: skip


def summary(ds, complete: bool) -> dict:
    settings = json.loads(ds.attrs["simulation"])
    active = json.loads(ds.attrs["active_learning"])
    rounds = json.loads(ds.attrs["active_learning_rounds"])
    test = ds["split"].values == 1
    train = ~test
    conv = {
        split: {
            "D_perp": float(ds["is_converged_perp"].values[m].mean()),
            "D_par": float(ds["is_converged_par"].values[m].mean()),
            "both": float(
                (ds["is_converged_perp"].values[m] & ds["is_converged_par"].values[m]).mean()
            ),
        }
        for split, m in (("train", train), ("test", test))
        if m.any()
    }
    learner_s = sum(r.get("learner_core_seconds", 0.0) for r in rounds)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "command": "python scripts/general_database_report.py",
        "git_commit": commit,
        "complete": complete,
        "rows": {"train": int(train.sum()), "test": int(test.sum())},
        "rounds": [
            {
                **{k: r[k] for k in ROUND_KEYS if k in r},
                "core_hours": float(
                    ds["cpu_time"].values[ds["design_round"].values == r["round"]].sum()
                )
                / 3600.0,
            }
            for r in rounds
        ],
        "particles": {
            "train": settings["n_particles"],
            "test": settings["n_particles"] * active["test_particle_factor"],
        },
        "n_waves": settings["n_waves"],
        "core_hours": {
            "simulation": float(ds["cpu_time"].sum()) / 3600.0,
            "simulation_train": float(ds["cpu_time"].values[train].sum()) / 3600.0,
            "simulation_test": float(ds["cpu_time"].values[test].sum()) / 3600.0,
            "learner": learner_s / 3600.0,
            "budget": ds.attrs.get("budget_core_hours", build.ACTIVE.budget),
            "not_in_file": build.lost_core_hours(),
        },
        "label_noise": {
            "train": label_noise(ds, train),
            "test": label_noise(ds, test) if test.any() else None,
        },
        "converged": conv,
        "stop_rules": {
            name: int((ds["stop_rule"].values == i).sum()) for i, name in enumerate(STOP_RULES)
        },
        "cpu_seconds_per_row": {
            "median": float(np.median(ds["cpu_time"].values[train])),
            "mean": float(np.mean(ds["cpu_time"].values[train])),
            "max": float(np.max(ds["cpu_time"].values[train])),
        },
        "wave_evaluations_per_core_second": float(
            ds.attrs["cost_wave_evaluations"] / max(float(ds["cpu_time"].sum()), 1e-9)
        ),
    }


def cost_and_regime_figures(ds, dims) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = ds["split"].values == 0
    per_particle = ds["cpu_time"].values.copy()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), constrained_layout=True)
    sc = axes[0].scatter(
        dims["R"][train],
        dims["anisotropy"][train],
        c=np.log10(per_particle[train]),
        s=9,
        cmap="viridis",
    )
    axes[0].set(xscale="log", yscale="log", xlabel="R = r_L / lambda_perp",
                ylabel="lambda_par / lambda_perp", title="cost of a training row")  # fmt: skip
    fig.colorbar(sc, ax=axes[0], label="log10 core-seconds")
    conv_perp = ds["is_converged_perp"].values
    conv_par = ds["is_converged_par"].values
    for ax, conv, alpha, name in (
        (axes[1], conv_perp, ds["alpha_perp"].values, "perp"),
        (axes[2], conv_par, ds["alpha_par"].values, "par"),
    ):
        ax.scatter(dims["R"][conv], dims["b"][conv], s=5, c="0.8", label="plateau")
        sc = ax.scatter(dims["R"][~conv], dims["b"][~conv], s=9, c=alpha[~conv], cmap="coolwarm",
                        vmin=0.0, vmax=2.0, label="no plateau")  # fmt: skip
        ax.set(xscale="log", yscale="log", xlabel="R = r_L / lambda_perp", ylabel="b",
               title=f"D_{name}: runs without a plateau (colour: alpha)")  # fmt: skip
        ax.legend(loc="lower left", fontsize=8)
    fig.colorbar(sc, ax=axes[2], label="alpha of <dx^2> ~ t^alpha")
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "general_cost_regimes.png", dpi=110)
    plt.close(fig)
    # cost by decade of R (training rows)
    r_axis = json.loads(ds.attrs["parameter_space"])["R"]
    lo_R, hi_R = r_axis["low"], r_axis["high"]
    edges = np.logspace(np.log10(lo_R), np.log10(hi_R), round(np.log10(hi_R / lo_R)) + 1)
    by_decade = []
    for lo, hi in itertools.pairwise(edges):
        m = train & (dims["R"] > lo) & (dims["R"] <= hi)
        if m.any():
            by_decade.append({
                "R": [float(lo), float(hi)], "rows": int(m.sum()),
                "median_core_seconds": float(np.median(per_particle[m])),
                "share_of_cost": float(per_particle[m].sum() / per_particle[train].sum()),
                "converged_perp": float(conv_perp[m].mean()),
                "converged_par": float(conv_par[m].mean()),
            })  # fmt: skip
    anomalous = {
        "perp_subdiffusive": int((~conv_perp & (ds["alpha_perp"].values < 0.8)).sum()),
        "par_superdiffusive": int((~conv_par & (ds["alpha_par"].values > 1.2)).sum()),
        "par_ballistic": int((~conv_par & (ds["alpha_par"].values > 1.8)).sum()),
    }
    return {"by_decade_of_R": by_decade, "no_plateau": anomalous}


def learning_curve(ds, dims) -> dict:
    """Test-set error of the shipped surrogate's D_perp and D_par networks (its settings and
    key) trained on the first N training rows in build order: the start rows first, then each
    acquisition round. At all the training rows the networks are the shipped model's own, so
    the last point is its test error. The acquisition's learner is shown beside it."""
    from crtransport.dataset import ParameterSpace
    from crtransport.surrogate._data import FEATURES, dimensionless_table, space_domain
    from crtransport.surrogate._model import Surrogate
    from crtransport.surrogate._transport import (
        TransportFitSettings,
        _config,
        _intrinsic,
        _predict_ln,
    )

    shipped = ROOT / "crtransport" / "data" / "surrogate_general.zip"
    if shipped.exists():
        from crtransport.surrogate._transport import TransportSurrogate

        settings = TransportFitSettings(**TransportSurrogate.load(shipped).metadata["settings"])
    else:
        settings = TransportFitSettings()
    table = dimensionless_table(ds)
    split = table["split"].values
    train, test = np.flatnonzero(split == 0), table.isel(sample=np.flatnonzero(split == 1))
    domain = space_domain(ds, table.isel(sample=train), FEATURES)
    rounds = ds["design_round"].values[train]
    sizes = [n for n in (256, 512) if n < len(train)]
    sizes += [int(np.searchsorted(rounds, r, side="right")) for r in np.unique(rounds)]
    out = []
    for n in sizes:
        err = {}
        for d in ("perp", "par"):
            target = f"ln_d_{d}"
            rows = table.isel(sample=train[:n])
            good = (rows[f"diffusive_{d}"].values == 1.0) & np.isfinite(rows[target].values)
            model = Surrogate(_config(settings, target, "identity")).fit(
                rows.isel(sample=np.flatnonzero(good)), key=0, domain=domain
            )
            mean, _ = _predict_ln(model, test)
            y, e = test[target].values, test[f"{target}_err"].values
            m = (test[f"diffusive_{d}"].values == 1.0) & np.isfinite(y) & np.isfinite(e)
            r = mean[m] - y[m]
            err[f"D_{d}"] = {
                "rms": float(np.sqrt(np.mean(r**2))),
                "intrinsic": _intrinsic(r, e[m]),
                "train_rows": int(good.sum()),
            }
        out.append({"rows": int(n), "last_round": int(rounds[n - 1]), "error": err})
    # the acquisition's learner as the build ran it: its settings (build.learner()), the
    # space's unit-cube inputs and ln d of every training row with D > 0, plateau or not
    space = ParameterSpace.from_dict(json.loads(ds.attrs["parameter_space"]))
    x = space.to_unit({k: ds[k].values for k in ("T", "lambda_perp", "lambda_par", "b",
                                                  "slab_fraction")})  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        ys = np.stack([np.where(dims[f"d_{d}"] > 0, np.log(dims[f"d_{d}"]), np.nan)
                       for d in ("perp", "par")], axis=1)  # fmt: skip
    learner = build.learner()
    acq = []
    test_rows = np.flatnonzero(split == 1)
    for n in sizes:
        pred = learner.fit_predict(x[train[:n]], ys[train[:n]], x[test_rows], seed=0).mean(axis=0)
        rms = {}
        for j, d in enumerate(("perp", "par")):  # scored as above: test rows with a plateau
            y = test[f"ln_d_{d}"].values
            m = (test[f"diffusive_{d}"].values == 1.0) & np.isfinite(y)
            rms[f"D_{d}"] = float(np.sqrt(np.mean((pred[m, j] - y[m]) ** 2)))
        acq.append({"rows": int(n), "rms": rms})
    curve = {
        "model": {
            "class": "TransportSurrogate parts ln_d_perp, ln_d_par",
            "settings": settings.to_dict(),
            "key": 0,
        },
        "points": out,
        "acquisition_learner": {"model": learner.describe(), "points": acq},
    }
    plot_learning_curve(curve)
    return curve


def plot_learning_curve(curve: dict) -> None:
    """``general_learning_curve.png`` from the record :func:`learning_curve` returns."""
    out, acq = curve["points"], curve["acquisition_learner"]["points"]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.6, 3.8), constrained_layout=True)
    rows = [p["rows"] for p in out]
    for d, c in (("D_perp", "C3"), ("D_par", "C0")):
        ax.loglog(rows, [p["error"][d]["rms"] for p in out], "o-", color=c,
                  label=f"{d}, shipped surrogate's networks")  # fmt: skip
        ax.loglog(rows, [p["error"][d]["intrinsic"] for p in out], "o:", color=c, alpha=0.6,
                  label=f"{d}, label noise removed")  # fmt: skip
        ax.loglog(rows, [p["rms"][d] for p in acq], "x--", color=c, alpha=0.5,
                  label=f"{d}, acquisition's learner")  # fmt: skip
    for p in out[2:]:
        ax.axvline(p["rows"], color="0.85", lw=0.8, zorder=0)
    ax.set(
        xlabel="training rows (build order; grey: end of each round)",
        ylabel="test RMS error of ln D",
        title="learning curve on the 300 test rows",
    )
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xticks(rows)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(axis="x", labelsize=7, labelrotation=45)
    ax.legend(fontsize=7)
    fig.savefig(FIGURES / "general_learning_curve.png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-curve", action="store_true", help="skip the learning curve")
    parser.add_argument("--replot", action="store_true",
                        help="redraw the learning curve's figure from the JSON only")  # fmt: skip
    args = parser.parse_args()
    if args.replot:
        plot_learning_curve(json.loads(OUT.read_text())["learning_curve"])
        return
    ds, complete = load()
    dims = dimensionless(ds)
    report = summary(ds, complete)
    report.update(cost_and_regime_figures(ds, dims))
    if not args.no_curve and (ds["split"].values == 1).any():
        report["learning_curve"] = learning_curve(ds, dims)
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: report[k] for k in ("rows", "core_hours", "label_noise", "converged")},
                     indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
