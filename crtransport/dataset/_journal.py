"""The build journal: finished samples on disk as they arrive, so a killed build resumes.

Layout: ``<path>.journal``, a JSON-lines file. Line 1 is a header with the build's fingerprint
(every argument that determines the result); each further line is the record of one finished
sample. The header is written to a temporary name, fsynced and renamed, so a journal either
does not exist or starts with a complete header. A record is appended with one ``write`` and
then fsynced, so a kill (SIGKILL included) can at worst leave a truncated last line, which a
resume detects and cuts off (only once the header shows the file is a crtransport journal:
a foreign file is never written to). Every record is checked on reading
(:func:`~crtransport.dataset._records.check_record`), so a resumed build stores only what a
fresh run could produce.

Two locks keep two builds of one path apart. :class:`BuildLock` locks ``.<name>.lock``, a file
that is never replaced, for the whole build, before the result or the journal is even looked
at; the journal's own ``flock`` stays as a second guard. (Locking the journal alone was not
enough: it is created under a temporary name and renamed, so a second builder's rename could
swap the locked file away and both builds ran.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from crtransport.dataset._records import InvalidRecordError, check_record

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("crtransport.dataset")

JOURNAL_FORMAT = "crtransport.dataset.journal"
JOURNAL_VERSION = 1


class ForeignFileError(ValueError):
    """The file at a journal's path is not a crtransport build journal (never touched)."""


def journal_path(path: Path) -> Path:
    """Where the journal of the database ``path`` lives."""
    return path.with_name(path.name + ".journal")


def _busy(target: Path) -> BlockingIOError:
    return BlockingIOError(
        f"another build is writing {target} (its lock is held); wait for it or stop it first."
    )


class BuildLock:
    """Exclusive lock on the build of ``target``, held from before any check to the end.

    The lock file ``.<name>.lock`` is opened (created if needed) and never replaced; after the
    ``flock`` succeeds the holder checks that the path still names the locked file (a previous
    holder deletes it on release) and retries otherwise, so at most one build holds it.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, target: Path) -> BuildLock:
        """Lock the build of ``target`` or raise BlockingIOError at once if another holds it."""
        lock = target.with_name(f".{target.name}.lock")
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    raise _busy(target) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return cls(lock, fd)
            os.close(fd)  # the previous holder removed it after we opened it: retry

    def release(self) -> None:
        """Delete the lock file and unlock (in that order, so no one locks a stale file)."""
        if self._fd < 0:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = -1


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Delete the temporaries a killed build of ``target`` left (call with the build lock held).

    Only names this module, the active builder's rounds log and ``write_dataset`` create are
    touched: ``.<name>.<pid>.tmp``, ``.<name>.journal.<pid>.tmp`` and
    ``.<name>.rounds.<pid>.tmp``.
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}(\.journal|\.rounds)?\.\d+\.tmp")
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:  # pragma: no cover - unreadable folder: nothing to clean
        return removed
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
                logger.warning("removed %s, left by an interrupted build", entry)
    return removed


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


def replace_lines(path: Path, lines: Sequence[bytes]) -> None:
    """Write ``lines`` (each ended by a newline) to ``path`` through a fsynced temporary
    ``.<name>.<pid>.tmp`` and a rename, so the file is either the old one or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(b"".join(line + b"\n" for line in lines))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(path.parent)


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

    def __init__(
        self,
        path: Path,
        fd: int,
        records: dict[int, dict[str, Any]],
        fingerprint: Mapping[str, Any] | None = None,
    ) -> None:
        self.path = path
        self._fd = fd
        self.records = records
        self._fingerprint = fingerprint

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
            except ForeignFileError:
                os.close(fd)  # not ours: never overwrite or delete it, even with overwrite
                raise
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
                return cls(path, fd, records, fingerprint)
            logger.warning("discarding the journal %s (overwrite=True)", path)
            path.unlink()
            os.close(fd)
        cls._create(path, fingerprint)
        return cls(path, cls._lock(path), {}, fingerprint)

    @staticmethod
    def _create(path: Path, fingerprint: Mapping[str, Any]) -> None:
        header = {"format": JOURNAL_FORMAT, "version": JOURNAL_VERSION, "fingerprint": fingerprint}
        replace_lines(path, [json.dumps(header, separators=(",", ":")).encode()])

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
        """Header and records; cuts off a truncated last line left by a kill.

        The file is identified (header line) and its complete records are checked before
        anything is written to it, so a foreign or damaged file is never changed.
        """
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline
        if not lines:
            raise ForeignFileError(
                f"{path} is not a crtransport build journal (no complete header line); it was "
                "left as it is. Move it away to build here."
            )
        result = parse_lines(path, lines)
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
        return result

    def _is_replaced(self) -> bool:
        """Whether ``path`` no longer names the file this journal writes to."""
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return True
        ours = os.fstat(self._fd)
        return (on_disk.st_ino, on_disk.st_dev) != (ours.st_ino, ours.st_dev)

    def _rewrite(self) -> None:
        """Write the journal again at ``path`` from the records held, and append there."""
        assert self._fingerprint is not None
        logger.warning(
            "the journal %s was replaced by another program while the build ran (e.g. git "
            "stash or checkout); writing it again from the build's %d records",
            self.path,
            len(self.records),
        )
        self._create(self.path, self._fingerprint)
        fd = self._lock(self.path)
        lines = b"".join(
            (json.dumps(rec, separators=(",", ":")) + "\n").encode("utf-8")
            for rec in self.records.values()
        )
        os.write(fd, lines)
        os.fsync(fd)
        os.close(self._fd)
        self._fd = fd

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Write one record durably; return it as it will be read back.

        If another program replaced the file since (``git stash``, ``checkout``: the journal
        is committed while a long build runs), the journal is first written again at its path
        from the records this build holds, so that nothing goes to the replaced file.
        """
        if self._fingerprint is not None and self._is_replaced():
            self._rewrite()
        line = json.dumps(record, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # pragma: no cover - short writes are rare on files
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as exc:  # e.g. disk full: name the file (issue 19.15)
            raise OSError(
                exc.errno,
                f"cannot append to the build journal {self.path}: {exc.strerror}; the records "
                "written before are kept, rerun the build to resume once this is fixed",
                str(self.path),
            ) from exc
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


def parse_lines(
    path: Path, lines: list[bytes], *, skip_damaged: bool = False
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Header and records of a journal's complete lines (the first record of an index wins).

    Every record is checked with :func:`~crtransport.dataset._records.check_record`.
    ``skip_damaged`` drops damaged records (with a warning) instead of raising.

    Raises
    ------
    ValueError
        If the header is not a crtransport journal header of this version, or a record line
        is damaged (the message gives the line, what is wrong, and how to keep the good
        records).
    """
    header = _parse_header(path, lines)
    running_times = header["fingerprint"].get("running_times")
    records: dict[int, dict[str, Any]] = {}
    damaged: list[tuple[int, str]] = []
    for lineno, line in enumerate(lines[1:], start=2):
        try:
            rec = json.loads(line)
            check_record(rec, running_times=running_times)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            damaged.append((lineno, f"not a JSON record ({exc.__class__.__name__})"))
            continue
        except InvalidRecordError as exc:
            damaged.append((lineno, str(exc)))
            continue
        index = int(rec["index"])
        if index in records:
            logger.warning("the journal %s holds sample %d twice; keeping the first", path, index)
            continue
        records[index] = rec
    if damaged and not skip_damaged:
        lineno, why = damaged[0]
        more = f" (and {len(damaged) - 1} more damaged lines)" if len(damaged) > 1 else ""
        raise ValueError(
            f"the journal {path} is damaged at line {lineno}: {why}{more}; it was left in "
            f"place. {len(records)} records are intact: to keep them and rerun only the damaged "
            f"samples, call crtransport.dataset.repair_journal({str(path)!r}) (CLI: crtransport "
            "repair-journal PATH), then rerun the build. Or move the journal away (or pass "
            "overwrite=True) to start over."
        )
    for lineno, why in damaged:
        logger.warning("the journal %s: dropping damaged line %d (%s)", path, lineno, why)
    return header, records


