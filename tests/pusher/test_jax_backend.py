"""The JAX pusher (``propagate(backend="jax")``) against the Numba pusher and exact results.

These run on JAX's CPU backend. Sizes are shared between tests (32 particles, 32 waves, at most
32 output times) so that they reuse a few compiled functions; compilation dominates their cost.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from crtransport.pusher import initial_conditions, propagate
from crtransport.transport import asymptotic_diffusion
from crtransport.turbulence import IsotropicTurbulence, TwoDTurbulence

pytest.importorskip("jax")

N, N_WAVES, DT = 32, 32, 0.3


def _paper_like(n=N, seed=2):
    """The paper's reference point in miniature: 2D model, b = 0.2, lambda_perp = 5."""
    modes = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(
        n_waves=N_WAVES, n_realizations=n, seed=seed
    )
    pos, mom = initial_conditions(1.0, 0.5, n, seed=seed + 1)
    return modes, pos, mom


def _both(modes, pos, mom, **kw):
    return (
        propagate(modes, pos, mom, **kw, backend="numba"),
        propagate(modes, pos, mom, **kw, backend="jax"),
    )


def _max_diff(a, b):
    """Largest |difference| of the displacements at each output time."""
    return np.abs(a.displacement - b.displacement).max(axis=(0, 2))


