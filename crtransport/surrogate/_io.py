"""Reading and writing surrogate files: a NumPy ``.npz`` archive with JSON metadata, no pickle.

The layout is documented in ``docs/guide/surrogate.rst`` ("File format") so that codes in other
languages can evaluate the network from the file alone. Numpy only; no JAX import.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from crtransport._version import __version__
from crtransport.surrogate._config import SurrogateConfig
from crtransport.surrogate._state import SurrogateState, TrainingHistory

#: Value of the metadata's ``format`` field.
FORMAT_NAME = "crtransport.surrogate"
#: Newest version of the file layout; files are written in the oldest version that holds
#: the model, so a reader of version 1 keeps reading every model without an output prior.
#: Version 2 adds the output prior (``output.powers``), which changes the formula.
FORMAT_VERSION = 2
#: Versions this code reads.
READABLE_VERSIONS = (1, 2)


def _expected_arrays(
    config: SurrogateConfig, n_epochs_run: int, has_test: bool
) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
    """Name -> (dtype, shape) of every array a file for this configuration must hold."""
    m = config.n_models
    sizes = config.layer_sizes
    n = config.n_features
    f32, f64, i64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)
    out: dict[str, tuple[np.dtype, tuple[int, ...]]] = {}
    for i in range(len(sizes) - 1):
        out[f"layer_{i}/weight"] = (f32, (m, sizes[i + 1], sizes[i]))
        out[f"layer_{i}/bias"] = (f32, (m, sizes[i + 1]))
    out["input/offset"] = (f32, (n,))
    out["input/scale"] = (f32, (n,))
    out["input/domain_low"] = (f64, (n,))
    out["input/domain_high"] = (f64, (n,))
    out["output/scale"] = (f32, (1,))
    out["history/train_loss"] = (f32, (m, n_epochs_run + 1))
    if has_test:
        out["history/test_loss"] = (f32, (m, n_epochs_run + 1))
    out["history/best_epoch"] = (i64, (m,))
    return out


def state_to_arrays(state: SurrogateState) -> dict[str, np.ndarray]:
    """Return every array of a file (metadata included) for ``state``."""
    config = state.config
    history = state.history
    arrays: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(zip(state.weights, state.biases, strict=True)):
        arrays[f"layer_{i}/weight"] = w
        arrays[f"layer_{i}/bias"] = b
    arrays["input/offset"] = state.input_offset
    arrays["input/scale"] = state.input_scale
    arrays["input/domain_low"] = state.domain_low
    arrays["input/domain_high"] = state.domain_high
    arrays["output/scale"] = state.output_scale
    arrays["history/train_loss"] = history.train_loss
    if history.test_loss is not None:
        arrays["history/test_loss"] = history.test_loss
    arrays["history/best_epoch"] = history.best_epoch
    n_layers = len(config.layer_sizes) - 1
    metadata = {
        "format": FORMAT_NAME,
        "format_version": 2 if config.output_powers else 1,
        "crtransport_version": __version__,
        "compute_dtype": "float32",
        "layer_sizes": list(config.layer_sizes),
        "activations": [config.activation] * (n_layers - 1) + [config.output_activation],
        "n_models": config.n_models,
        "inputs": [
            {
                "name": name,
                "units": units,
                "transform": "log" if name in config.log_features else "identity",
            }
            for name, units in zip(config.features, state.feature_units, strict=True)
        ],
        "output": {
            "name": config.target,
            "units": state.target_units,
            **({"powers": dict(config.output_powers)} if config.output_powers else {}),
        },
        "config": config.to_dict(),
        "training": {
            "n_epochs_run": history.n_epochs_run,
            "is_stopped_early": history.is_stopped_early,
            "n_train": history.n_train,
            "n_test": history.n_test,
            "key": history.key,
            "optimizer": history.optimizer,
        },
        "arrays": {
            name: {"dtype": str(a.dtype), "shape": list(a.shape)} for name, a in arrays.items()
        },
    }
    if state.provenance:
        metadata["provenance"] = dict(state.provenance)
    text = json.dumps(metadata, indent=1, sort_keys=False)
    arrays["metadata"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return arrays


def _umask() -> int:
    """The process's umask (read by setting it and restoring it at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def state_bytes(state: SurrogateState) -> bytes:
    """The bytes :func:`save_state` writes (an ``.npz`` archive), in memory."""
    buffer = io.BytesIO()
    np.savez(buffer, **state_to_arrays(state))  # type: ignore[arg-type]
    return buffer.getvalue()


