"""What a saved index must pass before anything reads it: checksums, then structure.

A saved index is some fifty files that ``CatalogIndex.load`` memory-maps, and compiled code
(marisa-trie, ``_nearby.c``) reads offsets from them without checking. A damaged file (a bad
disk block, a copy cut short, a stray edit) must therefore be refused at load with
``IndexFormatError`` naming it, never answer wrongly or crash the interpreter later. Two checks:

1. **Checksums.** The manifest lists every file with its size and xxh3-64 digest, and carries a
   digest of itself. Load compares each size (catches truncation before reading anything),
   then each digest: any changed byte is refused. xxh3 is a non-cryptographic hash: it detects
   damage, not a deliberate forgery. Checking reads every file once (its cost at load is in
   ``docs/performance.md``).
2. **Structure.** Every array has the type and length the others imply, and every offset lies
   inside what it points into, checked with NumPy before any compiled code sees the arrays.
   The checksums already refuse damage; this keeps the compiled code safe from an index whose
   manifest was rewritten to match it (a bug in a future builder, a hand-made directory).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

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


def read_manifest(directory: Path, format_version: int) -> dict[str, Any]:
    """The manifest of a saved index, once it and every file it lists check out."""
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
    _verify_files(directory, files)
    return manifest


def _verify_files(directory: Path, files: Mapping[str, Any]) -> None:
    """Every listed file is there, of its size, with its digest: sizes first (cheap)."""
    listed: list[tuple[Path, int, str]] = []
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
        listed.append((path, size, str(facts.get(CHECKSUM))))
    for path, _, expected in listed:
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
    if len(array) != count + 1:
        raise IndexFormatError(f"{file}: {len(array)} offsets, expected {count + 1}")
    if int(array[0]) != 0 or int(array[-1]) != end:
        raise IndexFormatError(
            f"{file}: offsets run {int(array[0])}..{int(array[-1])}, expected 0..{end}"
        )
    if count and bool(np.any(array[1:] < array[:-1])):
        raise IndexFormatError(f"{file}: offsets decrease")


def check_ranges(
    first: npt.NDArray[Any], end: npt.NDArray[Any], files: tuple[str, str], limit: int
) -> None:
    """Each ``[first[i], end[i])`` is a range inside ``[0, limit]``."""
    check_within(first, files[0], 0, limit + 1)
    check_within(end, files[1], 0, limit + 1)
    if bool(np.any(first > end)):
        raise IndexFormatError(f"{files[0]}, {files[1]}: a range ends before it starts")


def check_strings(offsets: npt.NDArray[Any], blob_size: int, name: str, count: int) -> None:
    """A string column: ``count`` strings whose offsets stay inside a blob of ``blob_size``."""
    check_array(offsets, f"{name}.offsets.npy", np.int64)
    check_offsets(offsets, f"{name}.offsets.npy", count, blob_size)
