"""Issue 19: surrogate files are checked before their data are read; no pickle advice."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from crtransport.surrogate import Surrogate


def _members(path):
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def test_shapes_are_checked_from_the_headers_before_reading(tmp_path, monkeypatch):
    sur = Surrogate.pretrained("paper")
    good = tmp_path / "good.npz"
    sur.save(good)
    arrays = _members(good)
    arrays["history/train_loss"] = np.zeros(3_000_000, np.float32)  # compresses to ~12 kB
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, **arrays)
    assert bomb.stat().st_size < 200_000
    read = []
    original = np.lib.npyio.NpzFile.__getitem__

    def spy(self, key):
        read.append(key)
        return original(self, key)

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", spy)
    with pytest.raises(ValueError, match=r"array 'history/train_loss' must have shape"):
        Surrogate.load(bomb)
    assert "history/train_loss" not in read  # refused from its header, data never read


@pytest.mark.parametrize(
    "content", [b"\x80\x04\x95garbage pickle", b"random bytes", b"", b"PK\x03\x04broken zip"]
)
def test_garbage_files_never_mention_allow_pickle(tmp_path, content):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match="is not a valid crtransport surrogate file") as info:
        Surrogate.load(bad)
    assert "allow_pickle" not in str(info.value)


def test_object_arrays_are_refused_without_pickle_advice(tmp_path):
    bad = tmp_path / "obj.npz"
    np.savez(bad, metadata=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="Python objects, which crtransport never loads") as info:
        Surrogate.load(bad)
    assert "allow_pickle" not in str(info.value)
    meta = json.dumps({"format": "x"}).encode()
    with zipfile.ZipFile(tmp_path / "big.npz", "w") as zf:
        header = np.lib.format.header_data_from_array_1_0(np.zeros(10**9, np.uint8))
        with zf.open("metadata.npy", "w") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            fh.write(meta)
    with pytest.raises(ValueError, match=r"'metadata' holds 1000000000 bytes"):
        Surrogate.load(tmp_path / "big.npz")


# --------------------------------------------------------------------------- 19.6
def test_predictions_do_not_depend_on_the_batch_split():
    sur = Surrogate.pretrained("paper")
    state = sur.state
    X = np.random.default_rng(0).uniform(state.domain_low, state.domain_high, size=(200, 3))
    whole = sur.predict(X)  # float32 JAX path
    pieces = np.concatenate([sur.predict(X[i : i + 40]) for i in range(0, 200, 40)])
    ones = np.array([sur.predict(T=x[0], b=x[1], lambda_perp=x[2]) for x in X[:50]])
    scale = float(state.output_scale[0]) * max(1.0, float(np.max(whole / state.output_scale[0])))
    np.testing.assert_allclose(whole, pieces, rtol=0, atol=1e-5 * scale)
    np.testing.assert_allclose(ones, pieces[:50], rtol=1e-12)


@pytest.mark.parametrize("T", [1e300, 1e39, 1e-300])
def test_far_outside_the_domain_every_path_gives_the_same_value(T):
    import warnings

    sur = Surrogate.pretrained("improved")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        one = sur.predict(T=T, b=0.5, lambda_perp=5.0, on_extrapolate="ignore")
        few = sur.predict(T=np.full(3, T), b=0.5, lambda_perp=5.0, on_extrapolate="ignore")
        many = sur.predict(T=np.full(200, T), b=0.5, lambda_perp=5.0, on_extrapolate="ignore")
    np.testing.assert_allclose(few, one, rtol=1e-12)
    np.testing.assert_allclose(many, one, rtol=1e-5)
