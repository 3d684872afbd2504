"""``build_active_dataset``: a database grown by active learning within a compute budget.

The build runs in rounds, each recorded before its rows run:

* round 0, the start: a space-filling design (the space's ``sampling``, e.g. scrambled Sobol');
* round 1, the held-out test set: rows drawn uniformly at random over the space, simulated with
  ``test_particle_factor`` times the particles, never shown to the acquisition;
* rounds 2, 3, ...: an ensemble of surrogates (the ``learner``) is fitted to the training rows;
  among ``n_candidates`` Sobol' points the batch whose ensemble spread of ``ln D`` divided by
  the expected cost to the power ``cost_power`` is largest is added, candidates closer than
  ``exclusion`` to a pick of the same round are skipped, and rounds go on until the budget
  cannot pay for a whole batch: the last round is the part of a batch it still pays for.

Every row is journaled as it finishes (as in :func:`~crtransport.dataset.build_dataset`) and every
round's choice is appended to ``<path>.rounds`` before it runs, so a build interrupted at any
point resumes from any checkout holding both files: the recorded rounds are taken as they are
(never recomputed), rows already done are kept, and each row's numbers depend only on its
inputs and ``SeedSequence(seed, spawn_key=(row,))``, whatever the number of workers.

The sequence of rounds is a function of the seed, of the rows' results (which do not depend on
timing) and of the ``cost_power`` each acquisition round records: the expected cost the
acquisition divides by is counted in wave evaluations (``n_particles x n_waves x n_steps``),
deterministic. Only the end of the build depends on measured time: the budget is spent in
core-seconds (each row's ``cpu_time``), and the core-seconds a round is expected to take (which
decide how much of the last batch the budget pays for) are the training rows' fit scaled by
what the earlier acquisition rounds took against what it expected of them, so the number of
rounds that fit may differ by one between machines.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from crtransport import units
from crtransport._validation import check_int, check_real
from crtransport._version import __version__
from crtransport.dataset._builder import (
    _check_path,
    _check_rows,
    _existing_result,
    _resolve_settings,
    _run_samples,
    build_attrs,
    check_pool,
    simulation_defaults,
)
from crtransport.dataset._io import assemble, open_dataset, write_dataset
from crtransport.dataset._journal import (
    BuildLock,
    Journal,
    describe_differences,
    journal_path,
    parse_lines,
    remove_stale_temporaries,
    replace_lines,
)
from crtransport.dataset._schema import INPUTS, SCHEMA_VERSION
from crtransport.dataset._space import ParameterSpace
from crtransport.dataset._worker import RunFn, _simulate_run

__all__ = [
    "ActiveLearning",
    "Learner",
    "build_active_dataset",
    "read_active_build",
    "reduce_test_set",
]

logger = logging.getLogger("crtransport.dataset")

#: The outputs the acquisition learns, as ``ln(D / (v lambda_perp))``.
TARGETS: tuple[str, ...] = ("D_perp", "D_par")
#: Round kinds, by round number: 0 the start, 1 the test set, then acquisitions.
START, TEST = 0, 1
_ROUNDS_FORMAT = "crtransport-active-rounds"
_ROUNDS_VERSION = 1


@runtime_checkable
class Learner(Protocol):
    """What the acquisition needs of a surrogate ensemble.

    :class:`crtransport.surrogate.EnsembleLearner` is the shipped one; any object with these
    two methods works (a Gaussian process, a tree ensemble, ...).
    """

    def describe(self) -> dict[str, Any]:
        """JSON-safe settings; recorded in the build's fingerprint and attributes."""
        ...

    def fit_predict(
        self, x: NDArray, y: NDArray, x_query: NDArray, *, seed: int
    ) -> NDArray:  # pragma: no cover - protocol
        """Fit members to ``y`` (n, k; NaN where a target is missing) at ``x`` (n, d) and
        return their predictions at ``x_query``, shape (n_members, n_query, k)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveLearning:
    """How :func:`build_active_dataset` spends its budget.

    Parameters
    ----------
    budget : float
        Core-hours of simulation for the whole build, test set included, > 0. Counted as the
        processor time of the runs (``cpu_time``), so other load on the machine does not
        spend it.
    initial_samples : int, default: 256
        Rows of the space-filling start (round 0), >= 8. A power of 2 for Sobol' designs.
    batch_size : int, default: 64
        Rows added per acquisition round, >= 1.
    n_test : int, default: 300
        Rows of the held-out test set (round 1), >= 0.
    test_particle_factor : int, default: 4
        The test rows run with this many times the training rows' particles, >= 1 (their
        labels have half the noise at 4).
    n_candidates : int, default: 4096
        Sobol' candidates scored per round, >= ``batch_size``.
    cost_power : float, default: 0.25
        Score = spread / (expected cost)^cost_power, in [0, 2]; 0 ignores cost. The default
        minimises the RMS error over the space per core-second, if a region's squared error
        falls as a/(its rows) with the same ``a`` everywhere: a row then lowers the integrated
        squared error by about spread^4 / a, so the greedy choice per unit cost is spread^4 /
        cost, and the density of rows settles at cost^(-1/2). (Where ``a`` varies, the density
        settles at a cost^(-1/2), the optimum being (a / cost)^(1/2).) A power of 1 (spread per
        unit cost) settles at cost^(-2) and spends the budget in the cheapest corner. A resumed
        build may change it: each round records the value it used.
    exclusion : float or None, default: None
        Smallest distance in the unit cube between two picks of one round; None:
        ``0.5 * batch_size ** (-1 / d)`` for ``d`` free axes.
    max_rounds : int or None, default: None
        Stop after this many acquisition rounds even if budget is left (the file is then
        complete for those rounds).
    """

    budget: float
    initial_samples: int = 256
    batch_size: int = 64
    n_test: int = 300
    test_particle_factor: int = 4
    n_candidates: int = 4096
    cost_power: float = 0.25
    exclusion: float | None = None
    max_rounds: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "budget", check_real("budget", self.budget, low=0.0, low_open=True))
        set_(self, "initial_samples", check_int("initial_samples", self.initial_samples, low=8))
        set_(self, "batch_size", check_int("batch_size", self.batch_size, low=1))
        set_(self, "n_test", check_int("n_test", self.n_test, low=0))
        set_(
            self,
            "test_particle_factor",
            check_int("test_particle_factor", self.test_particle_factor, low=1),
        )
        set_(
            self,
            "n_candidates",
            check_int("n_candidates", self.n_candidates, low=self.batch_size),
        )
        set_(self, "cost_power", check_real("cost_power", self.cost_power, low=0.0, high=2.0))
        if self.exclusion is not None:
            set_(
                self,
                "exclusion",
                check_real("exclusion", self.exclusion, low=0.0, high=math.sqrt(64.0)),
            )
        if self.max_rounds is not None:
            set_(self, "max_rounds", check_int("max_rounds", self.max_rounds, low=0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary; :meth:`from_dict` inverts it."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActiveLearning:
        """Inverse of :meth:`to_dict`."""
        return cls(**dict(data))

    def design_dict(self) -> dict[str, Any]:
        """The settings that decide which rows are built (the fingerprint): all but the
        stopping controls ``budget`` and ``max_rounds``, which a resumed build may raise, and
        ``cost_power``, which each acquisition round records."""
        return {
            k: v
            for k, v in self.to_dict().items()
            if k not in ("budget", "max_rounds", "cost_power")
        }


# --------------------------------------------------------------------------- the rounds log
class RoundLog:
    """``<path>.rounds``: a header line with the build's fingerprint, then one JSON line per
    round, each written with one ``write`` and ``fsync`` before the round's rows run."""

    def __init__(self, path: Path, rounds: list[dict[str, Any]]) -> None:
        self.path = path
        self.rounds = rounds

    @classmethod
    def open(cls, path: Path, fingerprint: Mapping[str, Any], *, discard: bool) -> RoundLog:
        if path.exists():
            lines = path.read_text().splitlines()
            try:
                header = json.loads(lines[0])
                rounds = [json.loads(line) for line in lines[1:] if line.strip()]
            except (IndexError, ValueError) as exc:
                raise ValueError(
                    f"the rounds log {path} is damaged ({exc}); move it away to start over."
                ) from None
            if header.get("format") != _ROUNDS_FORMAT:
                raise ValueError(f"{path} is not a crtransport rounds log.")
            if header.get("fingerprint") == fingerprint:
                for i, rnd in enumerate(rounds):
                    if rnd.get("round") != i:
                        raise ValueError(f"the rounds log {path} is damaged at round {i}.")
                return cls(path, rounds)
            if not discard:
                diffs = describe_differences(header.get("fingerprint") or {}, fingerprint)
                raise ValueError(
                    f"the rounds log {path} belongs to a build with other settings "
                    f"({'; '.join(diffs)}); pass overwrite=True to start over or use another "
                    "path."
                )
        header = {"format": _ROUNDS_FORMAT, "version": _ROUNDS_VERSION, "fingerprint": fingerprint}
        _write_rounds(path, header, [])
        return cls(path, [])

    def append(self, rnd: Mapping[str, Any]) -> dict[str, Any]:
        line = json.dumps(rnd, allow_nan=True)
        with open(self.path, "a") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        rec = json.loads(line)
        self.rounds.append(rec)
        return rec

    @property
    def n_rows(self) -> int:
        return sum(len(r["rows"]) for r in self.rounds)


