"""The built-in block kinds: text, pretrained text, image, video, audio, graph and tabular.

Each encoder imports ``skmm.network`` (and so Keras) when a network is built,
never when this module is imported.
"""

from __future__ import annotations

import numpy as np

from ._registry import Modality, register_modality


def _network():
    from .. import network

    return network


def _text_encoder(inputs, spec, **settings):
    return _network().text_block_encoder(inputs, spec, **settings)


def _pretrained_text_encoder(inputs, spec, **settings):
    return _network().pretrained_text_block_encoder(inputs, spec, **settings)


def _check_pretrained_text_spec(spec):
    if len(spec.shape) != 2 or spec.shape[0] != 2 or not spec.detail("preset"):
        raise ValueError(
            f"Block {spec.name!r}: a pretrained text block holds rows of (2, sequence_length) "
            f"(token ids, padding mask) and names its preset; got shape {tuple(spec.shape)}, "
            f"preset={spec.detail('preset')!r}."
        )
    if spec.vocabulary_size is None or spec.vocabulary_size < 2:
        raise ValueError(
            f"Block {spec.name!r}: a pretrained text block needs vocabulary_size >= 2, "
            f"got {spec.vocabulary_size!r}."
        )


def _bad_token_rows(array, spec):
    ids, mask = array[:, 0], array[:, 1]
    bad = ((ids < 0) | (ids >= spec.vocabulary_size)).any(axis=1)
    bad |= ((mask != 0) & (mask != 1)).any(axis=1)
    return bad, f"token ids outside [0, {spec.vocabulary_size}) or a mask not 0/1"