def save_state(state: SurrogateState, path: str | os.PathLike[str]) -> Path:
    """Write ``state`` to ``path`` (exactly that name, atomically); return the path."""
    path = Path(path)
    arrays = state_to_arrays(state)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        # mkstemp creates the file 0600; a model file gets the user's umask, like the netCDF
        # files and any file open() creates (0644 under the usual umask 022)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _bad(path: Path, reason: str) -> ValueError:
    return ValueError(f"{str(path)!r} is not a valid crtransport surrogate file: {reason}")


def load_state(path: str | os.PathLike[str]) -> SurrogateState:
    """Read and fully validate a surrogate file; see :meth:`Surrogate.load`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no surrogate file at {str(path)!r}.")
    # open the file ourselves: np.load leaks its handle when the archive is unreadable
    with open(path, "rb") as fh:
        return read_state(fh, path)


def read_state(fh: BinaryIO, name: str | os.PathLike[str]) -> SurrogateState:
    """Read and fully validate a surrogate archive from the open binary file ``fh`` (a file
    or an ``io.BytesIO``, e.g. a member of a transport-surrogate zip: nothing is written to
    disk, so a model in a read-only installation loads); ``name`` names it in errors."""
    path = Path(name)
    magic = fh.read(6)
    fh.seek(0)
    if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
        # anything else np.load would try to unpickle (and advise allow_pickle=True)
        raise _bad(
            path,
            f"it cannot be read as an .npz archive (not a zip file: it starts with {magic!r}).",
        )
    try:
        archive = np.load(fh, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _bad(path, f"it cannot be read as an .npz archive ({_no_pickle(exc)}).") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise _bad(path, "it is a single .npy array, not an .npz archive.")
    with archive:
        try:
            return _read_archive(path, archive)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
            raise _bad(path, f"the archive is damaged ({type(exc).__name__}: {exc}).") from None


def _no_pickle(exc: BaseException) -> str:
    """numpy's message, minus its advice to load with ``allow_pickle`` (never do that)."""
    text = str(exc)
    if "pickle" in text:
        return "it holds pickled Python objects, which crtransport never loads"
    return text


#: Largest metadata entry read (bytes): the JSON of a model is a few kB.
MAX_METADATA_BYTES = 1 << 24


