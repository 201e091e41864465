"""What a saved index must pass before anything reads it: checksums, then structure.

A saved index is some fifty files that ``CatalogIndex.load`` memory-maps, and compiled code
(marisa-trie, ``_nearby.c``) reads offsets from them. A damaged file (a bad disk block, a copy
cut short, a stray edit) must therefore be refused with ``IndexFormatError`` naming it, never
crash the interpreter, and never answer wrongly for longer than it takes to read the index once.
The checks come in two kinds, by what they cost:

1. **At load, a cost per file** (whatever the index's size): the manifest and its own digest,
   every listed file there with its listed size (catches truncation before reading anything),
   every array's header, element type and length against the others, and the first and last
   of every offset column. This is all the C kernels need: they check each range and id they
   read against these lengths (``_nearby.c``, ``_words.c``, ``_alignwords.c``).
2. **A cost per byte** (``Verification``): every file's xxh3-64 digest against the manifest's,
   and every array's values (offsets that never decrease, ids inside what they index). Load
   either runs them before it returns (``verify="full"``) or leaves them to a background
   thread (``verify="background"``); see ``Verification`` for what holds meanwhile.

xxh3 is a non-cryptographic hash: it detects damage, not a deliberate forgery. The value checks
do not rely on the checksums: they keep the query path from an index whose manifest was
rewritten to match its damage (a bug in a future builder, a hand-made directory).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import marisa_trie
import numpy as np
import numpy.typing as npt
import xxhash

MANIFEST_FILE = "manifest.json"
"""The file that marks a directory as a complete saved index; it is written last."""

CHECKSUM = "xxh3_64"
"""The manifest's digest of each file (and of itself); the name is stored with the digests."""

CHECKSUM_CHUNK_BYTES = 1 << 18
"""Files are hashed through a buffer of this size (it stays in the CPU cache), not mapped:
checking adds no resident pages."""

REBUILD_HINT = "rebuild it (autocomplete build CATALOG -o DIRECTORY)"
"""What a damaged-index message tells the reader to do."""


class IndexFormatError(ValueError):
    """A saved index directory is missing, incomplete, damaged or from another format version."""


# Checksums -------------------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    """The xxh3-64 digest of a file's bytes, as 16 hex digits."""
    digest = xxhash.xxh3_64()
    buffer = bytearray(CHECKSUM_CHUNK_BYTES)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


def _manifest_digest(manifest: Mapping[str, Any]) -> str:
    body = {name: value for name, value in manifest.items() if name != "manifest_digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return xxhash.xxh3_64_hexdigest(canonical.encode("ascii"))


def write_manifest(directory: Path, header: Mapping[str, Any]) -> None:
    """Write ``manifest.json``: ``header`` plus every file under ``directory`` with its size
    and digest, and the manifest's own digest. Call it once every other file is written."""
    files = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name != MANIFEST_FILE:
            name = path.relative_to(directory).as_posix()
            files[name] = {"bytes": path.stat().st_size, CHECKSUM: file_digest(path)}
    manifest = dict(header)
    manifest.update(checksum=CHECKSUM, files=files)
    manifest["manifest_digest"] = _manifest_digest(manifest)
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True))


def read_manifest(
    directory: Path, format_version: int, *, checksums: bool = True
) -> dict[str, Any]:
    """The manifest of a saved index, once it and every file it lists check out: there, of
    its listed size, and (unless ``checksums`` is false) with its listed digest."""
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise IndexFormatError(f"{directory}: not a saved index (no {MANIFEST_FILE})")
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise IndexFormatError(f"{path}: unreadable manifest ({error}); {REBUILD_HINT}") from None
    if not isinstance(manifest, dict):
        raise IndexFormatError(f"{path}: not an index manifest; {REBUILD_HINT}")
    if manifest.get("format_version") != format_version:
        raise IndexFormatError(
            f"{directory}: index format {manifest.get('format_version')!r}, "
            f"this version reads {format_version}; {REBUILD_HINT}"
        )
    if manifest.get("manifest_digest") != _manifest_digest(manifest):
        raise IndexFormatError(f"{path}: damaged (its checksum does not match); {REBUILD_HINT}")
    files = manifest.get("files")
    if manifest.get("checksum") != CHECKSUM or not isinstance(files, dict):
        raise IndexFormatError(f"{path}: no {CHECKSUM} file checksums; {REBUILD_HINT}")
    if not isinstance(manifest.get("info", {}), dict):
        raise IndexFormatError(f"{path}: its info is not a mapping; {REBUILD_HINT}")
    listed = listed_files(directory, manifest)
    if checksums:
        for file, expected in listed:
            check_digest(file, expected)
    return manifest


