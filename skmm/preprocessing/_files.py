"""Opening path cells safely, and resolving image paths under a trusted root directory.

`open_regular_file` opens the file named by a path cell (image or audio)
only once it is known to be a non-empty regular file, so that a FIFO, a device
or a directory is refused without being read.

`check_root` and `resolve_under_root` are used by
[`skmm.preprocessing.ImageNormalizer`][skmm.preprocessing.ImageNormalizer] and
[`skmm.preprocessing.VideoFrames`][skmm.preprocessing.VideoFrames] when ``root`` is set:
every path
cell is resolved with `os.path.realpath` (so ``..`` components and
symbolic links are followed) and must end up inside the resolved root.
"""

from __future__ import annotations

import contextlib
import os
import stat

__all__ = ["check_root", "open_regular_file", "resolve_under_root"]


def _file_kind(mode):
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse_non_regular(mode, where, shown, noun, directory_hint):
    if directory_hint is not None and stat.S_ISDIR(mode):
        raise ValueError(f"{where}: path {shown} is a directory. {directory_hint}")
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"{where}: path {shown} is {_file_kind(mode)}, which is refused without being "
            f"read. Expected a regular {noun} file."
        )


@contextlib.contextmanager
def open_regular_file(path, where, noun, *, expected, directory_hint=None):
    """Open the regular, non-empty file ``path`` for binary reading.

    The path is ``os.stat``-ed first: anything that is not a regular file
    (directory, FIFO, character or block device, socket) is refused without
    being opened, because opening a FIFO blocks and a device such as
    ``/dev/zero`` never ends; so is an empty file. The file is then opened
    with ``O_NONBLOCK`` where the platform has it and checked again with
    ``os.fstat``, as the path may have been replaced between the two steps.

    Parameters
    ----------
    path : str or os.PathLike
        The path held by the cell.
    where : str
        Location of the cell, used as the start of every error message.
    noun : str
        What the file should hold ("image", "audio"), as in "image file".
    expected : str
        What an empty file should have held, ending the message about it
        ("an encoded image").
    directory_hint : str or None, default=None
        If given, a directory is refused with the short message "path ... is a
        directory." followed by this sentence; otherwise like any other file
        that is not regular.

    Yields
    ------
    fh : file object
        The file, opened in binary mode; closed on leaving the ``with`` block.

    Raises
    ------
    ValueError
        If the file does not exist, cannot be accessed or opened, is not a
        regular file or is empty.
    """
    path = os.fspath(path)
    shown = repr(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ValueError(
            f"{where}: {noun} file not found: {shown}. Expected the path of an existing "
            f"{noun} file."
        ) from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{where}: cannot access {noun} path {shown} ({exc}).") from exc
    _refuse_non_regular(st.st_mode, where, shown, noun, directory_hint)
    if st.st_size == 0:
        raise ValueError(f"{where}: {noun} file {shown} is empty (0 bytes). Expected {expected}.")
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ValueError(
            f"{where}: cannot open {noun} file {shown} ({exc.strerror or exc})."
        ) from exc
    try:
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        # The path may have been replaced between stat and open.
        _refuse_non_regular(os.fstat(fh.fileno()).st_mode, where, shown, noun, directory_hint)
        yield fh


def check_root(root, estimator="ImageNormalizer"):
    """Validate ``root`` and return it resolved (absolute, symlinks followed).

    Parameters
    ----------
    root : str or os.PathLike
        An existing directory.
    estimator : str, default="ImageNormalizer"
        The transformer whose parameter it is, the start of every message.

    Returns
    -------
    resolved : str
        ``os.path.realpath(root)``.

    Raises
    ------
    ValueError
        If ``root`` is not a path, does not exist or is not a directory.
    """
    if not isinstance(root, (str, os.PathLike)):
        raise ValueError(
            f"{estimator}: root must be the path of an existing directory (str or "
            f"pathlib.Path) or None; got a {type(root).__name__} ({root!r})."
        )
    path = os.fspath(root)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path:
        raise ValueError(
            f"{estimator}: root must be the path of an existing directory or None; got an "
            "empty string."
        )
    try:
        is_dir = os.path.isdir(path)
        exists = is_dir or os.path.exists(path)
    except ValueError as exc:  # e.g. an embedded NUL character
        raise ValueError(
            f"{estimator}: root must be the path of an existing directory; got {path!r} ({exc})."
        ) from None
    if not exists:
        raise ValueError(
            f"{estimator}: root must be an existing directory; {path!r} does not exist."
        )
    if not is_dir:
        raise ValueError(
            f"{estimator}: root must be an existing directory; {path!r} is not a directory."
        )
    return os.path.realpath(path)


def resolve_under_root(cell, root, shown_root, where, noun="image"):
    """Return the real path of the path cell ``cell``, checked to lie inside ``root``.

    Parameters
    ----------
    cell : str or os.PathLike
        The path held by the cell; a relative path is taken relative to ``root``.
    root : str
        The resolved root directory (see `check_root`).
    shown_root : str
        The root as the user gave it, for messages.
    where : str
        Location of the cell, used as the start of every error message.
    noun : str, default="image"
        What the file holds ("image", "video"), as in "image path".

    Raises
    ------
    ValueError
        If the resolved path is outside ``root``.
    """
    path = os.fspath(cell)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    try:
        resolved = os.path.realpath(os.path.join(root, path))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{where}: cannot resolve {noun} path {path!r} ({exc}).") from exc
    try:
        inside = os.path.normcase(os.path.commonpath([root, resolved])) == os.path.normcase(root)
    except ValueError:  # different drives
        inside = False
    if not inside:
        raise ValueError(
            f"{where}: {noun} path {path!r} resolves to {resolved!r}, which is outside root "
            f"{shown_root!r}. Expected a path inside root (relative paths are taken relative "
            "to root; '..' and symbolic links are followed)."
        )
    return resolved
