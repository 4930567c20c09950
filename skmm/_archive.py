"""The skmm file: a zip archive of a manifest and members, written atomically and
read back with every member checked against the manifest (sizes, sha256, names)
before anything in it is used. What the members hold is `skmm._persistence`'s
business."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import zipfile
import zlib

#: Name of the format, stored in the manifest.
FORMAT = "skmm.estimator"
#: Version of the layout written by [`save`][skmm._persistence.save];
#: [`load`][skmm._persistence.load] reads up to this one.
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
ESTIMATOR_MEMBER = "estimator.skops"
NETWORK_MEMBER = re.compile(r"networks/(0|[1-9][0-9]{0,5})\.keras")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_MANIFEST_BYTES = 1 << 20


class PersistenceError(ValueError):
    """A file [`load`][skmm._persistence.load] refuses: not written by
    [`save`][skmm._persistence.save], damaged, changed
    after saving, from a newer format, or holding something that is not trusted.

    The message names the file and what is wrong. Nothing from a refused file
    has been run.
    """


def skmm_version():
    from . import __version__

    return __version__


def write_atomically(path, manifest, members):
    """Write the archive to a temporary file beside ``path``, sync it, rename it."""
    directory, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(temporary, flags, 0o666)  # the mode the umask allows
    except OSError as exc:
        raise _save_error(path, exc) from exc
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_archive(file, manifest, members)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise _save_error(path, exc) from exc
        raise
    _sync_directory(directory)


def _write_archive(file, manifest, members):
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        for name, data in members.items():
            archive.writestr(name, data)


def _sync_directory(directory):
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _save_error(path, exc):
    reason = exc.strerror or str(exc) or type(exc).__name__
    message = (
        f"skmm.save could not write {path!r}: {reason}. Nothing was written there; a file "
        "already at that path is unchanged."
    )
    return OSError(exc.errno, message) if exc.errno is not None else OSError(message)


def read_archive(path):
    """The manifest and every member's bytes, each checked against the manifest."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise PersistenceError(
            f"{path}: not a file written by skmm.save: it is not a zip archive, or it is "
            f"truncated ({exc})."
        ) from exc
    with archive:
        names = archive.namelist()
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise PersistenceError(f"{path}: the archive holds {duplicates} more than once.")
        if MANIFEST not in names:
            raise PersistenceError(
                f"{path}: not a file written by skmm.save: it has no {MANIFEST}."
            )
        manifest = _parse_manifest(path, _read_member(path, archive, MANIFEST, None))
        declared = manifest["members"]
        missing = sorted(set(declared) - set(names))
        if missing:
            raise PersistenceError(
                f"{path}: the file is truncated or was changed: member(s) {missing} listed "
                f"in {MANIFEST} are missing."
            )
        unexpected = sorted(set(names) - set(declared) - {MANIFEST})
        if unexpected:
            raise PersistenceError(
                f"{path}: the file was changed: member(s) {unexpected} are not listed in "
                f"{MANIFEST}."
            )
        members = {}
        for name, entry in declared.items():
            data = _read_member(path, archive, name, entry["size"])
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise PersistenceError(
                    f"{path}: the file was changed or damaged: the sha256 of member {name!r} "
                    f"does not match {MANIFEST}."
                )
            members[name] = data
    return manifest, members


def _read_member(path, archive, name, size):
    """A member's bytes; ``size`` is the size the manifest declares (None: the manifest)."""
    info = archive.getinfo(name)
    limit = _MAX_MANIFEST_BYTES if size is None else size
    if info.file_size > limit or (size is not None and info.file_size != size):
        raise PersistenceError(
            f"{path}: the file was changed or damaged: member {name!r} has "
            f"{info.file_size} bytes, expected "
            f"{'at most ' if size is None else ''}{limit}."
        )
    try:
        with archive.open(info) as file:
            data = file.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise PersistenceError(f"{path}: member {name!r} is damaged or truncated ({exc}).") from exc
    if size is not None and len(data) != size:
        raise PersistenceError(
            f"{path}: member {name!r} is damaged or truncated: {len(data)} bytes, expected {size}."
        )
    return data


def _parse_manifest(path, data):
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PersistenceError(f"{path}: {MANIFEST} is not valid JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise PersistenceError(
            f"{path}: not a file written by skmm.save: {MANIFEST} gives format {found!r}, "
            f"expected {FORMAT!r}."
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PersistenceError(f"{path}: {MANIFEST} has an invalid format_version {version!r}.")
    if version > FORMAT_VERSION:
        saved_with = (manifest.get("versions") or {}).get("skmm", "an unknown version")
        raise PersistenceError(
            f"{path} was written in skmm file format version {version} (by skmm "
            f"{saved_with}); this skmm ({skmm_version()}) reads format versions up to "
            f"{FORMAT_VERSION}. Upgrade skmm to load it."
        )
    members = manifest.get("members")
    if not isinstance(members, dict) or ESTIMATOR_MEMBER not in members:
        raise PersistenceError(f"{path}: {MANIFEST} does not list {ESTIMATOR_MEMBER!r}.")
    for name, entry in members.items():
        valid_name = name == ESTIMATOR_MEMBER or NETWORK_MEMBER.fullmatch(name)
        valid_entry = (
            isinstance(entry, dict)
            and isinstance(entry.get("size"), int)
            and not isinstance(entry.get("size"), bool)
            and entry["size"] >= 0
            and isinstance(entry.get("sha256"), str)
            and _SHA256.fullmatch(entry["sha256"])
        )
        if not (valid_name and valid_entry):
            raise PersistenceError(f"{path}: {MANIFEST} has an invalid member entry {name!r}.")
    if not isinstance(manifest.get("versions"), dict):
        raise PersistenceError(f"{path}: {MANIFEST} does not record the library versions.")
    return manifest