def _array_header(path: Path, archive: Any, name: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of an archive member from its .npy header, without reading the data.

    Issue 19.11: a small file whose member decompresses to gigabytes was read in full before
    its shape was checked.
    """
    try:
        with archive.zip.open(f"{name}.npy") as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _bad(
            path, f"array {name!r} has no readable .npy header ({_no_pickle(exc)})."
        ) from None
    return tuple(shape), np.dtype(dtype)


def _read_array(
    path: Path,
    archive: Any,
    name: str,
    dtype: np.dtype | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    found_shape, found_dtype = _array_header(path, archive, name)
    if found_dtype.hasobject:
        raise _bad(
            path,
            f"array {name!r} cannot be read (it holds Python objects, which crtransport never "
            "loads).",
        )
    if dtype is not None and found_dtype != dtype:
        raise _bad(path, f"array {name!r} must have dtype {dtype}; got {found_dtype}.")
    if shape is not None and found_shape != shape:
        raise _bad(path, f"array {name!r} must have shape {shape}; got {found_shape}.")
    try:
        return archive[name]
    except ValueError as exc:  # e.g. an object array, refused without pickle
        raise _bad(path, f"array {name!r} cannot be read ({_no_pickle(exc)}).") from None


def _read_archive(path: Path, archive: Any) -> SurrogateState:
    files = set(archive.files)
    if "metadata" not in files:
        raise _bad(path, "it has no 'metadata' entry (a foreign .npz file?).")
    meta_shape, meta_dtype = _array_header(path, archive, "metadata")
    if meta_dtype.hasobject:
        _read_array(path, archive, "metadata")  # raises: Python objects are never loaded
    if meta_dtype != np.uint8 or len(meta_shape) != 1:
        raise _bad(path, f"'metadata' must be a 1-D uint8 array; got {meta_dtype} {meta_shape}.")
    if meta_shape[0] > MAX_METADATA_BYTES:
        raise _bad(path, f"'metadata' holds {meta_shape[0]} bytes; at most {MAX_METADATA_BYTES}.")
    raw = _read_array(path, archive, "metadata")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(path, f"its metadata is not valid UTF-8 JSON ({exc}).") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise _bad(path, f"metadata 'format' must be {FORMAT_NAME!r}; got {found!r}.")
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise _bad(
            path,
            f"format version {version!r} is not supported; this crtransport ({__version__}) "
            f"reads versions {', '.join(map(str, READABLE_VERSIONS))}.",
        )
    try:
        config = SurrogateConfig.from_dict(meta["config"])
        training = meta["training"]
        inputs = meta["inputs"]
        output = meta["output"]
        n_epochs_run = training["n_epochs_run"]
        if not isinstance(n_epochs_run, int) or n_epochs_run < 0:
            raise ValueError(f"'n_epochs_run' must be a non-negative integer; got {n_epochs_run!r}")
        if [i["name"] for i in inputs] != list(config.features):
            raise ValueError("the input names disagree with the configuration")
        if list(meta["layer_sizes"]) != list(config.layer_sizes):
            raise ValueError("'layer_sizes' disagrees with the configuration")
        if int(meta["n_models"]) != config.n_models:
            raise ValueError("'n_models' disagrees with the configuration")
        powers = output.get("powers", {})
        if powers != dict(config.output_powers):
            raise ValueError("'output.powers' disagrees with the configuration")
        if config.output_powers and version < 2:
            raise ValueError("an output prior needs format version 2")
        feature_units = tuple(str(i["units"]) for i in inputs)
        target_units = str(output["units"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(path, f"its metadata is incomplete or inconsistent ({exc}).") from None

    expected = _expected_arrays(config, n_epochs_run, "history/test_loss" in files)
    missing = sorted(set(expected) - files)
    extra = sorted(files - set(expected) - {"metadata"})
    if missing:
        raise _bad(path, f"arrays missing: {', '.join(missing)}.")
    if extra:
        raise _bad(path, f"unexpected arrays: {', '.join(extra)}.")
    arrays: dict[str, np.ndarray] = {}
    for name, (dtype, shape) in expected.items():  # headers first: no data read yet
        _read_array_header_only = _array_header(path, archive, name)
        if _read_array_header_only[1] != dtype:
            found = _read_array_header_only[1]
            raise _bad(path, f"array {name!r} must have dtype {dtype}; got {found}.")
        if _read_array_header_only[0] != shape:
            found_shape = _read_array_header_only[0]
            raise _bad(path, f"array {name!r} must have shape {shape}; got {found_shape}.")
    for name, (dtype, shape) in expected.items():
        arrays[name] = _read_array(path, archive, name, dtype, shape)
    n_layers = len(config.layer_sizes) - 1
    try:
        history = TrainingHistory(
            train_loss=arrays["history/train_loss"],
            test_loss=arrays.get("history/test_loss"),
            best_epoch=arrays["history/best_epoch"],
            n_epochs_run=n_epochs_run,
            is_stopped_early=bool(training["is_stopped_early"]),
            n_train=training["n_train"],
            n_test=training["n_test"],
            key=training["key"],
            optimizer=training["optimizer"],
        )
        return SurrogateState(
            config=config,
            weights=tuple(arrays[f"layer_{i}/weight"] for i in range(n_layers)),
            biases=tuple(arrays[f"layer_{i}/bias"] for i in range(n_layers)),
            input_offset=arrays["input/offset"],
            input_scale=arrays["input/scale"],
            output_scale=arrays["output/scale"],
            domain_low=arrays["input/domain_low"],
            domain_high=arrays["input/domain_high"],
            feature_units=feature_units,
            target_units=target_units,
            history=history,
            provenance=meta.get("provenance", {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(path, str(exc)) from None