def _parse_header(path: Path, lines: Sequence[bytes]) -> dict[str, Any]:
    try:
        header = json.loads(lines[0]) if lines else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        header = None
    if (
        not isinstance(header, dict)
        or header.get("format") != JOURNAL_FORMAT
        or not isinstance(header.get("fingerprint"), Mapping)
    ):
        raise ForeignFileError(
            f"{path} is not a crtransport build journal (bad header line); it was left as it "
            "is. Move it away to build here."
        )
    if header.get("version") != JOURNAL_VERSION:
        raise ValueError(
            f"the journal {path} has version {header.get('version')}; this crtransport "
            f"reads version {JOURNAL_VERSION}."
        )
    return header


def repair_journal(path: str | os.PathLike[str]) -> int:
    """Keep the intact records of a damaged build journal and drop the damaged ones.

    The damaged journal is kept as ``<journal>.damaged``; a new journal with the same header
    and the intact records takes its place, so rerunning the build resumes from them and runs
    only the dropped samples again.

    Parameters
    ----------
    path : str or os.PathLike
        The database path given to :func:`~crtransport.dataset.build_dataset`, or its journal
        (``<path>.journal``).

    Returns
    -------
    int
        Number of records kept.

    Raises
    ------
    FileNotFoundError
        If there is no journal.
    ValueError
        If the file is not a crtransport build journal (it is left as it is).
    BlockingIOError
        If a build of that path is running.
    """
    path = Path(path)
    jpath = path if path.name.endswith(".journal") else journal_path(path)
    target = jpath.with_name(jpath.name[: -len(".journal")])
    if not jpath.is_file():
        raise FileNotFoundError(f"no build journal at {jpath}.")
    lock = BuildLock.acquire(target)
    try:
        lines = jpath.read_bytes().split(b"\n")
        lines.pop()  # b"" or an incomplete last record
        if not lines:
            raise ForeignFileError(f"{jpath} is not a crtransport build journal (no header line).")
        _, records = parse_lines(jpath, lines, skip_damaged=True)
        backup = jpath.with_name(jpath.name + ".damaged")
        tmp = jpath.with_name(f".{jpath.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(lines[0] + b"\n")
            for index in sorted(records):
                fh.write(json.dumps(records[index], separators=(",", ":")).encode() + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(jpath, backup)
        os.replace(tmp, jpath)
        fsync_dir(jpath.parent)
        logger.warning(
            "repaired %s: kept %d records; the damaged journal is %s", jpath, len(records), backup
        )
        return len(records)
    finally:
        lock.release()
