"""The "paper" run rules rebuild rows of the shipped paper database bit for bit."""

from __future__ import annotations

import json

import pytest

import crtransport as crt
from crtransport.dataset._schema import INPUTS
from crtransport.dataset._worker import _execute, _simulate_run

#: The two cheapest simulated rows (804 steps each, about 2 s of 2 cores).
ROWS = (3910, 4618)


@pytest.mark.slow
@pytest.mark.parametrize("row", ROWS)
def test_paper_rules_rebuild_shipped_rows_bit_for_bit(row):
    ds = crt.open_dataset(crt.datasets.paper())
    settings = {**json.loads(ds.attrs["simulation"]), "rules": "paper"}
    params = [float(ds[name].values[row]) for name in INPUTS]
    rec = _execute(
        _simulate_run, int(ds["seed_index"][row]), params, settings, int(ds.attrs["seed"]),
        None, None,
    )  # fmt: skip
    for name in ("D_perp", "D_perp_err", "D_par", "D_par_err", "dt", "t_max"):
        assert rec[name] == float(ds[name].values[row]), name
    for name in ("is_converged_perp", "is_converged_par"):
        assert rec[name] == bool(ds[name].values[row]), name
    assert rec["stop_rule"] == 0  # a fixed run


def test_paper_rules_rebuild_every_exact_row_bit_for_bit():
    """The 250 exact b = 0 rows: same D_par, dt and t_max to the last bit (no simulation)."""
    from crtransport.dataset._builder import analytic_record

    ds = crt.open_dataset(crt.datasets.paper())
    settings = {**json.loads(ds.attrs["simulation"]), "rules": "paper"}
    rows = [int(i) for i in ds["sample"].values[ds["is_analytic"].values]]
    assert len(rows) == 250
    for row in rows:
        params = {name: float(ds[name].values[row]) for name in INPUTS}
        rec = analytic_record(row, params, settings, None)
        for name in ("D_perp", "D_par", "dt", "t_max"):
            assert rec[name] == float(ds[name].values[row]), (row, name)
