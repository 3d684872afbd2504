"""The one description of the machine a benchmark ran on (imported by the scripts here)."""

from __future__ import annotations

import os
import platform


def machine() -> str:
    """CPU model, core count, OS and Python version, e.g. for a benchmark's JSON line."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
