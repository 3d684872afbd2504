"""The build journal: finished samples on disk as they arrive, so a killed build resumes.

Layout: ``<path>.journal``, a JSON-lines file. Line 1 is a header with the build's fingerprint
(every argument that determines the result); each further line is the record of one finished
sample. The header is written to a temporary name, fsynced and renamed, so a journal either
does not exist or starts with a complete header. A record is appended with one ``write`` and
then fsynced, so a kill (SIGKILL included) can at worst leave a truncated last line, which a
resume detects and cuts off. An exclusive ``flock`` keeps two builds off one journal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("crtransport.dataset")

JOURNAL_FORMAT = "crtransport.dataset.journal"
JOURNAL_VERSION = 1


def journal_path(path: Path) -> Path:
    """Where the journal of the database ``path`` lives."""
    return path.with_name(path.name + ".journal")


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key in data:
            out.update(_flatten(data[key], f"{prefix}{key}."))
        return out
    return {prefix[:-1]: data}


def describe_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Human-readable list of the settings that differ, e.g. ``n_samples: 10 -> 20``."""
    a, b = _flatten(old), _flatten(new)
    out = []
    for key in sorted(set(a) | set(b), key=lambda k: (k.count("."), k)):
        if a.get(key, "<absent>") != b.get(key, "<absent>"):
            out.append(
                f"{key}: {json.dumps(a.get(key, '<absent>'))} (before) != "
                f"{json.dumps(b.get(key, '<absent>'))} (now)"
            )
    return out


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class Journal:
    """Append-only record of finished samples (one instance per build, parent process only).

    Use :meth:`open`, which creates the journal or resumes it, then :meth:`append` each
    finished record, then :meth:`remove` once the final file is written.
    """

    def __init__(self, path: Path, fd: int, records: dict[int, dict[str, Any]]) -> None:
        self.path = path
        self._fd = fd
        self.records = records

    @classmethod
    def open(
        cls, path: Path, fingerprint: Mapping[str, Any], *, discard_mismatch: bool = False
    ) -> Journal:
        """Create the journal at ``path`` or resume the one there.

        Raises
        ------
        ValueError
            If the existing journal was written with another fingerprint (the message lists
            the differences) and ``discard_mismatch`` is false, or it is damaged.
        BlockingIOError
            If another build holds the journal.
        """
        if path.exists():
            fd = cls._lock(path)  # before reading: never truncate another build's journal
            try:
                header, records = cls._read(path)
            except ValueError:
                if not discard_mismatch:
                    os.close(fd)
                    raise
                header, records = None, {}
            if header is not None and header["fingerprint"] != fingerprint:
                diffs = describe_differences(header["fingerprint"], fingerprint)
                if not discard_mismatch:
                    os.close(fd)
                    raise ValueError(
                        f"cannot resume: the journal {path} was written by a build with other "
                        f"settings ({'; '.join(diffs)}). Rerun with the original arguments to "
                        "resume it, or pass overwrite=True (CLI: --overwrite) to discard its "
                        f"{len(records)} finished samples and start over."
                    )
                header = None
            if header is not None:
                logger.info("resuming from %s: %d samples already done", path, len(records))
                return cls(path, fd, records)
            logger.warning("discarding the journal %s (overwrite=True)", path)
            path.unlink()
            os.close(fd)
        cls._create(path, fingerprint)
        return cls(path, cls._lock(path), {})

    @staticmethod
    def _create(path: Path, fingerprint: Mapping[str, Any]) -> None:
        header = {"format": JOURNAL_FORMAT, "version": JOURNAL_VERSION, "fingerprint": fingerprint}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(header, separators=(",", ":")) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)

    @staticmethod
    def _lock(path: Path) -> int:
        fd = os.open(path, os.O_RDWR | os.O_APPEND)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise BlockingIOError(
                    f"another build is writing {path} (the journal is locked); wait for it or "
                    "stop it first."
                ) from None
        return fd

    @staticmethod
    def _read(path: Path) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
        """Header and records; cuts off a truncated last line left by a kill."""
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline
        if tail:
            keep = len(raw) - len(tail)
            logger.warning(
                "the journal %s ends with an incomplete record (%d bytes; the build was "
                "killed while writing it): dropping it, the sample will be rerun",
                path,
                len(tail),
            )
            with open(path, "r+b") as fh:
                fh.truncate(keep)
                fh.flush()
                os.fsync(fh.fileno())
        if not lines:
            raise ValueError(f"the journal {path} is empty or damaged (no header line).")
        return parse_lines(path, lines)

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Write one record durably; return it as it will be read back."""
        line = json.dumps(record, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # pragma: no cover - short writes are rare on files
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)
        stored = json.loads(line)
        self.records[int(record["index"])] = stored
        return stored

    def close(self) -> None:
        """Release the lock and close the file (the journal stays on disk)."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1

    def remove(self) -> None:
        """Close and delete the journal (after the final file is safely in place)."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        fsync_dir(self.path.parent)


def parse_lines(path: Path, lines: list[bytes]) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Header and records of a journal's complete lines (the first record of an index wins).

    Raises
    ------
    ValueError
        If the header is not a crtransport journal header of this version, or a record line
        is damaged.
    """
    try:
        header = json.loads(lines[0]) if lines else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        header = None
    if (
        not isinstance(header, dict)
        or header.get("format") != JOURNAL_FORMAT
        or not isinstance(header.get("fingerprint"), Mapping)
    ):
        raise ValueError(f"{path} is not a crtransport build journal (bad header line).")
    if header.get("version") != JOURNAL_VERSION:
        raise ValueError(
            f"the journal {path} has version {header.get('version')}; this crtransport "
            f"reads version {JOURNAL_VERSION}."
        )
    records: dict[int, dict[str, Any]] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        try:
            rec = json.loads(line)
            index = int(rec["index"])
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError):
            raise ValueError(
                f"the journal {path} is damaged at line {lineno}; it was left in place. "
                "Move it away (or pass overwrite=True) to start over."
            ) from None
        if index in records:
            logger.warning("the journal %s holds sample %d twice; keeping the first", path, index)
            continue
        records[index] = rec
    return header, records
