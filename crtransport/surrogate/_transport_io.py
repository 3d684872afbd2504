"""Files of :class:`~crtransport.surrogate.TransportSurrogate`: a zip of a JSON manifest and
one surrogate ``.npz`` per part (each in the format of :mod:`crtransport.surrogate._io`, read
and validated by it); no pickle."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

from crtransport._version import __version__

#: Value of the manifest's ``format`` field.
FORMAT = "crtransport.transport_surrogate"
#: Version of the layout this code writes and reads.
FORMAT_VERSION = 1


def save_transport(model: Any, path: Path) -> Path:
    """Write ``model`` (a TransportSurrogate) to ``path`` atomically (temporary file, rename)."""
    from crtransport.surrogate._data import FEATURES
    from crtransport.surrogate._io import state_bytes

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "crtransport_version": __version__,
        "features": list(FEATURES),
        "parts": sorted(model._models),
        "calibration": model.calibration,
        "domain": {k: list(v) for k, v in model.domain.items()},
        "metadata": model.metadata,
    }
    blobs = {name: state_bytes(part.state) for name, part in model._models.items()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=1))
            for name, blob in blobs.items():
                zf.writestr(f"{name}.npz", blob)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load_transport(path: Path) -> dict[str, Any]:
    """The parts of the file at ``path``: ``models``, ``calibration``, ``domain``,
    ``metadata`` (see :meth:`TransportSurrogate.load` for the errors)."""
    from crtransport.surrogate._io import read_state
    from crtransport.surrogate._model import Surrogate

    if not path.is_file():
        raise FileNotFoundError(f"no such surrogate file: {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            blobs = {n: zf.read(f"{n}.npz") for n in manifest.get("parts", [])}
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValueError(f"{path} is not a crtransport transport-surrogate file ({exc}).") from None
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path} is not a crtransport transport-surrogate file.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has format version {manifest.get('format_version')}; this crtransport "
            f"({__version__}) reads version {FORMAT_VERSION}."
        )
    models = {}
    for name, blob in blobs.items():  # read in memory: an installed model may be read-only
        try:
            models[name] = Surrogate.from_state(read_state(io.BytesIO(blob), f"{path}:{name}.npz"))
        except ValueError as exc:
            raise ValueError(f"{path}: part {name!r} is damaged ({exc}).") from None
    return {
        "models": models,
        "calibration": manifest["calibration"],
        "domain": {k: tuple(v) for k, v in manifest["domain"].items()},
        "metadata": manifest.get("metadata"),
    }
