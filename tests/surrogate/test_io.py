"""Persistence: bit-exact round trip, the documented format, damaged and foreign files."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import zipfile

import numpy as np
import pytest

from crtransport.surrogate import Surrogate
from crtransport.surrogate._io import FORMAT_VERSION

BAD = "is not a valid crtransport surrogate file"


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "model.crt"
    assert fitted.save(path) == path
    return path


def _arrays(path):
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def _write(path, arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def _with_metadata(arrays, **changes):
    meta = json.loads(arrays["metadata"].tobytes().decode())
    meta.update(changes)
    out = dict(arrays)
    out["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return out


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_model_file_mode_follows_the_umask(fitted, tmp_path, umask):
    # mkstemp made every model file 0600 whatever the umask (issue 17)
    old = os.umask(umask)
    try:
        path = fitted.save(tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert not list(tmp_path.glob(".*.tmp"))


def test_round_trip_is_bit_exact(fitted, saved, synth):
    assert saved.exists()  # the name is used as given: no .npz appended
    loaded = Surrogate.load(saved)
    a, b = fitted.state, loaded.state
    assert b.config == a.config
    for name in ("input_offset", "input_scale", "output_scale", "domain_low", "domain_high"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        assert x.dtype == y.dtype == np.float32
        assert x.tobytes() == y.tobytes()
    assert b.feature_units == a.feature_units
    assert b.target_units == a.target_units
    assert b.history.train_loss.tobytes() == a.history.train_loss.tobytes()
    assert b.history.test_loss.tobytes() == a.history.test_loss.tobytes()
    assert dataclasses.replace(b.history, train_loss=a.history.train_loss) is not None
    assert (b.history.n_epochs_run, b.history.key, b.history.optimizer) == (
        a.history.n_epochs_run,
        a.history.key,
        a.history.optimizer,
    )
    X = np.random.default_rng(0).uniform(synth.LOW, synth.HIGH, size=(3000, 3))
    assert loaded.predict(X).tobytes() == fitted.predict(X).tobytes()
    assert loaded.predict(X[:7]).tobytes() == fitted.predict(X[:7]).tobytes()
    assert loaded.predict(T=2.0, b=0.4, lambda_perp=3.0) == fitted.predict(
        T=2.0, b=0.4, lambda_perp=3.0
    )


def test_ensemble_round_trip(ensemble, tmp_path):
    path = ensemble.save(tmp_path / "ens.npz")
    loaded = Surrogate.load(path)
    assert loaded.config.n_models == 3
    X = np.full((10, 3), [2.0, 0.5, 4.0])
    m1, s1 = ensemble.predict(X, return_std=True)
    m2, s2 = loaded.predict(X, return_std=True)
    assert m1.tobytes() == m2.tobytes()
    assert s1.tobytes() == s2.tobytes()


def test_file_layout_and_metadata(saved, fitted):
    names = zipfile.ZipFile(saved).namelist()
    assert "metadata.npy" in names
    assert "layer_0/weight.npy" in names
    arrays = _arrays(saved)
    meta = json.loads(arrays["metadata"].tobytes().decode("utf-8"))
    assert meta["format"] == "crtransport.surrogate"
    assert meta["format_version"] == 1  # no output prior: the oldest layout that holds it
    assert FORMAT_VERSION == 2
    assert "powers" not in meta["output"]
    assert meta["layer_sizes"] == [3, 10, 5, 1]
    assert meta["activations"] == ["tanh", "tanh", "square"]
    assert meta["compute_dtype"] == "float32"
    assert [i["name"] for i in meta["inputs"]] == ["T", "b", "lambda_perp"]
    assert [i["transform"] for i in meta["inputs"]] == ["identity"] * 3
    assert meta["output"]["name"] == "D_perp"
    assert meta["crtransport_version"]
    assert meta["config"] == fitted.config.to_dict()
    for name, spec in meta["arrays"].items():
        assert list(arrays[name].shape) == spec["shape"]
        assert str(arrays[name].dtype) == spec["dtype"]
    assert arrays["layer_1/weight"].shape == (1, 5, 10)  # (n_models, n_out, n_in)
    assert arrays["layer_1/bias"].shape == (1, 5)


def _documented_evaluator(path, inputs):
    """The evaluator of docs/guide/surrogate.rst ("File format"), in plain numpy."""
    z = np.load(path, allow_pickle=False)
    meta = json.loads(z["metadata"].tobytes().decode("utf-8"))
    act = {
        "tanh": np.tanh,
        "relu": lambda a: np.maximum(a, 0.0),
        "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
        "softplus": lambda a: np.log1p(np.exp(a)),
        "identity": lambda a: a,
        "square": lambda a: a * a,
        "exp": np.exp,
    }
    x = []
    for k, spec in enumerate(meta["inputs"]):
        v = np.asarray(inputs[spec["name"]], dtype=np.float64)
        if spec["transform"] == "log":
            v = np.log(v)
        x.append((v - z["input/offset"][k]) / z["input/scale"][k])
    n_layers = len(meta["layer_sizes"]) - 1
    total = 0.0
    for m in range(meta["n_models"]):
        h = np.array(x)  # (n_in, n_points)
        for i in range(n_layers):
            W = z[f"layer_{i}/weight"][m].astype(np.float64)
            b = z[f"layer_{i}/bias"][m].astype(np.float64)
            h = act[meta["activations"][i]](W @ h + b[:, None])
        total = total + z["output/scale"][0] * h[0]
    prior = 1.0
    for name, p in meta["output"].get("powers", {}).items():  # format version 2
        prior = prior * np.asarray(inputs[name], dtype=np.float64) ** p
    return prior * total / meta["n_models"]


@pytest.mark.parametrize("n", [1, 40, 5000])
def test_documented_formula_equals_predict(saved, fitted, synth, n):
    X = np.random.default_rng(n).uniform(synth.LOW, synth.HIGH, size=(n, 3))
    inputs = {"T": X[:, 0], "b": X[:, 1], "lambda_perp": X[:, 2]}
    expected = _documented_evaluator(saved, inputs)
    # float32 against float64: 2e-5 relative, and 1e-6 of the output scale where the last
    # layer's sum cancels (D = s_y z^2 with z near 0)
    atol = 1e-6 * float(fitted.state.output_scale[0])
    np.testing.assert_allclose(fitted.predict(**inputs), expected, rtol=2e-5, atol=atol)


@pytest.mark.slow
def test_documented_formula_with_log_inputs_and_an_ensemble(synth, tmp_path):
    X, y = synth.arrays(100, seed=30)
    sur = Surrogate(
        n_models=2, hidden_widths=(4, 3), activation="sigmoid", log_features=("lambda_perp",)
    ).fit(X, y, epochs=20, key=0)
    path = sur.save(tmp_path / "m.npz")
    inputs = {"T": X[:, 0], "b": X[:, 1], "lambda_perp": X[:, 2]}
    atol = 1e-6 * float(sur.state.output_scale[0])
    np.testing.assert_allclose(
        sur.predict(**inputs), _documented_evaluator(path, inputs), rtol=2e-5, atol=atol
    )


@pytest.mark.slow
def test_documented_formula_with_an_output_prior(synth, tmp_path):
    X, y = synth.arrays(100, seed=31)
    sur = Surrogate(hidden_widths=(4,), output_powers={"b": 2, "T": 0.5}).fit(X, y, epochs=20)
    path = sur.save(tmp_path / "m.npz")
    inputs = {"T": X[:, 0], "b": X[:, 1], "lambda_perp": X[:, 2]}
    expected = _documented_evaluator(path, inputs)
    atol = 1e-6 * float(sur.state.output_scale[0]) * X[:, 1] ** 2 * X[:, 0] ** 0.5
    assert np.all(np.abs(sur.predict(**inputs) - expected) <= atol + 2e-5 * np.abs(expected))
    arrays = _arrays(path)
    meta = json.loads(arrays["metadata"].tobytes().decode())
    old = _write(tmp_path / "v1.npz", _with_metadata(arrays, format_version=1))
    with pytest.raises(ValueError, match="an output prior needs format version 2"):
        Surrogate.load(old)
    meta["output"]["powers"] = {"b": 1.0}
    other = _write(tmp_path / "p.npz", _with_metadata(arrays, output=meta["output"]))
    with pytest.raises(ValueError, match=r"'output\.powers' disagrees with the configuration"):
        Surrogate.load(other)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no surrogate file at"):
        Surrogate.load(tmp_path / "absent.npz")


def test_truncated_file(saved, tmp_path):
    data = saved.read_bytes()
    for keep in (len(data) // 2, 100, 0):
        bad = tmp_path / f"cut{keep}.npz"
        bad.write_bytes(data[:keep])
        with pytest.raises(ValueError, match=f"{BAD}: it cannot be read as an .npz archive"):
            Surrogate.load(bad)


def test_corrupted_bytes(saved, tmp_path):
    # flip bytes inside the stored weights: the zip CRC check catches it
    data = bytearray(saved.read_bytes())
    offset = data.index(b"layer_0/weight.npy") + 200
    data[offset : offset + 8] = bytes(b ^ 0xFF for b in data[offset : offset + 8])
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=BAD):
        Surrogate.load(bad)


def test_foreign_files(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match=f"{BAD}: it cannot be read"):
        Surrogate.load(text)
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match=f"{BAD}: it is a single .npy array"):
        Surrogate.load(npy)
    npz = _write(tmp_path / "other.npz", {"w": np.ones(3)})
    with pytest.raises(ValueError, match=f"{BAD}: it has no 'metadata' entry"):
        Surrogate.load(npz)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, metadata=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=f"{BAD}: array 'metadata' cannot be read"):
        Surrogate.load(pickled)
    not_json = _write(tmp_path / "j.npz", {"metadata": np.frombuffer(b"{oops", np.uint8)})
    with pytest.raises(ValueError, match=f"{BAD}: its metadata is not valid UTF-8 JSON"):
        Surrogate.load(not_json)


def test_wrong_format_or_version(saved, tmp_path):
    arrays = _arrays(saved)
    other = _write(tmp_path / "f.npz", _with_metadata(arrays, format="someone.else"))
    with pytest.raises(ValueError, match=f"{BAD}: metadata 'format' must be"):
        Surrogate.load(other)
    newer = _write(tmp_path / "v.npz", _with_metadata(arrays, format_version=3))
    with pytest.raises(
        ValueError, match=r"format version 3 is not supported; .* reads versions 1, 2"
    ):
        Surrogate.load(newer)
    broken = _write(tmp_path / "c.npz", _with_metadata(arrays, config={"widths": [3]}))
    with pytest.raises(ValueError, match="metadata is incomplete or inconsistent"):
        Surrogate.load(broken)
    sizes = _write(tmp_path / "s.npz", _with_metadata(arrays, layer_sizes=[3, 8, 5, 1]))
    with pytest.raises(ValueError, match="'layer_sizes' disagrees with the configuration"):
        Surrogate.load(sizes)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda a: a.pop("layer_1/bias"), r"arrays missing: layer_1/bias"),
        (lambda a: a.update(extra=np.ones(2)), r"unexpected arrays: extra"),
        (
            lambda a: a.update({"layer_0/weight": a["layer_0/weight"][:, :9]}),
            r"array 'layer_0/weight' must have shape \(1, 10, 3\); got \(1, 9, 3\)",
        ),
        (
            lambda a: a.update({"layer_0/weight": a["layer_0/weight"].astype(np.float64)}),
            r"array 'layer_0/weight' must have dtype float32; got float64",
        ),
        (
            lambda a: a.update({"output/scale": np.array([np.nan], np.float32)}),
            r"`output/scale` must be finite",
        ),
        (
            lambda a: a.update({"input/scale": np.array([1, -1, 1], np.float32)}),
            r"`input/scale` and `output/scale` must be positive",
        ),
        (
            lambda a: a.update({"history/train_loss": a["history/train_loss"][:, :5]}),
            r"array 'history/train_loss' must have shape \(1, 201\)",
        ),
    ],
)
def test_damaged_arrays(saved, tmp_path, change, match):
    arrays = _arrays(saved)
    change(arrays)
    bad = _write(tmp_path / "bad.npz", arrays)
    with pytest.raises(ValueError, match=match):
        Surrogate.load(bad)


def test_pretrained_missing_file_says_what_is_missing(monkeypatch):
    from crtransport import datasets

    monkeypatch.setitem(datasets.SURROGATE_FILES, "paper", "surrogate_absent.npz")
    with pytest.raises(FileNotFoundError, match=r"'paper'.*data/surrogate_absent\.npz is missing"):
        Surrogate.pretrained("paper")


def test_pretrained_default_is_the_most_accurate_shipped(monkeypatch):
    from crtransport import datasets

    shipped = Surrogate.available_pretrained()
    default = Surrogate.pretrained()
    expected = "improved" if "improved" in shipped else "paper"
    assert default.state.provenance == Surrogate.pretrained(expected).state.provenance
    if "improved" in shipped:
        record = default.state.provenance
        paper = Surrogate.pretrained("paper").state.provenance
        assert record["test"]["rms_relative_error"] < paper["test"]["rms_relative_error"]
    monkeypatch.setitem(datasets.SURROGATE_FILES, "improved", "surrogate_absent.npz")
    assert Surrogate.available_pretrained() == ("paper", "general")
    assert Surrogate.pretrained().config.layer_sizes == (3, 10, 5, 1)  # never "general"


def test_pretrained_unknown_name():
    with pytest.raises(ValueError, match=r"`name` must be one of .*'paper'.*'improved'.*'best'"):
        Surrogate.pretrained("best")


def test_provenance_round_trip(fitted, tmp_path):
    record = {"database": {"n_train": 300, "sha256": "ab" * 32}, "test": {"rms": 0.021}}
    before = fitted.state
    path = fitted.save(tmp_path / "m.npz", provenance=record)
    assert Surrogate.load(path).state.provenance == record
    # saving does not change the model: the record is in the file only
    assert fitted.state is before
    assert fitted.state.provenance == {}
    with pytest.raises(ValueError, match="`provenance` must be a mapping of JSON values"):
        fitted.save(tmp_path / "n.npz", provenance={"x": float("nan")})
    assert not (tmp_path / "n.npz").exists()
