"""The independent 4x-particle recheck of the test split (``scripts/recheck_test_split.py``).

Its journal (``data/paper/test_recheck.jsonl``) lives in the repository, not in the wheel; these
tests skip where it is absent. They check the shipped database's error bars against the
recheck's independent runs, and that the recorded summary the docs quote is what the committed
journal and the shipped models give.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import crtransport as crt

ROOT = Path(__file__).resolve().parents[1]
JOURNAL = ROOT / "data" / "paper" / "test_recheck.jsonl"
SUMMARY = ROOT / "docs" / "_static" / "test_recheck.json"

pytestmark = pytest.mark.skipif(
    not (JOURNAL.exists() and SUMMARY.exists()), reason="no recheck journal in this checkout"
)


@pytest.fixture(scope="module")
def pairs():
    """(build rows, recheck records) on the rows the recheck ran, in journal order."""
    records = [json.loads(line) for line in JOURNAL.read_text().splitlines()]
    ds = crt.open_dataset(crt.datasets.paper())
    _, test = crt.dataset.split(ds, 0.1, seed=0)
    rows = test.sel(sample=[r["sample"] for r in records])
    return rows, records


def test_rechecked_rows_are_simulated_test_rows(pairs):
    rows, records = pairs
    assert not rows["is_analytic"].values.any()
    assert len({r["sample"] for r in records}) == len(records)  # none run twice
    assert {r["n_particles"] for r in records} == {40_000}


def test_build_error_bars_agree_with_independent_runs(pairs):
    # (D_build - D_recheck) / sqrt(err_build^2 + err_recheck^2) is ~N(0, 1) when both error
    # bars are honest: chi-square per row near 1 (sd sqrt(2/n)), mean near 0 (sd 1/sqrt(n)).
    rows, records = pairs
    lo, lo_err = rows["D_perp"].values, rows["D_perp_err"].values
    hi = np.array([r["D_perp"] for r in records])
    hi_err = np.array([r["D_perp_err"] for r in records])
    pull = (lo - hi) / np.hypot(lo_err, hi_err)
    n = pull.size
    assert n >= 50
    assert abs(np.mean(pull**2) - 1) < 4 * np.sqrt(2 / n)
    assert abs(np.mean(pull)) < 4 / np.sqrt(n)
    # 4x the particles halves the relative error bar
    ratio = np.median((hi_err / hi) / (lo_err / lo))
    assert 0.4 < ratio < 0.6


def test_recorded_summary_is_reproduced(pairs):
    rows, records = pairs
    summary = json.loads(SUMMARY.read_text())
    assert summary["rows"] == len(records)
    hi = np.array([r["D_perp"] for r in records])
    for name, digest in summary["model_sha256"].items():
        path = ROOT / "crtransport" / "data" / f"surrogate_{name}.npz"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, (
            f"{path.name} changed since the recheck's report: rerun "
            "`python scripts/recheck_test_split.py --report`"
        )
        sur = crt.Surrogate.pretrained(name)
        z = sur.predict(T=rows["T"].values, b=rows["b"].values,
                        lambda_perp=rows["lambda_perp"].values)  # fmt: skip
        rms = np.sqrt(np.mean((z / hi - 1) ** 2))
        want = summary["models"][name]["recheck"]["rms_relative_error"]
        np.testing.assert_allclose(rms, want, rtol=1e-4)  # float32 network