def rounds_path(path: Path) -> Path:
    """Where the rounds of the build of ``path`` are logged."""
    return path.with_name(path.name + ".rounds")


# --------------------------------------------------------------------------- helpers
def _check_space(space: Any) -> ParameterSpace:
    if not isinstance(space, ParameterSpace):
        raise TypeError(f"`space` must be a ParameterSpace; got {type(space).__name__}.")
    if space.sampling == "grid" or not space.continuous_axes:
        raise ValueError(
            "an active build needs a space with Free axes and sampling 'sobol', 'lhs' or "
            f"'uniform'; got sampling {space.sampling!r} with free axes {space.free_inputs}."
        )
    return space


def _rows_of(params: Mapping[str, NDArray]) -> list[list[float]]:
    return np.stack([params[name] for name in INPUTS], axis=1).tolist()


def _targets(records: Sequence[Mapping[str, Any]], rows: NDArray) -> NDArray:
    """``ln(D / (v lambda_perp))`` per row and target (NaN where D is not positive)."""
    T = rows[:, INPUTS.index("T")]
    scale = units.speed_from_T(T) * rows[:, INPUTS.index("lambda_perp")]
    out = np.full((len(records), len(TARGETS)), np.nan)
    for j, name in enumerate(TARGETS):
        d = np.array([rec[name] for rec in records], dtype=np.float64) / scale
        good = np.isfinite(d) & (d > 0)
        out[good, j] = np.log(d[good])
    return out


