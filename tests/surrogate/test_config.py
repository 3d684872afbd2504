"""SurrogateConfig: paper defaults, validation messages, JSON round trip."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from crtransport.surrogate import SurrogateConfig


def test_defaults_are_the_papers():
    c = SurrogateConfig()
    assert c.layer_sizes == (3, 10, 5, 1)
    assert c.features == ("T", "b", "lambda_perp")
    assert c.target == "D_perp"
    assert (c.activation, c.output_activation, c.init, c.loss) == (
        "tanh",
        "square",
        "normal",
        "mse",
    )
    assert (c.learning_rate, c.b1, c.b2, c.eps) == (1e-3, 0.9, 0.95, 1e-7)
    assert c.batch_size is None  # full batch
    assert c.n_models == 1
    assert c.is_best_epoch_kept is False
    assert dataclasses.replace(c, patience=10).is_best_epoch_kept is True


def test_frozen():
    c = SurrogateConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.activation = "relu"  # type: ignore[misc]


def test_sequences_become_tuples():
    c = SurrogateConfig(hidden_widths=[4, 4], features=["T", "b"], log_features=["b"])
    assert c.hidden_widths == (4, 4)
    assert c.features == ("T", "b")
    assert c.log_features == ("b",)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"activation": "swish"}, ValueError, r"`activation` must be one of 'tanh', .*got 'swish'"),
        ({"output_activation": "abs"}, ValueError, r"`output_activation` must be one of"),
        ({"loss": "mae"}, ValueError, r"`loss` must be one of 'mse', 'relative', 'log'; got"),
        ({"init": "he"}, ValueError, r"`init` must be one of 'normal', 'glorot'; got 'he'"),
        ({"n_epochs": -1}, ValueError, r"`n_epochs` must be an integer in \[0, inf\]; got -1"),
        ({"n_epochs": 2.5}, TypeError, r"`n_epochs` must be an integer; got 2.5"),
        ({"hidden_widths": (10, 0)}, ValueError, r"`hidden_widths` must be an integer in \[1"),
        ({"hidden_widths": 10}, TypeError, r"`hidden_widths` must be a sequence of integers"),
        ({"features": ()}, ValueError, r"`features` must name at least one input"),
        ({"features": ("T", "T")}, ValueError, r"`features` must not repeat a name"),
        ({"features": "T"}, TypeError, r"`features` must be a sequence of names"),
        ({"target": "T"}, ValueError, r"`target` must not be one of `features`; got 'T'"),
        ({"log_features": ("mu",)}, ValueError, r"`log_features` must be a subset .*got 'mu'"),
        ({"learning_rate": 0.0}, ValueError, r"`learning_rate` must be in \(0, inf\); got 0"),
        ({"b2": 1.0}, ValueError, r"`b2` must be in \[0, 1\); got 1"),
        ({"eps": -1e-7}, ValueError, r"`eps` must be in \(0, inf\); got -1e-07"),
        ({"loss_floor": 0}, ValueError, r"`loss_floor` must be in \(0, inf\); got 0"),
        ({"batch_size": 0}, ValueError, r"`batch_size` must be an integer in \[1, inf\]; got 0"),
        ({"n_models": 0}, ValueError, r"`n_models` must be an integer in \[1, inf\]; got 0"),
        ({"patience": 0}, ValueError, r"`patience` must be an integer in \[1, inf\]; got 0"),
        ({"min_delta": -1.0}, ValueError, r"`min_delta` must be in \[0, inf\); got -1"),
        ({"use_best_epoch": "yes"}, TypeError, r"`use_best_epoch` must be a bool or None"),
    ],
)
def test_bad_settings_name_parameter_and_value(kwargs, error, match):
    with pytest.raises(error, match=match):
        SurrogateConfig(**kwargs)


def test_dict_round_trip_through_json():
    c = SurrogateConfig(hidden_widths=(8, 4), log_features=("lambda_perp",), patience=5)
    again = SurrogateConfig.from_dict(json.loads(json.dumps(c.to_dict())))
    assert again == c


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown SurrogateConfig settings: widths"):
        SurrogateConfig.from_dict({"widths": [3]})


def test_config_and_package_import_without_jax():
    code = (
        "import sys; import crtransport.surrogate as s; s.SurrogateConfig(); "
        "import crtransport.cli as c; c.build_parser(); print('jax' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
