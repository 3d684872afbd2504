"""The engine signature a long, resumable database build checks before it resumes.

A journal's fingerprint covers a build's settings, not the engine's code, and a build spans
sessions in which the code may change. Resuming with an engine that computes different numbers
would silently mix two engines in one database, so a build script records what the engine
computes for a small fixed run when the build starts, and refuses to resume when that moved
(beyond the last-bits noise of another CPU).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import crtransport as crt


def engine_signature(run: Mapping[str, Any]) -> dict[str, float]:
    """D_perp, D_par and their errors of ``crt.simulate(**run)`` (a run of about a second)."""
    res = crt.simulate(**run)
    return {k: float(getattr(res, k)) for k in ("D_perp", "D_perp_err", "D_par", "D_par_err")}


def check_engine(signature_file: Path, run: Mapping[str, Any]) -> None:
    """Record the signature at the start of a build; exit if it moved since."""
    now = engine_signature(run)
    if not signature_file.exists():
        signature_file.write_text(json.dumps(now, indent=1) + "\n")
        return
    then = json.loads(signature_file.read_text())
    if not all(np.isclose(now[k], then[k], rtol=1e-6, atol=0) for k in then):
        sys.exit(
            f"the engine now computes {now} for the signature run, the build started with "
            f"{then} ({signature_file}): resuming would mix two engines in one database. "
            "Restore the engine, or start over (delete the journal and the signature)."
        )