def listed_files(directory: Path, manifest: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Every file a manifest from ``read_manifest`` lists, with its digest, once each is
    found there with its listed size (a stat each: nothing is read)."""
    listed: list[tuple[Path, str]] = []
    files: Mapping[str, Any] = manifest["files"]
    for name, facts in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not isinstance(facts, dict):
            raise IndexFormatError(f"{directory / MANIFEST_FILE}: bad file entry {name!r}")
        path = directory.joinpath(*relative.parts)
        try:
            size = os.stat(path).st_size
        except OSError:
            raise IndexFormatError(
                f"{path}: missing from the saved index; {REBUILD_HINT}"
            ) from None
        if size != facts.get("bytes"):
            raise IndexFormatError(
                f"{path}: {size} bytes, the manifest says {facts.get('bytes')} "
                f"(cut short or overwritten); {REBUILD_HINT}"
            )
        listed.append((path, str(facts.get(CHECKSUM))))
    return listed


def check_digest(path: Path, expected: str) -> None:
    """``path`` has the xxh3-64 digest ``expected``; ``IndexFormatError`` naming it if not."""
    try:
        found = file_digest(path)
    except OSError as error:
        raise IndexFormatError(f"{path}: unreadable ({error}); {REBUILD_HINT}") from None
    if found != expected:
        raise IndexFormatError(
            f"{path}: damaged (its {CHECKSUM} checksum does not match); {REBUILD_HINT}"
        )


def files_fingerprint(directory: Path, names: tuple[str, ...]) -> str:
    """A digest of the checksums the saved index's manifest gives the files ``names`` (a name
    ending in "/" stands for every file in that folder): what a table saved beside the index
    records of the files it was computed from, to tell whether it still answers for them."""
    folders = tuple(name for name in names if name.endswith("/"))
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_bytes())
        chosen = {
            name: str(facts[CHECKSUM])
            for name, facts in manifest["files"].items()
            if name in names or name.startswith(folders)
        }
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IndexFormatError(f"{directory}: no readable index manifest ({error})") from None
    canonical = json.dumps(chosen, sort_keys=True, separators=(",", ":"))
    return xxhash.xxh3_64_hexdigest(canonical.encode("utf-8"))


@functools.cache
def code_digest(sources: tuple[str, ...]) -> str:
    """xxh3 of the source files ``sources`` (paths relative to the package; those missing from
    an install are skipped), read once: what a table saved beside an index records of the code
    that computed it, so that changed code never reads a stale table."""
    package = Path(__file__).resolve().parents[1]
    digest = xxhash.xxh3_64()
    for name in sources:
        path = package / name
        if path.is_file():
            digest.update(name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def replace_folder(home: Path, name: str, write: Callable[[Path], None]) -> Path:
    """Make ``home / name`` a folder that ``write`` fills, replacing any folder there.

    Written beside its place and renamed into it, so a reader sees the old folder or the new
    one, never half of one. For tables saved beside an index, which another process may be
    writing too: the same table, so whichever rename comes second is dropped."""
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=home))
    try:
        write(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    target = home / name
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{name}.old.", dir=home))
        with contextlib.suppress(OSError):  # another process retired it first
            target.rename(retired / name)
        shutil.rmtree(retired, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# Opening files ---------------------------------------------------------------------------------


def load_array(path: Path) -> npt.NDArray[Any]:
    """Memory-map a ``.npy`` file, or say which file could not be read."""
    try:
        mapped: npt.NDArray[Any] = np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError:
        raise
    except Exception as error:
        # A damaged header fails in many ways (ValueError, SyntaxError, tokenize's TokenError):
        # all of them mean the same here.
        raise IndexFormatError(f"{path}: not a readable array ({error!r})") from None
    return mapped


def load_trie(path: Path) -> marisa_trie.Trie:
    """Memory-map a marisa trie, or say which file could not be read."""
    try:
        return marisa_trie.Trie().mmap(str(path))
    except RuntimeError as error:
        # marisa reports a missing or malformed file as a bare RuntimeError.
        raise IndexFormatError(f"{path}: not a readable trie ({error})") from None


# Structure -------------------------------------------------------------------------------------


def check_array(
    array: npt.NDArray[Any],
    file: str,
    dtype: type[np.generic],
    length: int | None = None,
    *,
    dimensions: int = 1,
) -> None:
    """``array`` has ``dimensions`` axes, elements of ``dtype`` and ``length`` rows."""
    if array.ndim != dimensions:
        raise IndexFormatError(f"{file}: {array.ndim} dimensions, expected {dimensions}")
    if array.dtype != np.dtype(dtype):
        raise IndexFormatError(f"{file}: holds {array.dtype}, expected {np.dtype(dtype)}")
    if length is not None and len(array) != length:
        raise IndexFormatError(f"{file}: {len(array)} rows, expected {length}")


def check_within(array: npt.NDArray[Any], file: str, low: int, high: int) -> None:
    """Every value of ``array`` lies in ``[low, high)``."""
    if not array.size:
        return
    if low == 0 and array.dtype.kind in "iu":
        # Read as unsigned, a negative value is larger than any ``high``: one pass, not two.
        within = int(array.view(array.dtype.str.replace("i", "u")).max()) < high
    else:
        within = int(array.min()) >= low and int(array.max()) < high
    if not within:
        raise IndexFormatError(
            f"{file}: values {int(array.min())}..{int(array.max())} outside {low}..{high - 1}"
        )


def check_offsets(array: npt.NDArray[Any], file: str, count: int, end: int) -> None:
    """``array`` splits ``end`` items into ``count`` runs: ``count + 1`` offsets from 0 to
    ``end`` that never decrease."""
    check_offset_ends(array, file, count, end)
    check_rising(array, file)


def check_offset_ends(array: npt.NDArray[Any], file: str, count: int, end: int) -> None:
    """``check_offsets`` but for the order in between: ``count + 1`` offsets, the first 0 and
    the last ``end`` (a cost per file, not per offset)."""
    if len(array) != count + 1:
        raise IndexFormatError(f"{file}: {len(array)} offsets, expected {count + 1}")
    if int(array[0]) != 0 or int(array[-1]) != end:
        raise IndexFormatError(
            f"{file}: offsets run {int(array[0])}..{int(array[-1])}, expected 0..{end}"
        )


def check_rising(array: npt.NDArray[Any], file: str) -> None:
    """The offsets in ``array`` never decrease."""
    if len(array) > 1 and bool(np.any(array[1:] < array[:-1])):
        raise IndexFormatError(f"{file}: offsets decrease")


def check_ranges(
    first: npt.NDArray[Any], end: npt.NDArray[Any], files: tuple[str, str], limit: int
) -> None:
    """Each ``[first[i], end[i])`` is a range inside ``[0, limit]``."""
    check_within(first, files[0], 0, limit + 1)
    check_within(end, files[1], 0, limit + 1)
    if bool(np.any(first > end)):
        raise IndexFormatError(f"{files[0]}, {files[1]}: a range ends before it starts")


def check_string_ends(offsets: npt.NDArray[Any], blob_size: int, name: str, count: int) -> None:
    """A string column: ``count`` strings over a blob of ``blob_size``, by the offsets' type,
    length and ends (``check_rising`` checks the rest)."""
    check_array(offsets, f"{name}.offsets.npy", np.int64)
    check_offset_ends(offsets, f"{name}.offsets.npy", count, blob_size)


# Verifying every byte ---------------------------------------------------------------------------

VerifyMode = Literal["full", "background"]
"""How a load runs the checks that read every byte: before it returns, or in a thread."""

Check = Callable[[], None]
"""One check: returns when it passes, raises ``IndexFormatError`` naming the file if not."""


class Verification:
    """The checks of one loaded index that cost a read of every byte, run once.

    ``before_use`` are the checks no query may run without: the checksums of the marisa tries,
    whose compiled reader trusts its file and whose inside no Python check can see (a damaged
    trie can crash it). ``rest`` are every other file's checksum and the arrays' value checks.
    ``run`` runs them all before returning (``verify="full"``); ``start`` runs them in a daemon
    thread (``verify="background"``), the tries first; they run once, and whatever waits for
    them starts them if nobody has. Meanwhile:

    * ``serving`` is True once ``before_use`` passed, and until a check fails: the engine reads
      it on every query, and calls ``require_usable`` when it is False, which waits for
      ``before_use`` (the tries: a few percent of an index's bytes) and raises the damage found,
      if any. A query during the rest of the checks may read a damaged array: the C kernels
      check every range they read, so it raises or answers wrongly, never crashes, and the
      engine then refuses to answer once the check of that file fails (``damage``).
    * ``wait`` waits for every check and raises the damage found.
    """

    def __init__(self, label: str, before_use: Sequence[Check], rest: Sequence[Check]) -> None:
        self._label = label  # the index directory, for messages
        self._before_use = tuple(before_use)
        self._rest = tuple(rest)
        self._usable = threading.Event()
        self._finished = threading.Event()
        self._started = threading.Lock()  # held once the checks have begun
        self._error: IndexFormatError | None = None
        self.serving = False

    @classmethod
    def passed(cls) -> Verification:
        """The verification of an index with nothing to check (built in this process)."""
        verification = cls("", (), ())
        verification.run()
        return verification

    def run(self) -> None:
        """Every check, in this thread (unless they have begun elsewhere: then they are waited
        for); raises the first that fails."""
        if self._started.acquire(blocking=False):
            self._run()
        self._finished.wait()
        self._raise_damage()

    def start(self) -> None:
        """Every check, in a daemon thread of its own (once: later calls do nothing)."""
        if self._started.acquire(blocking=False):
            name = f"verify {self._label}"
            threading.Thread(target=self._run, name=name, daemon=True).start()

    def require_usable(self) -> None:
        """Return once queries may read the index (starting the checks if nobody has); raise
        the damage found so far."""
        self.start()
        self._usable.wait()
        self._raise_damage()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether every check passed, waiting up to ``timeout`` seconds for them (False if
        they are still running then; they are started if nobody has); raises
        ``IndexFormatError`` if one failed."""
        self.start()
        finished = self._finished.wait(timeout)
        self._raise_damage()
        return finished

    def damage(self) -> IndexFormatError | None:
        """The damage every check finds, once they have all run (None if they pass): what a
        query that failed on this index is explained by, if anything."""
        self.start()
        self._finished.wait()
        return None if self._error is None else IndexFormatError(str(self._error))

    def _raise_damage(self) -> None:
        if self._error is not None:
            raise IndexFormatError(str(self._error)) from None

    def _run(self) -> None:
        try:
            for check in self._before_use:
                check()
            self.serving = True
            self._usable.set()
            for check in self._rest:
                check()
        except IndexFormatError as error:
            self._fail(error)
        except Exception as error:  # a check that cannot finish must not read as a pass
            self._fail(IndexFormatError(f"{self._label}: not verified ({error!r}); {REBUILD_HINT}"))
        finally:
            self._usable.set()
            self._finished.set()

    def _fail(self, error: IndexFormatError) -> None:
        self._error = error
        self.serving = False
