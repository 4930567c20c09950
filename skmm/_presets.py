"""Keras-Hub presets from local directories only: the one place skmm opens them.

A preset is a directory written by Keras-Hub's ``save_to_preset`` (or
downloaded once by the user with their own tools): ``config.json``, the
weights, and for tokenizers ``tokenizer.json`` and an ``assets/`` folder.
skmm never resolves a remote handle (``kaggle://``, ``hf://``, a URL, a bare
preset name such as ``"bert_base_en"``): each is refused before Keras-Hub sees
it, with an error naming the parameter, so nothing is ever downloaded.

Keras-Hub (the ``pretrained`` extra) is imported only when a preset is opened.
"""

from __future__ import annotations

import os
from pathlib import Path

#: What a remote preset handle starts with.
_REMOTE = ("kaggle://", "hf://", "modelscope://", "http://", "https://", "gs://", "s3://")


def import_keras_hub(parameter):
    """Keras-Hub, or an ``ImportError`` saying which extra installs it."""
    try:
        import keras_hub
    except ImportError as error:
        raise ImportError(
            f"{parameter} names a Keras-Hub preset, which needs keras-hub and "
            "tensorflow-text: pip install 'skmm[pretrained]'."
        ) from error
    return keras_hub


def check_local_preset(preset, parameter, *, needs="config.json"):
    """The absolute path of the local preset directory ``preset``; a ``ValueError``
    naming ``parameter`` for a remote handle, a missing directory or one that is
    not a preset (no ``needs`` file in it)."""
    if not isinstance(preset, str | os.PathLike):
        raise ValueError(
            f"{parameter} must be the path of a local Keras-Hub preset directory; got "
            f"{type(preset).__name__} {preset!r}."
        )
    text = os.fspath(preset)
    if text.lower().startswith(_REMOTE):
        raise ValueError(
            f"{parameter}={text!r} is a remote handle; skmm never downloads. Download the "
            "preset once with your own tools (or convert a checkpoint with Keras-Hub) and "
            "give the path of its local directory (see docs/pretrained.md)."
        )
    path = Path(text).expanduser()
    if not path.is_dir():
        hint = (
            " It looks like a Keras-Hub preset name, which would be downloaded; skmm only "
            "reads local directories."
            if os.sep not in text and "/" not in text and not path.suffix
            else ""
        )
        raise ValueError(
            f"{parameter}={text!r} is not a directory.{hint} Give the path of a local "
            "preset directory (one with config.json, written by save_to_preset)."
        )
    if not (path / needs).is_file():
        raise ValueError(
            f"{parameter}={text!r} is not a Keras-Hub preset directory: it has no {needs}."
        )
    return str(path.resolve())


def _opened(load, path, preset, parameter, what):
    """``load(path)``, a failure of Keras-Hub's an error naming ``parameter``."""
    try:
        return load(path)
    except (ValueError, TypeError, OSError, KeyError) as error:
        raise ValueError(
            f"{parameter}={os.fspath(preset)!r}: Keras-Hub cannot load {what} from it: {error}"
        ) from error


def load_backbone(preset, parameter):
    """The backbone of the local preset ``preset``, with its weights."""
    path = check_local_preset(preset, parameter)
    keras_hub = import_keras_hub(parameter)
    return _opened(keras_hub.models.Backbone.from_preset, path, preset, parameter, "a backbone")


def load_tokenizer(preset, parameter):
    """The tokenizer of the local preset ``preset``."""
    path = check_local_preset(preset, parameter, needs="tokenizer.json")
    keras_hub = import_keras_hub(parameter)
    return _opened(
        keras_hub.tokenizers.Tokenizer.from_preset, path, preset, parameter, "a tokenizer"
    )


def load_image_converter(preset, parameter):
    """The image converter of the local preset ``preset``, or None when it has none."""
    path = check_local_preset(preset, parameter)
    if not (Path(path) / "image_converter.json").is_file():
        return None
    keras_hub = import_keras_hub(parameter)
    return _opened(
        keras_hub.layers.ImageConverter.from_preset, path, preset, parameter, "an image converter"
    )