def _example_token_rows(rng, shape, spec):
    """Token ids with their masks, shorter and shorter; the last row a missing text."""
    n_rows, length = shape[0], shape[2]
    rows = np.zeros(shape, dtype=np.int32)
    for row in range(n_rows - 1):
        used = max(2, length * (n_rows - row) // n_rows)
        rows[row, 0, :used] = rng.integers(1, spec.vocabulary_size, size=used)
        rows[row, 1, :used] = 1
    return rows


def _image_encoder(inputs, spec, **settings):
    return _network().image_block_encoder(inputs, spec, **settings)


def _video_encoder(inputs, spec, **settings):
    return _network().video_block_encoder(inputs, spec, **settings)


def _audio_encoder(inputs, spec, **settings):
    return _network().audio_block_encoder(inputs, spec, **settings)


def _graph_encoder(inputs, spec, **settings):
    return _network().graph_block_encoder(inputs, spec, **settings)


def _check_graph_spec(spec):
    n_neighbors = spec.detail("n_neighbors")
    n_embeddings = spec.detail("n_embeddings")
    if not n_neighbors or not n_embeddings or len(spec.shape) != 3:
        raise ValueError(
            f"Block {spec.name!r}: a graph block needs n_neighbors and n_embeddings from its "
            f"transformer and rows of (n_roots, n_slots, channels); got shape "
            f"{tuple(spec.shape)}, n_neighbors={n_neighbors!r}, n_embeddings={n_embeddings!r}."
        )
    if spec.shape[0] not in (1, 2):
        raise ValueError(
            f"Block {spec.name!r}: a graph block has one or two root nodes per row; got "
            f"{spec.shape[0]}."
        )


def _embedding_indices_out_of_range(array, spec):
    indices = array[..., 0].reshape(len(array), -1)
    n_embeddings = spec.detail("n_embeddings")
    bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
    bad |= ((indices < 0) | (indices >= n_embeddings) | (indices != np.round(indices))).any(axis=1)
    return bad, f"node embedding indices outside [0, {n_embeddings}) or non-finite values"


def _example_neighborhoods(rng, shape, spec):
    """Random node indices with more and more empty slots; the last row's node missing."""
    n_embeddings = spec.detail("n_embeddings")
    rows = np.zeros(shape, dtype=np.float32)
    rows[..., 0] = rng.integers(1, n_embeddings, size=shape[:-1])
    rows[..., 1:] = rng.standard_normal((*shape[:-1], shape[-1] - 1))
    n_slots = shape[2]
    for row in range(1, shape[0]):
        rows[row, :, max(1, n_slots * (shape[0] - row) // shape[0]) :] = 0.0
    rows[-1] = 0.0
    return rows


def _tabular_encoder(inputs, spec, **settings):
    return _network().tabular_block_encoder(inputs, spec, **settings)


def _check_text_spec(spec):
    if spec.vocabulary_size is None or spec.vocabulary_size < 2:
        raise ValueError(
            f"Block {spec.name!r}: a text block needs vocabulary_size >= 2, "
            f"got {spec.vocabulary_size!r}."
        )


def _check_video_spec(spec):
    if len(spec.shape) != 4 or min(spec.shape) < 1:
        raise ValueError(
            f"Block {spec.name!r}: a video block's rows are (n_frames, height, width, "
            f"channels); got shape {tuple(spec.shape)}."
        )


def _token_ids_out_of_range(array, spec):
    bad = ((array < 0) | (array >= spec.vocabulary_size)).any(axis=1)
    return bad, f"token ids outside [0, {spec.vocabulary_size})"


def _example_token_ids(rng, shape, spec):
    """Token ids with more and more padding (at the end, as TextTokenizer writes it);
    the last row is all padding (a missing text)."""
    n_rows, length = shape[0], shape[1]
    ids = rng.integers(1, spec.vocabulary_size, size=shape)
    for row in range(1, n_rows):
        ids[row, max(1, length * (n_rows - row) // n_rows) :] = 0
    ids[-1] = 0
    return ids.astype(np.int32)


def _example_pixels(rng, shape, spec):
    return rng.random(shape).astype(np.float32)


def _spec(name, kind, array, **fields):
    from ..compose import BlockSpec

    return BlockSpec(name, kind, tuple(int(d) for d in array.shape[1:]) or (1,), **fields)


def _text_from_array(name, array):
    if array.ndim == 2 and array.dtype.kind in "iu":
        vocabulary_size = max(int(array.max(initial=0)) + 1, 2)
        return _spec(name, "text", array, dtype="int32", vocabulary_size=vocabulary_size)
    return None


def _image_from_array(name, array):
    return _spec(name, "image", array, dtype="float32") if array.ndim == 4 else None


def _video_from_array(name, array):
    return _spec(name, "video", array, dtype="float32") if array.ndim == 5 else None


def _example_clips(rng, shape, spec):
    """Random frames, the second row's last frames zero (a short clip's padding) and the
    last row all zero (a missing clip)."""
    clips = rng.random(shape).astype(np.float32) + np.float32(0.01)
    if shape[0] > 1 and shape[1] > 1:
        clips[1, shape[1] // 2 :] = 0.0
    clips[-1] = 0.0
    return clips


def _tabular_from_array(name, array):
    return _spec(name, "tabular", array, dtype="float32") if array.ndim in (1, 2) else None


TEXT = register_modality(
    Modality(
        "text",
        dtype="int32",
        row_ndim=1,
        encoder=_text_encoder,
        encoder_settings=("embedding_dim", "text_units", "text_encoder"),
        encoder_choice="text_encoder",
        may_be_missing=True,
        info_keys=("vocabulary_size",),
        check_spec=_check_text_spec,
        invalid_rows=_token_ids_out_of_range,
        from_array=_text_from_array,
        example_rows=_example_token_ids,
        description="token ids (n, sequence_length), 0 the padding",
    )
)

PRETRAINED_TEXT = register_modality(
    Modality(
        "pretrained_text",
        dtype="int32",
        row_ndim=2,
        encoder=_pretrained_text_encoder,
        encoder_settings=("text_pooling",),
        may_be_missing=True,
        info_keys=("vocabulary_size", "preset"),
        check_spec=_check_pretrained_text_spec,
        invalid_rows=_bad_token_rows,
        example_rows=_example_token_rows,
        description="token ids and padding masks (n, 2, sequence_length) of a preset's tokenizer",
    )
)

IMAGE = register_modality(
    Modality(
        "image",
        dtype="float32",
        row_ndim=3,
        encoder=_image_encoder,
        encoder_settings=(
            "image_encoder",
            "image_filters",
            "image_width_multiplier",
            "image_weights",
        ),
        encoder_choice="image_encoder",
        may_be_missing=True,
        info_keys=("pixel_scaling",),
        from_array=_image_from_array,
        example_rows=_example_pixels,
        augmentable=True,
        description="images (n, height, width, channels)",
    )
)

VIDEO = register_modality(
    Modality(
        "video",
        dtype="float32",
        row_ndim=4,
        encoder=_video_encoder,
        encoder_settings=(
            "video_encoder",
            "video_frame_encoder",
            "video_filters",
            "video_units",
            "video_weights",
        ),
        encoder_choice="video_encoder",
        may_be_missing=True,
        check_spec=_check_video_spec,
        info_keys=("pixel_scaling",),
        from_array=_video_from_array,
        example_rows=_example_clips,
        description="clips (n, n_frames, height, width, channels), all-zero frames padding",
    )
)

AUDIO = register_modality(
    Modality(
        "audio",
        dtype="float32",
        row_ndim=2,
        encoder=_audio_encoder,
        encoder_settings=("audio_filters",),
        may_be_missing=True,
        description="spectrogram frames (n, n_frames, n_mels)",
    )
)

GRAPH = register_modality(
    Modality(
        "graph",
        dtype="float32",
        row_ndim=3,
        encoder=_graph_encoder,
        encoder_settings=("graph_encoder", "graph_units"),
        encoder_choice="graph_encoder",
        may_be_missing=True,
        info_keys=("n_embeddings", "n_neighbors"),
        check_spec=_check_graph_spec,
        invalid_rows=_embedding_indices_out_of_range,
        example_rows=_example_neighborhoods,
        description="graph neighbourhoods (n, n_roots, n_slots, 1 + n_node_features)",
    )
)

TABULAR = register_modality(
    Modality(
        "tabular",
        dtype="float32",
        row_ndim=1,
        encoder=_tabular_encoder,
        encoder_settings=("tabular_units",),
        checked_after_transform=True,
        from_array=_tabular_from_array,
        description="features (n, n_features)",
    )
)
