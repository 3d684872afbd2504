"""Issue 19: work, memory and phase limits at every entry point that starts a computation.

Each case used to hang, allocate petabytes, end in an OverflowError/ZeroDivisionError, or
return a silently wrong number; now it is a ValueError that names the parameter and the limit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import crtransport as crt
from crtransport import _workload, units
from crtransport.pusher import initial_conditions, propagate
from crtransport.turbulence import BendOverDensity, TwoDTurbulence, field, rejection_sample


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        # 10: 3.2e8 steps, 2e14 steps, 4.6e9 steps, 4.4e8 steps (crtransport 0.1's rules; the
        # default rules are checked at the cap of an adaptive run, 16 x 8 decorrelation times)
        (dict(T=1.0, b=1e6, lambda_perp=5.0, t_max=100.0), r"3\.18e\+08 time steps.*`t_max`"),
        (dict(T=1e12, b=0.2, lambda_perp=5.0), r"2e\+14 time steps.*T = 1e\+12"),
        (dict(T=1e-12, b=0.2, lambda_perp=5.0), r"5\.88e\+10 time steps.*T = 1e-12"),
        (dict(T=1.0, b=0.2, lambda_perp=1e-6), r"3\.48e\+09 time steps.*lambda_perp"),
        # 14: ZeroDivisionError, OverflowError, MemoryError
        (dict(T=1e-17, b=0.2, lambda_perp=5.0), r"time steps.*T = 1e-17"),
        (dict(T=1.0, b=0.2, lambda_perp=1e-300), r"3\.48e\+303 time steps.*2\^62"),
        (dict(T=1.0, b=0.2, lambda_perp=5.0, n_particles=10**12), r"`n_particles` = 1e\+12"),
        # 17: "`momenta` must be finite", "`displacement` must be finite", "`band` ..."
        (dict(T=1e300, b=0.2, lambda_perp=5.0), r"time steps.*T = 1e\+300"),
        (dict(T=1.0, b=0.2, lambda_perp=5.0, dt=1e300, t_max=1e302), r"phases.*`t_max`"),
        (dict(T=1.0, b=0.2, lambda_perp=5.0, k_perp_range=(1e-300, 2e-300)), r"`k_perp_range`"),
        # 2: D_par = 0.21, converged=True from garbage cosines
        (dict(T=1.0, b=0.2, lambda_perp=5.0, k_perp_range=(1e16, 1e17)), r"`k_perp_range` up"),
    ],
)
def test_simulate_refuses_runs_it_cannot_do(kwargs, match):
    with pytest.raises(ValueError, match=match):
        crt.resolve_config(**kwargs)
    with pytest.raises(ValueError, match=match):
        crt.simulate(**kwargs, n_waves=4)


def test_the_work_limit_can_be_lifted_explicitly(monkeypatch):
    kwargs = dict(T=1.0, b=0.2, lambda_perp=1e-6)
    with pytest.raises(ValueError, match=_workload.OVERRIDE_ENV):
        crt.resolve_config(**kwargs)
    monkeypatch.setenv(_workload.OVERRIDE_ENV, "1")
    assert crt.resolve_config(**kwargs).n_steps > _workload.MAX_STEPS


def test_tiny_energy_gives_the_right_speed_not_zero():
    # 5: gamma^2 - 1 cancelled, so T = 1e-17 gave v = 0 and D = 0 with converged=True
    for T in (1e-17, 1e-12, 1e-6):
        assert float(units.speed_from_T(T)) == pytest.approx(math.sqrt(2 * T), rel=1e-5)
        assert float(units.u_from_T(T)) == pytest.approx(math.sqrt(2 * T), rel=1e-5)
    assert float(units.speed_from_T(1e300)) == pytest.approx(1.0, rel=1e-15)
    assert float(units.u_from_T(1e300)) == pytest.approx(1e300)
    res = crt.simulate(
        T=1e-17, b=0.0, lambda_perp=5.0, dt=0.1, t_max=100.0, n_particles=4, n_waves=2
    )
    v_par = math.sqrt(2e-17) * 0.5
    assert res.running["D_par"].values[-1] == pytest.approx(v_par**2 * 100.0 / 2, rel=1e-3)


def test_propagate_refuses_huge_step_counts_and_phases():
    modes = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(8, 2, seed=0)
    pos, mom = initial_conditions(1.0, 0.5, 2)
    with pytest.raises(ValueError, match=r"`n_steps`.*2\^62"):
        propagate(modes, pos, mom, dt=0.1, n_steps=2**70)
    with pytest.raises(ValueError, match=r"time steps per particle.*above the limit of 1e\+08"):
        propagate(modes, pos, mom, dt=0.1, n_steps=10**9)
    with pytest.raises(ValueError, match=r"phases up to .* 1e\+14 rad"):
        propagate(modes, pos + 1e14, mom, dt=0.1, n_steps=10)
    with pytest.raises(TypeError, match="`modes` must be a WaveModes"):
        propagate(None, pos, mom, dt=0.1, n_steps=10)


def test_initial_conditions_refuses_impossible_ensembles():
    with pytest.raises(ValueError, match=r"memory for `n_particles` = 1e\+12"):
        initial_conditions(1.0, 0.5, 10**12)


def test_field_refuses_phases_its_cosine_cannot_represent():
    modes = TwoDTurbulence(b=0.5, lambda_perp=1.0).sample(n_waves=64, seed=0)
    for far in ([[1e16, 3e15, 1e15]], [[1e20, 0.0, 0.0]]):
        with pytest.raises(ValueError, match=r"`positions` reach .*exact only for phases"):
            field(modes, far)
    near = modes.field([[1e3, 2e3, 3e3]])  # well inside: the exact value
    k, a, A = modes.k[0], modes.phase[0], modes.amplitude[0]
    exact = (A * np.cos(k @ np.array([1e3, 2e3, 3e3]) + a)[:, None]).sum(axis=0)
    np.testing.assert_allclose(near[0], exact, atol=1e-9)
    with pytest.raises(TypeError, match="`modes` must be a WaveModes; got NoneType"):
        field(None, [[0.0, 0.0, 0.0]])
    zeros = np.zeros((1, 1, 3))
    with pytest.raises(ValueError, match=r"`phase` must be in"):
        crt.turbulence.WaveModes(k=zeros, phase=[[1e20]], amplitude=zeros)


def test_rejection_sampler_refuses_a_hopeless_bound():
    density = BendOverDensity(3.0, 5.0 / 3.0)
    with pytest.raises(ValueError, match=r"candidates.*`bound`"):
        rejection_sample(density, 1000, proposal=density.proposal(), bound=1e12)
