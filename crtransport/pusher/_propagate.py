"""Particle ensembles and their propagation through wave realizations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport import units
from crtransport._validation import (
    check_array,
    check_choice,
    check_int,
    check_real,
    check_seed,
    warn_accuracy,
)
from crtransport._workload import check_workload
from crtransport.pusher._kernels import boris_push_kernel
from crtransport.turbulence._modes import WaveModes

__all__ = ["MAX_ROTATION_PER_STEP", "Displacements", "initial_conditions", "propagate"]

#: Pushers :func:`propagate` can run on (its ``backend`` argument).
BACKENDS = ("numba", "jax")
Backend = Literal["numba", "jax"]

#: Rotation angle per step in the RMS field (rad; 2 pi / 20, twenty steps per gyration) above
#: which propagate warns. The convergence study found D_perp biased by 5-13 % at 20 steps per
#: gyration and 13-23 % at 10 (the paper's dt); the default step of simulate takes 40.
MAX_ROTATION_PER_STEP = 2.0 * math.pi / 20.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Displacements:
    r"""Displacements of an ensemble at the saved times, and its final state.

    Attributes
    ----------
    times : ndarray of float64, shape (n_save,)
        Output times in 1/omega_c.
    displacement : ndarray of float64, shape (n_particles, n_save, 3)
        r(t) - r(0) in rho0.
    gc_displacement : ndarray of float64, shape (n_particles, n_save, 3)
        R(t) - R(0) in rho0 for the guiding centre about the mean field,
        :math:`\mathbf R = \mathbf r + \mathbf u \times \hat e_z` (so ``R_z = z``). It
        removes the gyration: at ``b = 0`` it is constant to round-off under these Boris
        steps, and it differs from ``displacement`` by at most ``2 |u|`` (two Larmor radii
        in B0), so both give the same asymptotic diffusion coefficients.
    final_positions : ndarray of float64, shape (n_particles, 3)
        r(t_end) in rho0.
    final_momenta : ndarray of float64, shape (n_particles, 3)
        u(t_end) = gamma v / c.
    origin : ndarray of float64, shape (n_particles, 3)
        r(0), the reference of ``displacement``.
    gc_origin : ndarray of float64, shape (n_particles, 3)
        R(0), the reference of ``gc_displacement``.
    gamma : float
        Lorentz factor (constant: E = 0).
    dt : float
        Time step in 1/omega_c.
    n_steps : int
        Steps taken since r(0) (this call and the runs it resumes).
    """

    times: NDArray[np.float64]
    displacement: NDArray[np.float64]
    gc_displacement: NDArray[np.float64]
    final_positions: NDArray[np.float64]
    final_momenta: NDArray[np.float64]
    origin: NDArray[np.float64]
    gc_origin: NDArray[np.float64]
    gamma: float
    dt: float
    n_steps: int


def initial_conditions(
    T: float,
    mu: float | ArrayLike,
    n_particles: int,
    *,
    seed: int | np.random.SeedSequence | np.random.Generator = 0,
    positions: ArrayLike | None = None,
    momentum: float | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Positions and momenta of an ensemble with given energy and pitch cosine.

    Each particle has speed ``v(T)``, pitch cosine ``mu = v_par / v`` and a gyro-phase drawn
    uniformly in ``[0, 2 pi)``.

    Parameters
    ----------
    T : float
        Kinetic energy in m c^2, > 0.
    mu : float or array_like, shape (n_particles,)
        Pitch cosine(s) in [-1, 1].
    n_particles : int
        Ensemble size, >= 1.
    seed : int, SeedSequence or Generator, default: 0
        Randomness for the gyro-phases.
    positions : array_like, shape (n_particles, 3), optional
        Starting points in rho0; default the origin.
    momentum : float, optional
        ``|u|`` of every particle, > 0; default ``units.u_from_T(T)``. For reproducing runs
        made with another formula for ``u(T)`` (:class:`crtransport.RunRules` ``kinematics``).

    Returns
    -------
    positions : ndarray of float64, shape (n_particles, 3)
        In rho0.
    momenta : ndarray of float64, shape (n_particles, 3)
        u = gamma v in units of c.

    Raises
    ------
    ValueError
        If ``T <= 0``, ``|mu| > 1``, ``n_particles < 1``, the arrays would not fit in memory,
        or ``positions`` has the wrong shape.
    """
    T = check_real("T", T, low=0.0, low_open=True)
    if momentum is not None:
        momentum = check_real("momentum", momentum, low=0.0, low_open=True)
    n_particles = check_int("n_particles", n_particles, low=1)
    # issue 19: refuse sizes that cannot be allocated (before trying to)
    check_workload(n_particles=n_particles, n_waves=0, n_steps=0, n_save=0, steps_from="none")
    try:
        mu_arr = np.asarray(mu, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`mu` must be a real number or an array of them; got {mu!r}.") from None
    if mu_arr.ndim > 1 or (mu_arr.ndim == 1 and mu_arr.shape != (n_particles,)):
        raise ValueError(
            f"`mu` must be a number or have shape (n_particles,) = ({n_particles},); got "
            f"shape {mu_arr.shape}."
        )
    mu_arr = np.broadcast_to(mu_arr, (n_particles,))
    if not np.all(np.isfinite(mu_arr)) or np.any(np.abs(mu_arr) > 1.0):
        bad = mu_arr[~(np.abs(mu_arr) <= 1.0)][0]
        raise ValueError(f"`mu` must be in [-1, 1]; got {bad:g}.")
    rng = np.random.default_rng(check_seed("seed", seed))
    phase = rng.uniform(0.0, 2.0 * np.pi, n_particles)
    u = float(units.u_from_T(T)) if momentum is None else momentum
    u_perp = u * np.sqrt(1.0 - mu_arr**2)
    momenta = np.stack([u_perp * np.cos(phase), u_perp * np.sin(phase), u * mu_arr], axis=-1)
    if positions is None:
        pos = np.zeros((n_particles, 3))
    else:
        pos = check_array(
            "positions",
            positions,
            shape=(n_particles, 3),
            shape_text=f"(n_particles, 3) = ({n_particles}, 3)",
        )
    return pos, momenta


def propagate(
    modes: WaveModes,
    positions: ArrayLike,
    momenta: ArrayLike,
    *,
    dt: float,
    n_steps: int,
    save_every: int = 1,
    realization: int | ArrayLike | None = None,
    resume: Displacements | None = None,
    backend: Backend = "numba",
) -> Displacements:
    r"""Integrate the relativistic equation of motion for an ensemble (Boris, float64).

    Solves :math:`d\mathbf u/dt = (\mathbf u/\gamma) \times (\hat e_z + \mathbf b(\mathbf r))`,
    :math:`d\mathbf r/dt = \mathbf u/\gamma` with the drift-kick-drift Boris scheme:
    half drift, rotation of ``u`` about :math:`\mathbf t = \mathbf B\,\delta t/(2\gamma)`
    (field at the half-step position), half drift. Second order; ``|u|`` is conserved to
    round-off. In a uniform field the velocity turns by :math:`2\arctan(\Omega\delta t/2)` per
    step and the orbit radius is exactly :math:`\rho = \gamma v_\perp` (see the pusher guide).
    With E = 0 this coincides with Vay's pusher. Parallel over particles (Numba ``prange``);
    each particle's arithmetic does not depend on the thread count, so results are bit-identical
    for any number of threads.

    Parameters
    ----------
    modes : WaveModes
        Field realizations.
    positions : array_like of float64, shape (n_particles, 3)
        Initial positions in rho0.
    momenta : array_like of float64, shape (n_particles, 3)
        Initial u = gamma v in units of c; all particles must have the same ``|u|``.
    dt : float
        Time step in 1/omega_c, > 0.
    n_steps : int
        Number of steps, >= 1.
    save_every : int, default: 1
        Record the displacement every ``save_every`` steps (times ``dt * save_every * i``).
    realization : int, array_like of int or None, default: None
        Realization of each particle. None: particle ``p`` in realization ``p`` (requires
        ``modes.n_realizations == n_particles``, the paper's method); an int: all particles share
        that realization.
    resume : Displacements, optional
        Continue an earlier run of the same ensemble in the same ``modes``: start from its
        final state, keep its origins (displacements stay relative to r(0)) and its clock
        (times continue from its last step). ``positions`` and ``momenta`` must then be its
        ``final_positions`` and ``final_momenta`` and ``dt`` its ``dt``. A run split this way
        agrees with one long run to round-off (about 1e-14 relative: the compiled loop may
        fuse the half drifts of consecutive steps, which a split undoes), and a given split is
        reproduced bit for bit. The resumed run may have used either backend.
    backend : {'numba', 'jax'}, default: 'numba'
        The pusher. 'numba': the compiled CPU kernel, parallel over particles. 'jax': the same
        scheme in JAX, float64, on the first device JAX finds (a GPU if JAX was installed with
        CUDA support, e.g. ``pip install "jax[cuda12]"``; otherwise JAX's CPU backend, about
        ten times slower than 'numba'); particles are pushed in batches that fit the device
        memory. The two agree to round-off over a few hundred steps (the same arithmetic in a
        different order) and then diverge as any two chaotic trajectories do; ensemble
        statistics agree within their errors. Each backend reproduces its own results bit for
        bit on a given machine. See :doc:`/guide/gpu`.

    Returns
    -------
    Displacements

    Raises
    ------
    ValueError
        On wrong shapes, non-finite values, unequal ``|u|``, ``dt <= 0``, ``n_steps < 1``,
        ``save_every`` outside ``[1, n_steps]``, realization indices out of range or an
        unknown ``backend``; if the work or memory is above the run limits
        (``crtransport._workload``: 1e8 steps, 1e15 wave evaluations, the machine's memory),
        or the particles can travel so far that the wave phases exceed ``MAX_PHASE`` = 1e14
        rad (the field's cosine is not exact there).
    TypeError
        If ``modes`` is not a WaveModes.
    ImportError
        If ``backend='jax'`` and JAX is not installed.

    Warns
    -----
    AccuracyWarning
        If the step turns the velocity by more than ``MAX_ROTATION_PER_STEP`` rad in the RMS
        field ``sqrt(1 + b^2)`` (the default rule of :func:`crtransport.simulate` keeps 0.16).
    """
    check_choice("backend", backend, BACKENDS)
    # ---- issue 19: boundary checks before any work (types, work, phases)
    if not isinstance(modes, WaveModes):
        raise TypeError(f"`modes` must be a WaveModes; got {type(modes).__name__}.")
    pos = check_array("positions", positions, shape=(None, 3), shape_text="(n_particles, 3)")
    n = pos.shape[0]
    mom = check_array("momenta", momenta, shape=(n, 3), shape_text=f"(n_particles, 3) = ({n}, 3)")
    dt = check_real("dt", dt, low=0.0, low_open=True)
    n_steps = check_int("n_steps", n_steps, low=1)
    save_every = check_int("save_every", save_every, low=1, high=n_steps)
    check_workload(
        n_particles=n,
        n_waves=modes.n_waves,
        n_steps=n_steps,
        n_save=n_steps // save_every,
        steps_from=f"`n_steps` = {n_steps}",
    )
    umag = np.sqrt(np.sum(mom**2, axis=1))
    if np.ptp(umag) > 1e-12 * max(float(umag.max()), 1.0):
        raise ValueError(
            "`momenta` must all have the same |u| (one energy); got "
            f"{umag.min():g}..{umag.max():g}."
        )
    gamma = math.hypot(1.0, float(umag[0]))  # no overflow of u^2 at large |u|
    start = float(np.sqrt(np.einsum("pi,pi->p", pos, pos).max()))
    modes._check_reach(
        start + float(umag[0]) / gamma * dt * n_steps,
        what=f"particles starting within |r| = {start:.3g} rho0 and moving for `n_steps` x "
        f"`dt` = {n_steps} x {dt:.3g}",
        fix="shorten the run (n_steps, dt) or narrow the band of wave numbers",
    )
    if realization is None:
        if modes.n_realizations != n:
            raise ValueError(
                "`realization` None means one realization per particle: `modes` has "
                f"{modes.n_realizations} realizations for {n} particles."
            )
        real = np.arange(n, dtype=np.int64)
    else:
        real = np.ascontiguousarray(np.broadcast_to(np.asarray(realization), (n,)), np.int64)
        if real.min() < 0 or real.max() >= modes.n_realizations:
            raise ValueError(
                f"`realization` must be in [0, {modes.n_realizations - 1}]; got "
                f"{int(real.min())}..{int(real.max())}."
            )
    b_rms = float(np.sqrt(modes.mean_square_field.max()))
    field_rms = math.sqrt(1.0 + b_rms**2)
    rotation = dt * field_rms / gamma
    if rotation > MAX_ROTATION_PER_STEP:
        warn_accuracy(
            f"`dt` = {dt:g} turns the velocity by {rotation:.3g} rad per step in the RMS field "
            f"sqrt(1 + b^2) = {field_rms:.3g} (gamma = {gamma:.4g}); keep it below "
            f"{MAX_ROTATION_PER_STEP:.3g} rad (20 steps per gyration), i.e. dt < "
            f"{MAX_ROTATION_PER_STEP * gamma / field_rms:.3g}."
        )
    if resume is None:
        origin = pos
        gc_origin = _guiding_centre(pos, mom)
        steps_before = 0
    else:
        if resume.final_positions.shape != (n, 3):
            raise ValueError(
                f"`resume` holds {resume.final_positions.shape[0]} particles; got {n} positions."
            )
        if not (
            np.array_equal(resume.final_positions, pos)
            and np.array_equal(resume.final_momenta, mom)
        ):
            raise ValueError(
                "`positions` and `momenta` must be the `final_positions` and `final_momenta` of "
                "`resume` (the run being continued)."
            )
        if dt != resume.dt:
            raise ValueError(f"`dt` must be the resumed run's dt = {resume.dt!r}; got {dt!r}.")
        origin, gc_origin, steps_before = resume.origin, resume.gc_origin, resume.n_steps
    save_steps = np.arange(save_every, n_steps + 1, save_every, dtype=np.int64)
    out_disp = np.empty((n, save_steps.size, 3))
    out_gc = np.empty((n, save_steps.size, 3))
    out_pos = np.empty((n, 3))
    out_u = np.empty((n, 3))
    push = boris_push_kernel if backend == "numba" else _jax_push()
    push(
        modes.tables,
        modes.has_bz,
        real,
        origin,
        gc_origin,
        pos,
        mom,
        gamma,
        dt,
        n_steps,
        save_steps,
        out_disp,
        out_gc,
        out_pos,
        out_u,
    )
    return Displacements(
        times=((steps_before + save_steps) * dt).astype(np.float64),
        displacement=out_disp,
        gc_displacement=out_gc,
        final_positions=out_pos,
        final_momenta=out_u,
        origin=origin,
        gc_origin=gc_origin,
        gamma=gamma,
        dt=dt,
        n_steps=steps_before + n_steps,
    )


def _jax_push():
    """The JAX pusher (imports JAX on first use only)."""
    try:
        import jax  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "`backend` 'jax' needs JAX: `pip install jax` (CPU) or `pip install \"jax[cuda12]\"` "
            "(NVIDIA GPUs); see the GPU section of the docs."
        ) from exc
    from crtransport.pusher._jax import boris_push_jax

    return boris_push_jax


def _guiding_centre(pos: NDArray[np.float64], mom: NDArray[np.float64]) -> NDArray[np.float64]:
    """R = r + u x e_z (in B0, so R_perp = r_perp + (u_y, -u_x)) and R_z = z."""
    gc = np.empty_like(pos)
    gc[:, 0] = pos[:, 0] + mom[:, 1]
    gc[:, 1] = pos[:, 1] - mom[:, 0]
    gc[:, 2] = pos[:, 2]
    return gc
