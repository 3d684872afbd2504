"""One home for the simulation settings (issue 16.3): SimulationSettings and its readers."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import crtransport as crt
from crtransport._settings import SETTINGS_DEFAULTS
from crtransport.dataset import _builder

SMALL = dict(n_particles=16, n_waves=8, t_max=60.0, n_save=16)


def test_simulate_with_settings_equals_simulate_with_keywords():
    by_keywords = crt.simulate(1.0, 0.3, 2.0, mu=0.3, seed=5, model="composite", **SMALL)
    settings = crt.SimulationSettings(model="composite", **SMALL)
    by_settings = crt.simulate(1.0, 0.3, 2.0, mu=0.3, seed=5, settings=settings)
    for name in ("D_perp", "D_perp_err", "D_par", "D_par_err", "n_steps", "t_end"):
        assert getattr(by_settings, name) == getattr(by_keywords, name), name
    assert by_settings.config == by_keywords.config
    # and a different seed or setting changes the numbers (the comparison can fail)
    other = crt.simulate(1.0, 0.3, 2.0, mu=0.3, seed=6, settings=settings)
    assert other.D_perp != by_keywords.D_perp


def test_resolve_config_takes_settings():
    s = crt.SimulationSettings(rules="paper", n_particles=64)
    assert crt.resolve_config(1.0, 0.2, 5.0, settings=s) == crt.resolve_config(
        1.0, 0.2, 5.0, rules="paper", n_particles=64
    )


def test_simulate_signature_defaults_are_the_settings_defaults():
    params = inspect.signature(crt.simulate).parameters
    for name, default in SETTINGS_DEFAULTS.items():
        assert params[name].default == default, name
    # the values users read in help(simulate), unchanged
    assert params["n_particles"].default == 10_000
    assert params["n_waves"].default == 500
    assert params["n_save"].default == 200
    assert params["model"].default == "2d"
    assert params["rules"].default == "default"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"n_particles": 1},
            ValueError,
            r"`n_particles` must be an integer in \[2, inf\]; got 1\.",
        ),
        ({"n_waves": 0}, ValueError, r"`n_waves` must be an integer in \[1, inf\]; got 0\."),
        ({"n_save": 4}, ValueError, r"`n_save` must be an integer in \[8, inf\]; got 4\."),
        ({"dt": -1.0}, ValueError, r"`dt` must be in \(0, inf\); got -1\."),
        ({"t_max": 0.0}, ValueError, r"`t_max` must be in \(0, inf\); got 0\."),
        ({"k_perp_range": (5.0, 1.0)}, ValueError, r"`k_perp_range` must satisfy 0 <= min < max"),
        ({"model": "iso"}, ValueError, r"`model` must be one of '2d', 'slab', 'isotropic', "),
        ({"rules": "fast"}, ValueError, r"`rules` must be one of 'default', 'paper'; got 'fast'"),
        ({"converge": "all"}, ValueError, r"`converge` must be one of 'perp', 'par', 'both'"),
        ({"backend": "cuda"}, ValueError, r"`backend` must be one of 'numba', 'jax'; got 'cuda'"),
        ({"n_particles": 2.5}, TypeError, r"`n_particles` must be an integer; got 2\.5\."),
    ],
)
def test_settings_are_validated_on_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        crt.SimulationSettings(**kwargs)
    # the keywords of simulate go through the same check, with the same message
    with pytest.raises(error, match=match):
        crt.resolve_config(1.0, 0.2, 5.0, **kwargs)


def test_settings_and_keywords_are_not_mixed():
    s = crt.SimulationSettings(n_particles=64)
    with pytest.raises(ValueError, match=r"not both; got `settings` and n_waves=32"):
        crt.resolve_config(1.0, 0.2, 5.0, settings=s, n_waves=32)
    # a keyword left at its default is no clash
    crt.resolve_config(1.0, 0.2, 5.0, settings=s, n_waves=500)
    with pytest.raises(TypeError, match=r"`settings` must be a crtransport\.SimulationSettings"):
        crt.resolve_config(1.0, 0.2, 5.0, settings={"n_particles": 64})


def test_settings_round_trip_and_variants():
    s = crt.SimulationSettings(k_perp_range=[0, 50], rules="paper", t_cap=None)
    assert s.k_perp_range == (0.0, 50.0)
    assert s.rules is crt.RUN_RULES["paper"]
    assert crt.SimulationSettings.from_dict(s.to_dict()) == s
    assert dataclasses.replace(s, n_waves=20).n_waves == 20
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_waves = 3  # type: ignore[misc]


def test_builder_reads_the_settings_fields():
    """The builder's settings are the fields of SimulationSettings, recorded as given."""
    assert _builder.simulation_defaults() == dict(SETTINGS_DEFAULTS)
    assert set(SETTINGS_DEFAULTS) == {f.name for f in dataclasses.fields(crt.SimulationSettings)}
    recorded = _builder._resolve_settings({"n_particles": 64, "dt": 1}, SETTINGS_DEFAULTS)
    assert sorted(recorded) == sorted(SETTINGS_DEFAULTS)
    assert recorded["dt"] == 1 and isinstance(recorded["dt"], int)  # as given: same file bytes
    assert recorded["rules"] == crt.RUN_RULES["default"].to_dict()