def test_same_trajectories_as_numba_per_particle_realizations():
    """300 steps at the paper-like point: the backends differ by round-off only.

    Measured: 3e-15 after 20 steps, 8e-13 after 100, 2e-10 after 200, 1.5e-7 after 300
    (displacements of order 10-50 rho0); a 1e-13 shift of the starting points changes the Numba
    trajectories by more at every output time (chaos amplifies any rounding).
    """
    modes, pos, mom = _paper_like()
    nb, jx = _both(modes, pos, mom, dt=DT, n_steps=300, save_every=10)
    shifted = propagate(modes, pos + 1e-13, mom, dt=DT, n_steps=300, save_every=10)
    diff = _max_diff(nb, jx)
    assert diff[1] < 1e-13  # 20 steps
    assert diff[9] < 1e-11  # 100 steps
    assert diff.max() < 1e-6
    assert np.all(diff <= _max_diff(nb, shifted) + 1e-14)
    np.testing.assert_allclose(jx.gc_displacement, nb.gc_displacement, rtol=0, atol=1e-6)
    np.testing.assert_allclose(jx.final_momenta, nb.final_momenta, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(jx.times, nb.times)
    assert jx.displacement.shape == nb.displacement.shape == (N, 30, 3)


def test_same_trajectories_as_numba_in_one_shared_realization():
    """Isotropic turbulence (b_z != 0), all particles in one realization, spread starts."""
    modes = IsotropicTurbulence(b=0.3, lambda_iso=5.0).sample(
        n_waves=N_WAVES, n_realizations=1, seed=5
    )
    rng = np.random.default_rng(6)
    pos, mom = initial_conditions(1.0, 0.5, N, seed=rng, positions=rng.uniform(0, 50, (N, 3)))
    nb, jx = _both(modes, pos, mom, dt=DT, n_steps=300, save_every=10, realization=0)
    diff = _max_diff(nb, jx)
    assert diff[1] < 1e-13
    assert diff.max() < 1e-6
    np.testing.assert_allclose(jx.final_momenta, nb.final_momenta, rtol=0, atol=1e-6)


def test_speed_conserved_to_round_off():
    """Strong 3D turbulence (b = 1), 20 000 steps: |u| constant to 1e-12."""
    modes = IsotropicTurbulence(b=1.0, lambda_iso=1.0).sample(
        n_waves=N_WAVES, n_realizations=1, seed=3
    )
    T = 2.0
    rng = np.random.default_rng(4)
    pos, mom = initial_conditions(T, 0.3, N, seed=rng, positions=rng.uniform(0, 10, (N, 3)))
    out = propagate(
        modes, pos, mom, dt=0.2, n_steps=20_000, save_every=1000, realization=0, backend="jax"
    )
    u = math.sqrt((1 + T) ** 2 - 1)
    assert np.abs(np.linalg.norm(out.final_momenta, axis=1) / u - 1).max() < 1e-12
    assert np.all(np.abs(out.final_positions - pos) > 0)  # it did move


@pytest.mark.filterwarnings("ignore::crtransport.AccuracyWarning")  # the paper's dt on purpose
def test_uniform_field_orbit_is_the_exact_discrete_helix():
    """b = 0: x^2 + y^2 = 2 rho^2 (1 - cos(Omega_eff t)), z = v mu t (see test_boris)."""
    T, mu, dt = 1.0, 0.5, 2 * math.pi / 10
    # an own (empty) realization per particle: the compiled shape of the tests above
    modes = TwoDTurbulence(b=0.0, lambda_perp=1.0).sample(n_waves=N_WAVES, n_realizations=N, seed=0)
    pos, mom = initial_conditions(T, mu, N, seed=1)
    out = propagate(modes, pos, mom, dt=dt, n_steps=2000, save_every=70, backend="jax")
    gamma = 1.0 + T
    rho = math.sqrt(gamma**2 - 1) * math.sqrt(1 - mu**2)
    omega_eff = 2.0 / dt * math.atan(dt / (2.0 * gamma))
    r2 = np.sum(out.displacement[..., :2] ** 2, axis=-1)
    expected = 2 * rho**2 * (1 - np.cos(omega_eff * out.times))
    np.testing.assert_allclose(r2, np.broadcast_to(expected, r2.shape), rtol=0, atol=1e-9 * rho**2)
    v = math.sqrt(1 - 1 / gamma**2)
    np.testing.assert_allclose(
        out.displacement[..., 2], np.broadcast_to(v * mu * out.times, r2.shape), rtol=1e-12
    )
    # the guiding centre about e_z is constant to round-off
    assert np.abs(out.gc_displacement[..., :2]).max() < 1e-11


def test_resume_continues_the_run_and_mixes_backends():
    modes, pos, mom = _paper_like()
    whole = propagate(modes, pos, mom, dt=DT, n_steps=300, save_every=10, backend="jax")
    first = propagate(modes, pos, mom, dt=DT, n_steps=120, save_every=10, backend="jax")
    rest = propagate(
        modes,
        first.final_positions,
        first.final_momenta,
        dt=DT,
        n_steps=180,
        save_every=10,
        resume=first,
        backend="jax",
    )
    assert rest.n_steps == 300
    np.testing.assert_allclose(rest.times, whole.times[12:], rtol=1e-15)
    np.testing.assert_array_equal(rest.origin, pos)
    # round-off, as for Numba (measured: 7e-15 after the first resumed step, 5e-10 at the end)
    np.testing.assert_allclose(rest.displacement[:, 0], whole.displacement[:, 12], atol=1e-13)
    np.testing.assert_allclose(rest.displacement, whole.displacement[:, 12:], rtol=0, atol=1e-8)
    np.testing.assert_allclose(rest.final_momenta, whole.final_momenta, rtol=0, atol=1e-8)
    # a Numba run continued on JAX keeps its origins and clock
    nb = propagate(modes, pos, mom, dt=DT, n_steps=120, save_every=10)
    mixed = propagate(
        modes,
        nb.final_positions,
        nb.final_momenta,
        dt=DT,
        n_steps=180,
        save_every=10,
        resume=nb,
        backend="jax",
    )
    np.testing.assert_array_equal(mixed.gc_origin, nb.gc_origin)
    np.testing.assert_array_equal(mixed.times, whole.times[12:])
    # round-off from the first 120 Numba steps, amplified by chaos over the next 180
    np.testing.assert_allclose(mixed.displacement[:, 0], whole.displacement[:, 12], atol=1e-12)
    np.testing.assert_allclose(mixed.displacement, whole.displacement[:, 12:], rtol=0, atol=1e-6)


def test_bit_identical_on_repeat_and_for_any_batch_size(monkeypatch):
    """The builder's reproducibility per backend: same inputs, same bits, however batched."""
    from crtransport.pusher import _jax

    modes, pos, mom = _paper_like()
    kw = dict(dt=DT, n_steps=300, save_every=10, backend="jax")
    ref = propagate(modes, pos, mom, **kw)
    again = propagate(modes, pos, mom, **kw)
    np.testing.assert_array_equal(again.displacement, ref.displacement)
    # a budget of ~10 particles per batch: four batches of 8 (each its own compiled shape)
    per_particle = 8 * (6 * 32 + 32) + 2 * 8 * 7 * N_WAVES
    monkeypatch.setattr(_jax, "CPU_BATCH_BYTES", 10 * per_particle)
    batched = propagate(modes, pos, mom, **kw)
    np.testing.assert_array_equal(batched.displacement, ref.displacement)
    np.testing.assert_array_equal(batched.gc_displacement, ref.gc_displacement)
    np.testing.assert_array_equal(batched.final_positions, ref.final_positions)
    # 20 particles in batches of 8: [0, 8), [8, 16) and [12, 20), overlapping
    monkeypatch.setattr(_jax, "CPU_BATCH_BYTES", 9 * per_particle)
    part = propagate(modes, pos[:20], mom[:20], **kw, realization=np.arange(20))
    np.testing.assert_array_equal(part.displacement, ref.displacement[:20])
    np.testing.assert_array_equal(part.final_momenta, ref.final_momenta[:20])
    # realizations in any order (gathered on the host)
    perm = np.random.default_rng(7).permutation(N)
    shuffled = propagate(modes, pos[perm], mom[perm], **kw, realization=perm)
    np.testing.assert_array_equal(shuffled.displacement, ref.displacement[perm])


def test_new_step_counts_and_steps_do_not_recompile():
    from crtransport.pusher._jax import push_batch_kernel

    modes, pos, mom = _paper_like()
    propagate(modes, pos, mom, dt=DT, n_steps=300, save_every=10, backend="jax")
    size = push_batch_kernel._cache_size()
    for dt, n_steps, save_every in ((0.25, 200, 7), (0.2, 301, 10), (0.31, 31, 1)):
        propagate(modes, pos, mom, dt=dt, n_steps=n_steps, save_every=save_every, backend="jax")
    assert push_batch_kernel._cache_size() == size


def test_unknown_backend_is_rejected():
    modes, pos, mom = _paper_like()
    with pytest.raises(ValueError, match=r"`backend` must be one of 'numba', 'jax'; got 'cuda'\."):
        propagate(modes, pos, mom, dt=DT, n_steps=2, backend="cuda")


def test_numba_path_never_imports_jax():
    code = (
        "import sys\n"
        "from crtransport.pusher import initial_conditions, propagate\n"
        "from crtransport.turbulence import TwoDTurbulence\n"
        "m = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(n_waves=4, n_realizations=2, seed=0)\n"
        "p, u = initial_conditions(1.0, 0.5, 2, seed=0)\n"
        "propagate(m, p, u, dt=0.3, n_steps=2)\n"
        "print('jax' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False"


def test_missing_jax_raises_a_clear_import_error(monkeypatch):
    modes, pos, mom = _paper_like()
    monkeypatch.setitem(sys.modules, "jax", None)  # `import jax` now raises ImportError
    with pytest.raises(ImportError, match=r"`backend` 'jax' needs JAX: .*jax\[cuda12\]"):
        propagate(modes, pos, mom, dt=DT, n_steps=2, backend="jax")


def _run_ensemble(config, backend):
    """``crtransport._simulate._run_ensemble`` with a backend, from the public pieces.

    Block ``i`` draws its waves and gyro-phases from the child seed ``(1, i)`` of the run's
    SeedSequence, exactly as the engine does.
    """
    ss = config.seed_sequence()
    turb = config.turbulence
    shared, scale = None, None
    if config.shared_field:
        child = np.random.SeedSequence(entropy=ss.entropy, spawn_key=(*ss.spawn_key, 0))
        shared = turb.sample(config.n_waves, 1, seed=child)
        scale = 100.0 * np.array([turb.perpendicular_length] * 2 + [turb.decorrelation_length])
    disp, gc = [], []
    block_size = 512
    for block, start in enumerate(range(0, config.n_particles, block_size)):
        m = min(block_size, config.n_particles - start)
        child = np.random.SeedSequence(entropy=ss.entropy, spawn_key=(*ss.spawn_key, 1, block))
        rng = np.random.default_rng(child)
        if shared is None:
            modes, positions, realization = turb.sample(config.n_waves, m, seed=rng), None, None
        else:
            modes, realization = shared, 0
            positions = rng.uniform(0.0, 1.0, (m, 3)) * scale
        pos, mom = initial_conditions(config.T, config.mu, m, seed=rng, positions=positions)
        out = propagate(
            modes,
            pos,
            mom,
            dt=config.dt,
            n_steps=config.n_steps,
            save_every=config.save_every,
            realization=realization,
            backend=backend,
        )
        disp.append(out.displacement)
        gc.append(out.gc_displacement)
    times = out.times
    return times, np.concatenate(disp), np.concatenate(gc)


def _z_scores(config):
    """(D_jax - D_numba) / sqrt(err_jax^2 + err_numba^2) for D_perp and D_par."""
    est = {}
    for backend in ("numba", "jax"):
        times, disp, gc = _run_ensemble(config, backend)
        est[backend] = (
            asymptotic_diffusion(times, gc, direction="perp"),
            asymptotic_diffusion(times, disp, direction="par"),
        )
    return [
        (j.value - n.value) / math.hypot(j.error, n.error)
        for j, n in zip(est["jax"], est["numba"], strict=True)
    ]


Z_MAX = 3.0  # stated tolerance: |z| < 3 (a false alarm below 0.3 % for independent estimates)


@pytest.mark.physics
def test_same_diffusion_coefficients_as_numba_over_a_full_run():
    """A complete small run (default dt and run length, 900 steps): D_perp and D_par agree.

    Same seeds for both backends, as the builder would use them: the trajectories part after a
    few hundred steps, so the two estimates are partly correlated and |z| is, if anything,
    smaller than for independent ensembles (at b = 0.5 they decorrelate within the run).
    Measured: z_perp = -0.004, z_par = -0.34.
    """
    from crtransport import resolve_config

    config = resolve_config(T=1.0, b=0.5, lambda_perp=1.0, n_particles=256, n_waves=N_WAVES)
    z_perp, z_par = _z_scores(config)
    assert abs(z_perp) < Z_MAX
    assert abs(z_par) < Z_MAX


@pytest.mark.slow
@pytest.mark.physics
@pytest.mark.parametrize("shared_field", [False, True])
def test_same_diffusion_coefficients_as_numba_paper_point(shared_field):
    """The paper's reference point (T = 1, b = 0.2, lambda_perp = 5), 1024 particles, 3762 steps.

    Measured: z_perp = 0.78, z_par = -0.14 (own realizations); 0.86, 0.12 (shared field).
    """
    from crtransport import resolve_config

    config = resolve_config(
        T=1.0,
        b=0.2,
        lambda_perp=5.0,
        n_particles=1024,
        n_waves=64,
        seed=11,
        shared_field=shared_field,
    )
    z_perp, z_par = _z_scores(config)
    assert abs(z_perp) < Z_MAX
    assert abs(z_par) < Z_MAX


def _push_direct(modes, pos, mom, n_steps, save_every, **kw):
    """``boris_push_jax`` called as ``propagate`` calls it, with extra keyword options."""
    from crtransport.pusher._jax import boris_push_jax
    from crtransport.pusher._propagate import _guiding_centre

    n = pos.shape[0]
    save = np.arange(save_every, n_steps + 1, save_every, dtype=np.int64)
    out = [np.empty((n, save.size, 3)), np.empty((n, save.size, 3))]
    out += [np.empty((n, 3)), np.empty((n, 3))]
    gamma = math.sqrt(1.0 + float(np.sum(mom[0] ** 2)))
    real = np.arange(n, dtype=np.int64)
    gc = _guiding_centre(pos, mom)
    boris_push_jax(modes.tables, modes.has_bz, real, pos, gc, pos, mom, gamma, DT, n_steps, save,
                   *out, **kw)  # fmt: skip
    return out


def test_unrolled_loop_as_on_accelerators_agrees():
    """GPUs run ``GPU_UNROLL`` steps per loop iteration; 3 here (a remainder loop too)."""
    modes, pos, mom = _paper_like()
    ref = propagate(modes, pos, mom, dt=DT, n_steps=300, save_every=10, backend="jax")
    disp, _, _, u = _push_direct(modes, pos, mom, 300, 10, unroll=3)
    diff = np.abs(disp - ref.displacement).max(axis=(0, 2))
    assert diff[9] < 1e-12  # 100 steps
    assert diff.max() < 1e-6
    np.testing.assert_allclose(u, ref.final_momenta, rtol=0, atol=1e-6)


def test_batch_size_follows_device_memory():
    from crtransport.pusher import _jax

    class FakeGPU:
        platform = "gpu"

        def memory_stats(self):
            return {"bytes_limit": 100 * 2**30}

    per_particle = 8 * (6 * 224 + 32) + 2 * 8 * 7 * 500
    batch = _jax._batch_size(500, 224, False, FakeGPU())
    assert batch == int(_jax.DEVICE_MEMORY_FRACTION * 100 * 2**30 // per_particle)
    assert batch > 10_000  # the paper's ensemble in one batch on a 100 GiB device
    assert _jax._batch_size(500, 224, True, FakeGPU()) > 5 * batch  # one shared table
    assert [_jax._padded(n) for n in (1, 8, 9, 100, 512, 513, 3334)] == [
        8, 8, 16, 104, 512, 576, 3584,
    ]  # fmt: skip


@pytest.mark.slow
def test_cosine_jnp_variant_agrees():
    """``cosine="jnp"`` (jnp.cos instead of the Numba polynomial): round-off as well."""
    modes, pos, mom = _paper_like()
    ref = propagate(modes, pos, mom, dt=DT, n_steps=300, save_every=10)
    disp, _, _, _ = _push_direct(modes, pos, mom, 300, 10, cosine="jnp")
    diff = np.abs(disp - ref.displacement).max(axis=(0, 2))
    assert diff[1] < 1e-12
    assert diff.max() < 1e-5