def _wave_evaluations(records: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> NDArray:
    per_step = float(settings["n_particles"]) * float(settings["n_waves"])
    return np.array([rec["n_steps"] for rec in records], dtype=np.float64) * per_step


def _quadratic_features(x: NDArray) -> NDArray:
    n, d = x.shape
    cols = [np.ones(n), *x.T]
    cols += [x[:, i] * x[:, j] for i in range(d) for j in range(i, d)]
    return np.stack(cols, axis=1)


def fit_cost_model(x: NDArray, evaluations: NDArray) -> NDArray:
    """Least-squares coefficients of ``ln(wave evaluations)`` quadratic in the unit cube."""
    coef, *_ = np.linalg.lstsq(_quadratic_features(x), np.log(evaluations), rcond=None)
    return coef


def predict_cost(coef: NDArray, x: NDArray) -> NDArray:
    """Expected wave evaluations at unit-cube points ``x`` (:func:`fit_cost_model`)."""
    return np.exp(_quadratic_features(x) @ coef)


def select_batch(x: NDArray, score: NDArray, size: int, exclusion: float) -> NDArray[np.int64]:
    """Indices of up to ``size`` points of highest ``score``, no two closer than ``exclusion``.

    Greedy: the best point is taken, every point within ``exclusion`` of it is dropped, and so
    on. Ties are broken by index (deterministic).
    """
    order = np.lexsort((np.arange(len(score)), -score))
    alive = np.ones(len(score), dtype=bool)
    picks: list[int] = []
    for i in order:
        if len(picks) == size:
            break
        if not alive[i] or not np.isfinite(score[i]):
            continue
        picks.append(int(i))
        alive &= np.sum((x - x[i]) ** 2, axis=1) >= exclusion**2
    return np.asarray(picks, dtype=np.int64)


def _sobol(d: int, n: int, rng: np.random.Generator) -> NDArray:
    from scipy.stats import qmc

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties.*")
        return qmc.Sobol(d, scramble=True, rng=rng).random(n)


# --------------------------------------------------------------------------- public API
def build_active_dataset(
    space: ParameterSpace,
    *,
    path: str | os.PathLike[str],
    learner: Learner,
    active: ActiveLearning,
    seed: int = 0,
    simulation: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
    n_workers: int | None = None,
    threads_per_sample: int | None = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> xr.Dataset:
    """Build a database by active learning within a compute budget (see the module notes).

    Parameters
    ----------
    space : ParameterSpace
        The inputs; every varying axis :class:`~crtransport.dataset.Free` (R, b, anisotropy,
        ... may be log-uniform). Its ``sampling`` makes the start (``"sobol"`` recommended).
    path : str or os.PathLike
        The netCDF4 file to write. The build journals its rows to ``<path>.journal`` and its
        rounds to ``<path>.rounds``; both are removed when the file is written. Commit them
        while the build runs to resume it on another machine.
    learner : Learner
        The surrogate ensemble that scores candidates, e.g.
        ``crtransport.surrogate.EnsembleLearner()``.
    active : ActiveLearning
        Budget, batch sizes and test set.
    seed : int, default: 0
        Seed of the designs, the candidates, the learner and every row (row ``i`` runs with
        ``SeedSequence(seed, spawn_key=(i,))``).
    simulation : dict, optional
        Keyword arguments of :func:`crtransport.simulate` for the training rows (the test rows
        take ``test_particle_factor`` times ``n_particles``), as for
        :func:`~crtransport.dataset.build_dataset`.
    executor, n_workers, threads_per_sample, overwrite, progress
        As for :func:`~crtransport.dataset.build_dataset`.

    Returns
    -------
    xarray.Dataset
        The database (read back from ``path``): the schema's variables plus ``split``
        (0 train, 1 test), ``design_round`` and ``acquisition_score``; the attributes
        ``active_learning``, ``active_learning_rounds`` (one entry per round: kind, rows,
        spread, cost), ``learner``, ``budget_core_hours`` and ``core_hours_used``.

    Raises
    ------
    ValueError
        If a setting is out of range, the space has no free axes or a grid, or the journal or
        rounds log belongs to a build with other settings (``overwrite=True`` starts over).
    TypeError
        If ``space`` is not a ParameterSpace or ``learner`` lacks ``describe`` and
        ``fit_predict``.
    RuntimeError
        If a row fails; the finished rows and rounds are kept.
    """
    return _build_active(
        space, path=path, learner=learner, active=active, seed=seed, simulation=simulation,
        executor=executor, n_workers=n_workers, threads_per_sample=threads_per_sample,
        overwrite=overwrite, progress=progress, run_fn=_simulate_run,
    )  # fmt: skip


def _build_active(
    space: ParameterSpace,
    *,
    path: str | os.PathLike[str],
    learner: Learner,
    active: ActiveLearning,
    seed: int,
    simulation: Mapping[str, Any] | None,
    executor: Executor | None,
    n_workers: int | None,
    threads_per_sample: int | None,
    overwrite: bool,
    progress: bool,
    run_fn: RunFn,
) -> xr.Dataset:
    """:func:`build_active_dataset` with an injectable per-row function (tests)."""
    space = _check_space(space)
    if not isinstance(learner, Learner):
        raise TypeError(
            "`learner` must have describe() and fit_predict(x, y, x_query, seed=...); got "
            f"{type(learner).__name__}."
        )
    if not isinstance(active, ActiveLearning):
        raise TypeError(f"`active` must be an ActiveLearning; got {type(active).__name__}.")
    seed = check_int("seed", seed, low=0, high=2**63 - 1)
    n_workers, threads_per_sample = check_pool(executor, n_workers, threads_per_sample)
    out_path = _check_path(path)
    if out_path is None:
        raise TypeError("`path` is required: an active build is journaled and resumable.")
    settings = _resolve_settings(simulation, simulation_defaults())
    fingerprint = json.loads(
        json.dumps(
            {
                # no crtransport version: a build spans releases (build scripts guard the
                # engine's numbers with a signature run); the writer's version is in the attrs
                "schema_version": SCHEMA_VERSION,
                "kind": "active",
                "seed": seed,
                "space": space.to_dict(),
                "simulation": settings,
                "active": active.design_dict(),
                "learner": learner.describe(),
            }
        )
    )
    lock = BuildLock.acquire(out_path)
    try:
        remove_stale_temporaries(out_path)
        _migrate_cost_power(out_path)
        if _existing_result(out_path, fingerprint, overwrite):
            return open_dataset(out_path)
        build = _ActiveBuild(
            space, out_path, learner, active, seed, settings, fingerprint,
            executor=executor, n_workers=n_workers, threads=threads_per_sample,
            overwrite=overwrite, progress=progress, run_fn=run_fn,
        )  # fmt: skip
        return build.run()
    finally:
        lock.release()


def _migrate_cost_power(path: Path) -> None:
    """Builds begun while ``cost_power`` was part of the fingerprint hold it in both headers:
    move it into their acquisition rounds (which all used it), so that they resume. The
    journal is written first; a rerun after an interruption finishes the rounds log."""
    rounds_file, journal_file = rounds_path(path), journal_path(path)
    if not rounds_file.is_file():
        return
    try:
        header, rounds = _read_rounds(rounds_file)
        active = header["fingerprint"]["active"]
    except (IndexError, KeyError, TypeError, ValueError):
        return  # not a rounds log of this kind: RoundLog.open says what is wrong
    if header.get("format") != _ROUNDS_FORMAT or "cost_power" not in active:
        return
    legacy = active.pop("cost_power")
    for rnd in rounds:
        if rnd.get("kind") == "acquisition":
            rnd.setdefault("cost_power", legacy)
    if journal_file.is_file():
        jlines = _complete_lines(journal_file, binary=True)
        jheader = json.loads(jlines[0])
        if jheader.get("fingerprint", {}).get("active", {}).pop("cost_power", None) is not None:
            head = json.dumps(jheader, separators=(",", ":")).encode()
            replace_lines(journal_file, [head, *jlines[1:]])
    _write_rounds(rounds_file, header, rounds)
    logger.warning(
        "%s: moved cost_power = %s from the build's fingerprint into its acquisition rounds "
        "(it is no longer part of the fingerprint)",
        rounds_file, legacy,
    )  # fmt: skip


def read_active_build(path: str | os.PathLike[str]) -> xr.Dataset:
    """The rows an active build has finished so far, from its journal and rounds log.

    For monitoring a build that runs for days (learning curves, cost maps) and for resuming
    work on another machine. The rows are in row order with ``split`` and ``design_round``;
    unfinished rows are left out. Nothing is written.

    Raises
    ------
    FileNotFoundError
        If ``<path>.rounds`` or ``<path>.journal`` does not exist.
    """
    path = Path(path)
    rounds_file = rounds_path(path)
    if not rounds_file.exists():
        raise FileNotFoundError(f"no active build at {path}: {rounds_file} does not exist.")
    # read without locking or repairing anything: the build may be writing both files
    header, rounds = _read_rounds(rounds_file)
    fingerprint = header["fingerprint"]
    journal_file = journal_path(path)
    if not journal_file.exists():
        raise FileNotFoundError(f"no journal of the build of {path}: {journal_file}.")
    journal_header, records = parse_lines(journal_file, _complete_lines(journal_file, binary=True))
    if journal_header["fingerprint"] != fingerprint:
        raise ValueError(f"{journal_file} and {rounds_file} belong to different builds.")
    return _assemble(rounds, records, fingerprint, budget=None)


def reduce_test_set(path: str | os.PathLike[str], n_test: int, *, reason: str) -> dict[str, Any]:
    """End the held-out test round of an unfinished active build at its first ``n_test`` rows.

    The test rows are drawn independently and uniformly at random in row order, so their first
    ``n_test`` are a uniform sample of that size and the build continues exactly as one started
    with ``ActiveLearning(n_test=n_test)`` would (same rows, same seeds, same acquisition
    rounds). Use it when the test rows turn out dearer than planned and the budget is better
    spent on training rows; resume with ``n_test`` set to the new value.

    The rounds log records each cut in the test round's ``reduced`` list (rows before and
    after, the ``reason``, the finished rows and core-seconds discarded, the date), which
    reaches the finished file's ``active_learning_rounds`` attribute. Finished test rows beyond
    the first ``n_test`` are dropped from the journal: account for their core-seconds (they are
    no longer in the file's ``core_hours_used``). The rounds log is written first, then the
    journal; if the call is interrupted between the two, call it again: it completes the cut.

    Parameters
    ----------
    path : str or os.PathLike
        The database path given to :func:`build_active_dataset`.
    n_test : int
        Test rows to keep, from 1 to the rows the test round holds now (equal: nothing to do).
    reason : str
        Why, for the record (non-empty).

    Returns
    -------
    dict
        The test round's totals over every cut: ``rows_drawn``, ``n_test``,
        ``discarded_rows``, ``discarded_core_seconds`` (the same when called again).

    Raises
    ------
    FileNotFoundError
        If there is no unfinished active build at ``path``.
    TypeError
        If ``n_test`` is not an integer.
    ValueError
        If the test round is not recorded yet (resume with the smaller ``n_test`` instead) or
        an acquisition round is (its row numbers follow the test round's), ``n_test`` is out
        of range, ``reason`` is empty, or the journal and rounds log belong to different
        builds.
    BlockingIOError
        If a build of that path is running.
    """
    path = Path(path)
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("`reason` must be a non-empty string saying why the test set is cut.")
    rounds_file, journal_file = rounds_path(path), journal_path(path)
    if not rounds_file.is_file():
        raise FileNotFoundError(f"no unfinished active build at {path}: no {rounds_file}.")
    lock = BuildLock.acquire(path)
    try:
        header, rounds = _read_rounds(rounds_file)
        if header.get("format") != _ROUNDS_FORMAT:
            raise ValueError(f"{rounds_file} is not a crtransport rounds log.")
        kinds = [rnd.get("kind") for rnd in rounds]
        if kinds[:2] != ["start", "test"]:
            raise ValueError(
                f"the test round of {path} is not recorded yet ({kinds}): resume the build "
                "with the smaller n_test instead."
            )
        if len(kinds) > 2:
            raise ValueError(
                f"the test set of {path} can only be cut before the first acquisition round "
                f"(its row numbers follow the test round's); the rounds log holds {kinds}."
            )
        fp, test = header["fingerprint"], rounds[TEST]
        first, before = int(test["first_row"]), len(test["rows"])
        if before == 0:
            raise ValueError(f"the build of {path} has no test rows to cut.")
        n_test = check_int("n_test", n_test, low=1, high=before)
        records: dict[int, dict[str, Any]] = {}
        if journal_file.is_file():
            journal_header, records = parse_lines(
                journal_file, _complete_lines(journal_file, binary=True)
            )
            jfp = journal_header["fingerprint"]
            if jfp != fp:  # an interrupted cut left the journal behind the rounds log?
                behind = json.loads(json.dumps(jfp))
                behind["active"]["n_test"] = fp["active"]["n_test"]
                if behind != fp or jfp["active"]["n_test"] < before:
                    raise ValueError(
                        f"{journal_file} and {rounds_file} belong to different builds."
                    )
                _cut_journal(journal_file, journal_header, records, fp, first + before)
        if n_test < before:
            cut = [i for i in records if first + n_test <= i < first + before]
            new_fp = json.loads(json.dumps(fp))
            new_fp["active"]["n_test"] = n_test
            test = {
                **test,
                "rows": test["rows"][:n_test],
                "reduced": [
                    *test.get("reduced", []),
                    {
                        "n_rows_before": before,
                        "n_rows_after": n_test,
                        "reason": reason,
                        "discarded_rows": len(cut),
                        "discarded_core_seconds": sum(
                            float(records[i].get("cpu_time", records[i]["wall_time"])) for i in cut
                        ),
                        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    },
                ],
            }
            _write_rounds(rounds_file, {**header, "fingerprint": new_fp}, [rounds[START], test])
            if journal_file.is_file():
                _cut_journal(journal_file, journal_header, records, new_fp, first + n_test)
            logger.warning(
                "cut the test set of %s from %d to %d rows (%d finished rows, %.1f "
                "core-seconds discarded); resume with ActiveLearning(n_test=%d)",
                path, before, n_test, len(cut), test["reduced"][-1]["discarded_core_seconds"],
                n_test,
            )  # fmt: skip
    finally:
        lock.release()
    cuts = test.get("reduced", [])
    return {
        "rows_drawn": cuts[0]["n_rows_before"] if cuts else len(test["rows"]),
        "n_test": len(test["rows"]),
        "discarded_rows": sum(c["discarded_rows"] for c in cuts),
        "discarded_core_seconds": sum(c["discarded_core_seconds"] for c in cuts),
    }


def _cut_journal(
    path: Path,
    header: Mapping[str, Any],
    records: Mapping[int, Mapping[str, Any]],
    fingerprint: Mapping[str, Any],
    end: int,
) -> None:
    """Write the journal again with ``fingerprint``, without the test rows from ``end`` on
    (the test round's rows end at ``end``; the rows of later rounds are not there yet)."""
    kept = [
        json.dumps(records[i], separators=(",", ":")).encode() for i in sorted(records) if i < end
    ]
    head = json.dumps({**header, "fingerprint": fingerprint}, separators=(",", ":")).encode()
    replace_lines(path, [head, *kept])


def _read_rounds(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Header and rounds of a rounds log (its complete lines; no locking, nothing written)."""
    lines = _complete_lines(path)
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def _write_rounds(
    path: Path, header: Mapping[str, Any], rounds: Sequence[Mapping[str, Any]]
) -> None:
    """Write a rounds log whole (a new build, or one rewritten by a cut or a migration)."""
    replace_lines(
        path,
        [json.dumps(header).encode(), *(json.dumps(r, allow_nan=True).encode() for r in rounds)],
    )


def _complete_lines(path: Path, *, binary: bool = False) -> list[Any]:
    """The lines of ``path`` up to its last newline (a line being written is left out)."""
    raw = path.read_bytes()
    lines = raw.split(b"\n")[:-1]
    return lines if binary else [line.decode() for line in lines if line.strip()]


# --------------------------------------------------------------------------- the build
class _ActiveBuild:
    """One call of :func:`build_active_dataset`, with the lock held."""

    def __init__(
        self,
        space: ParameterSpace,
        path: Path,
        learner: Learner,
        active: ActiveLearning,
        seed: int,
        settings: dict[str, Any],
        fingerprint: dict[str, Any],
        *,
        executor: Executor | None,
        n_workers: int | None,
        threads: int | None,
        overwrite: bool,
        progress: bool,
        run_fn: RunFn,
    ) -> None:
        self.run_fn = run_fn
        self.space, self.path, self.learner, self.active = space, path, learner, active
        self.seed, self.settings, self.fingerprint = seed, settings, fingerprint
        self.test_settings = {
            **settings,
            "n_particles": int(settings["n_particles"]) * active.test_particle_factor,
        }
        self.run_kw: dict[str, Any] = dict(
            executor=executor, n_workers=n_workers, progress=progress
        )
        self.threads = threads
        self.log = RoundLog.open(rounds_path(path), fingerprint, discard=overwrite)
        self.journal = Journal.open(journal_path(path), fingerprint, discard_mismatch=overwrite)
        self.records: dict[int, dict[str, Any]] = self.journal.records

    # ---------------------------------------------------------------- rounds
    def _record_design_rounds(self) -> None:
        if len(self.log.rounds) == START:
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, 1]))
            params = self.space.sample(self.active.initial_samples, seed=rng)
            self._append_round("start", params, note=f"{self.space.sampling} design")
        if len(self.log.rounds) == TEST:
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, 2]))
            u = rng.random((self.active.n_test, len(self.space.continuous_axes)))
            params = self.space.from_unit(u)
            self._append_round("test", params, note="uniform at random; never acquired on")

    def _append_round(
        self, kind: str, params: Mapping[str, NDArray], *, note: str, **extra: Any
    ) -> None:
        rnd = {
            "round": len(self.log.rounds),
            "kind": kind,
            "first_row": self.log.n_rows,
            "rows": _rows_of(params),
            "note": note,
            "core_seconds_before": self._spent(),
            **extra,
        }
        self.log.append(rnd)
        logger.info("round %d (%s): %d rows", rnd["round"], kind, len(rnd["rows"]))

    def _spent(self) -> float:
        return float(sum(rec.get("cpu_time", rec["wall_time"]) for rec in self.records.values()))

    def _run_rounds(self) -> None:
        """Run every recorded row not yet done, all rounds in one pool (no idle tail between
        rounds that are already decided, e.g. the start and the test set)."""
        rows = np.asarray(
            [row for rnd in self.log.rounds for row in rnd["rows"]], dtype=np.float64
        ).reshape(-1, len(INPUTS))
        test = np.zeros(len(rows), dtype=bool)
        test[_round_rows(self.log.rounds, test=True)] = True
        todo = [i for i in range(len(rows)) if i not in self.records]
        if todo:
            if self.run_fn is _simulate_run:
                for is_test, settings in ((False, self.settings), (True, self.test_settings)):
                    part = [i for i in todo if test[i] == is_test]
                    if part:
                        _check_rows(rows[part], settings)

            def settings_of(index: int) -> dict[str, Any]:
                return self.test_settings if test[index] else self.settings

            _run_samples(
                todo, rows, settings_of, self.seed, None, self.threads, self.run_fn,
                journal=self.journal, records=self.records, n_done=len(rows) - len(todo),
                n_sim=len(rows), **self.run_kw,
            )  # fmt: skip
        for rnd in self.log.rounds:
            self._check_round(rnd, np.asarray(rnd["rows"], dtype=np.float64))

    def _check_round(self, rnd: Mapping[str, Any], rows: NDArray) -> None:
        first = int(rnd["first_row"])
        for k, row in enumerate(rows):
            rec = self.records[first + k]
            if not np.allclose(rec["params"], row, rtol=1e-12, atol=0.0, equal_nan=True):
                raise ValueError(
                    f"the journal holds row {first + k} with inputs that differ from round "
                    f"{rnd['round']} of {self.log.path}; the two files belong to different "
                    "builds. Move them away (or pass overwrite=True) to start over."
                )

    def _training(self) -> tuple[NDArray, NDArray, NDArray]:
        """Unit-cube inputs, targets and wave evaluations of the training rows, in row order."""
        indices = self._training_indices()
        records = [self.records[i] for i in indices]
        arr = np.asarray([rec["params"] for rec in records], dtype=np.float64)
        x = self.space.to_unit({name: arr[:, j] for j, name in enumerate(INPUTS)})
        return x, _targets(records, arr), _wave_evaluations(records, self.settings)

    def _core_seconds_model(self, evals: NDArray) -> tuple[float, float]:
        """``(overhead, rate)``: core-seconds of a training row ~ overhead + rate x evaluations
        (least squares over the training rows, both >= 0)."""
        cpu = np.array(
            [self.records[i].get("cpu_time", 0.0) for i in self._training_indices()], dtype=float
        )
        (overhead, rate), *_ = np.linalg.lstsq(
            np.stack([np.ones_like(evals), evals], axis=1), cpu, rcond=None
        )
        if rate <= 0.0 or overhead < 0.0:  # degenerate fit: proportional cost
            overhead, rate = 0.0, float(cpu.sum() / max(evals.sum(), 1.0))
        return float(overhead), float(rate)

    def _acquire(self, budget_left_s: float) -> bool:
        """Record the next acquisition round; False if the budget pays for no row."""
        r = len(self.log.rounds)
        x, y, evals = self._training()
        overhead, rate = self._core_seconds_model(evals)
        d = x.shape[1]
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 3, r]))
        cand = _sobol(d, self.active.n_candidates, rng)
        start = time.process_time()
        pred = np.asarray(
            self.learner.fit_predict(x, y, cand, seed=int(rng.integers(2**31))), dtype=float
        )
        train_s = time.process_time() - start
        spread = np.sqrt(np.nanmean(np.nanvar(pred, axis=0, ddof=1), axis=-1))
        cost = predict_cost(fit_cost_model(x, evals), cand)
        score = spread / (cost / np.median(evals)) ** self.active.cost_power
        exclusion = self.active.exclusion or 0.5 * self.active.batch_size ** (-1.0 / d)
        picks = select_batch(cand, score, self.active.batch_size, exclusion)
        # the fit of the training rows' cost, scaled by what the earlier acquisition rounds
        # actually cost against what it expected of them (their picks are not typical rows)
        scale = _cost_scale(self.log.rounds, self.records)
        expected_s = (overhead + rate * cost) * scale
        affordable = np.cumsum(expected_s[picks]) <= budget_left_s
        picks = picks[affordable] if affordable.all() else picks[: int(np.argmin(affordable))]
        if len(picks) == 0:
            return False
        params = self.space.from_unit(cand[picks])
        self._append_round(
            "acquisition",
            params,
            note=(
                f"ensemble spread of ln D per (unit cost)^{self.active.cost_power:g}, "
                f"exclusion {exclusion:.3g}"
            ),
            cost_power=self.active.cost_power,
            score=[float(s) for s in score[picks]],
            spread=[float(s) for s in spread[picks]],
            expected_core_seconds=[float(c) for c in expected_s[picks]],
            cost_scale=scale,
            candidate_spread_median=float(np.median(spread)),
            candidate_spread_max=float(np.max(spread)),
            learner_core_seconds=train_s,
            n_training_rows=len(x),
        )
        return True

    def run(self) -> xr.Dataset:
        try:
            self._record_design_rounds()
            budget_s = self.active.budget * 3600.0
            while True:
                self._run_rounds()
                n_acq = len(self.log.rounds) - 2
                if self.active.max_rounds is not None and n_acq >= self.active.max_rounds:
                    break
                last = self.log.rounds[-1]
                if last["kind"] == "acquisition" and len(last["rows"]) < self.active.batch_size:
                    break  # the budget paid for part of a batch: that was the last round
                if not self._acquire(budget_s - self._spent()):
                    break
            ds = _assemble(
                self.log.rounds, self.records, self.fingerprint, budget=self.active.budget
            )
            write_dataset(ds, self.path)
        except BaseException:
            self.journal.close()
            raise
        self.journal.remove()
        self.log.path.unlink()
        return open_dataset(self.path)

    def _training_indices(self) -> list[int]:
        return _round_rows(self.log.rounds, test=False)


def _cost_scale(
    rounds: Sequence[Mapping[str, Any]], records: Mapping[int, Mapping[str, Any]]
) -> float:
    """Core-seconds the finished rows of the acquisition rounds took over the core-seconds
    their rounds expected of them before the scale (1 before the first such round)."""
    spent = expected = 0.0
    for rnd in rounds:
        if rnd["kind"] != "acquisition":
            continue
        unscale = float(rnd.get("cost_scale", 1.0))
        for k, exp in enumerate(rnd["expected_core_seconds"]):
            rec = records.get(int(rnd["first_row"]) + k)
            if rec is not None:
                spent += float(rec.get("cpu_time", rec["wall_time"]))
                expected += float(exp) / unscale
    return spent / expected if spent > 0.0 and expected > 0.0 else 1.0


def _round_rows(rounds: Sequence[Mapping[str, Any]], *, test: bool) -> list[int]:
    """Row indices of the test round (``test``) or of every other round, in row order."""
    return [
        i
        for rnd in rounds
        if (rnd["kind"] == "test") == test
        for i in range(int(rnd["first_row"]), int(rnd["first_row"]) + len(rnd["rows"]))
    ]


def _assemble(
    rounds: Sequence[Mapping[str, Any]],
    records: Mapping[int, Mapping[str, Any]],
    fingerprint: Mapping[str, Any],
    *,
    budget: float | None,
) -> xr.Dataset:
    """The Dataset of the finished rows with the design variables and attributes."""
    rows, ordered, split, round_of, score = [], [], [], [], []
    summaries = []
    factor = int(fingerprint["active"]["test_particle_factor"])
    test_rows = set(_round_rows(rounds, test=True))

    def settings_of(rec: Mapping[str, Any]) -> dict[str, float]:
        base = fingerprint["simulation"]
        scale = factor if int(rec["index"]) in test_rows else 1
        return {"n_particles": base["n_particles"] * scale, "n_waves": base["n_waves"]}

    for rnd in rounds:
        first = int(rnd["first_row"])
        scores = rnd.get("score") or [math.nan] * len(rnd["rows"])
        done = 0
        for k, row in enumerate(rnd["rows"]):
            if first + k not in records:
                continue
            done += 1
            rows.append(row)
            ordered.append(records[first + k])
            split.append(1 if rnd["kind"] == "test" else 0)
            round_of.append(int(rnd["round"]))
            score.append(float(scores[k]))
        # per-row lists stay in the rounds log and the variables (acquisition_score): the
        # attribute keeps one line per round readable
        per_row = ("rows", "score", "spread", "expected_core_seconds")
        summary = {k: v for k, v in rnd.items() if k not in per_row}
        summary.update(n_rows=len(rnd["rows"]), n_done=done)
        if rnd.get("spread"):
            summary["spread_median"] = float(np.median(rnd["spread"]))
        if rnd.get("expected_core_seconds"):
            summary["expected_core_seconds_total"] = float(sum(rnd["expected_core_seconds"]))
        summaries.append(summary)
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, len(INPUTS))
    params = {name: arr[:, j] for j, name in enumerate(INPUTS)}
    spent_s = float(sum(rec.get("cpu_time", 0.0) for rec in ordered))
    host = f"{platform.platform()}, {os.cpu_count()} cpus"
    attrs = build_attrs(
        {**fingerprint, "n_samples": len(ordered), "n_analytic": 0,
         "crtransport_version": __version__},
        ordered,
        host=host,
    )  # fmt: skip
    evaluations = sum(
        float(rec["n_steps"]) * settings_of(rec)["n_particles"] * settings_of(rec)["n_waves"]
        for rec in ordered
    )
    n_test = int(np.sum(split))
    attrs.update(
        history=(
            f"{attrs['history'].split(' crtransport ')[0]} crtransport "
            f"{__version__}: build_active_dataset, {len(ordered)} rows "
            f"({n_test} test) in {len(rounds)} rounds, seed {fingerprint['seed']}"
        ),
        config_json=json.dumps(fingerprint),
        cost_wave_evaluations=evaluations,
        active_learning=json.dumps(fingerprint["active"]),
        active_learning_rounds=json.dumps(summaries),
        learner=json.dumps(fingerprint["learner"]),
        core_hours_used=spent_s / 3600.0,
    )
    if budget is not None:
        attrs["budget_core_hours"] = float(budget)
    ds = assemble(
        params,
        ordered,
        is_analytic=np.zeros(len(ordered), dtype=bool),
        running_times=None,
        attrs=attrs,
        design={
            "split": np.asarray(split, dtype=np.int64),
            "design_round": np.asarray(round_of, dtype=np.int64),
            "acquisition_score": np.asarray(score, dtype=np.float64),
        },
    )
    ds["seed_index"].values[:] = [int(r["index"]) for r in ordered]
    return ds
