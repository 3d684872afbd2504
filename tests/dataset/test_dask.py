"""A Dask cluster through ``Client.get_executor()`` gives the same database as a serial build."""

from __future__ import annotations

import pytest

from crtransport.dataset._testing import assert_same_database

from .test_builder import build

distributed = pytest.importorskip("distributed")


@pytest.mark.slow
def test_dask_local_cluster_matches_serial(tmp_path):
    reference = build(None, n_samples=10, analytic_fraction=0.1)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ds = build(tmp_path / "db.nc", n_samples=10, analytic_fraction=0.1,
                   executor=client.get_executor())  # fmt: skip
    assert_same_database(ds, reference)


def test_dask_in_process_cluster(tmp_path):
    reference = build(None, n_samples=6)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ds = build(tmp_path / "db.nc", n_samples=6, executor=client.get_executor())
    assert_same_database(ds, reference)
