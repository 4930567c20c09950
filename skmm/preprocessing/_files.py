"""Resolving image file paths under a trusted root directory.

Used by :class:`skmm.preprocessing.ImageNormalizer` when ``root`` is set: every
path cell is resolved with :func:`os.path.realpath` (so ``..`` components and
symbolic links are followed) and must end up inside the resolved root.
"""

from __future__ import annotations

import os

__all__ = ["check_root", "resolve_under_root"]


def check_root(root):
    """Validate ``root`` and return it resolved (absolute, symlinks followed).

    Parameters
    ----------
    root : str or os.PathLike
        An existing directory.

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
            "ImageNormalizer: root must be the path of an existing directory (str or "
            f"pathlib.Path) or None; got a {type(root).__name__} ({root!r})."
        )
    path = os.fspath(root)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path:
        raise ValueError(
            "ImageNormalizer: root must be the path of an existing directory or None; got an "
            "empty string."
        )
    try:
        is_dir = os.path.isdir(path)
        exists = is_dir or os.path.exists(path)
    except ValueError as exc:  # e.g. an embedded NUL character
        raise ValueError(
            f"ImageNormalizer: root must be the path of an existing directory; got {path!r} "
            f"({exc})."
        ) from None
    if not exists:
        raise ValueError(
            f"ImageNormalizer: root must be an existing directory; {path!r} does not exist."
        )
    if not is_dir:
        raise ValueError(
            f"ImageNormalizer: root must be an existing directory; {path!r} is not a directory."
        )
    return os.path.realpath(path)


def resolve_under_root(cell, root, shown_root, where):
    """Return the real path of the path cell ``cell``, checked to lie inside ``root``.

    Parameters
    ----------
    cell : str or os.PathLike
        The path held by the cell; a relative path is taken relative to ``root``.
    root : str
        The resolved root directory (see :func:`check_root`).
    shown_root : str
        The root as the user gave it, for messages.
    where : str
        Location of the cell, used as the start of every error message.

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
        raise ValueError(f"{where}: cannot resolve image path {path!r} ({exc}).") from exc
    try:
        inside = os.path.normcase(os.path.commonpath([root, resolved])) == os.path.normcase(root)
    except ValueError:  # different drives
        inside = False
    if not inside:
        raise ValueError(
            f"{where}: image path {path!r} resolves to {resolved!r}, which is outside root "
            f"{shown_root!r}. Expected a path inside root (relative paths are taken relative "
            "to root; '..' and symbolic links are followed)."
        )
    return resolved
