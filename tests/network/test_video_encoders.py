"""The encoders of video blocks: frame mask, frame encoders, temporal encoders."""

import keras
import numpy as np
import pytest

from skmm.compose import BlockSpec
from skmm.network import build_fused_network, video_encoder_names, video_frame_encoder_names
from skmm.network._video_encoders import FrameMask

SPEC = BlockSpec("clip", "video", (4, 8, 8, 1), "float32")


def _network(**settings):
    settings = {"video_filters": (4,), "video_units": 4, **settings}
    return build_fused_network([SPEC], n_outputs=1, output_activation="sigmoid", **settings)


def test_frame_mask_marks_all_zero_frames():
    frames = np.ones((2, 4, 8, 8, 1), np.float32)
    frames[0, 2:] = 0.0
    frames[1, :] = 0.0
    frames[1, 1, 3, 3, 0] = -0.5  # one non-zero pixel is a real frame
    mask = keras.ops.convert_to_numpy(FrameMask()(frames))
    np.testing.assert_array_equal(mask, [[1, 1, 0, 0], [0, 1, 0, 0]])


@pytest.mark.parametrize("video_encoder", video_encoder_names())
def test_padding_frames_do_not_change_the_encoding(video_encoder):
    """Padding frames (zero everywhere) after the real frames of a clip are masked out:
    the same 2 real frames followed by 2 or by 4 padding frames give the same output."""
    keras.utils.set_random_seed(0)
    model = _network(video_encoder=video_encoder)
    encoder = keras.Model(model.inputs, model.get_layer("clip_frame_mask").output)
    rng = np.random.default_rng(0)
    clips = rng.normal(size=(3, 4, 8, 8, 1)).astype(np.float32)
    clips[:, 2:] = 0.0
    out = model.predict(clips, verbose=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(encoder(clips))[:, 2:], 0)
    longer = BlockSpec("clip", "video", (6, 8, 8, 1), "float32")
    keras.utils.set_random_seed(0)
    model6 = build_fused_network(
        [longer], n_outputs=1, output_activation="sigmoid",
        video_filters=(4,), video_units=4, video_encoder=video_encoder,
    )  # fmt: skip
    if video_encoder == "attention":  # its position table has one row per frame
        return
    model6.set_weights(model.get_weights())
    padded = np.concatenate([clips, np.zeros((3, 2, 8, 8, 1), np.float32)], axis=1)
    np.testing.assert_allclose(model6.predict(padded, verbose=0), out, rtol=1e-5, atol=1e-6)


def test_every_image_encoder_is_a_frame_encoder():
    assert video_frame_encoder_names()[0] == "grid"
    assert {"cnn", "MobileNetV2"} <= set(video_frame_encoder_names())
    model = _network(video_frame_encoder="cnn")
    assert model.get_layer("clip_pools").output.shape == (None, 8)
    with pytest.raises(ValueError, match="Unknown video_frame_encoder 'vit'"):
        _network(video_frame_encoder="vit")


def test_per_frame_backbone_loads_a_local_weights_file(tmp_path):
    spec = BlockSpec("clip", "video", (2, 32, 32, 3), "float32")
    kwargs = dict(n_outputs=2, output_activation="softmax", video_frame_encoder="MobileNetV2")
    keras.utils.set_random_seed(0)
    first = build_fused_network([spec], **kwargs)
    path = str(tmp_path / "frames.weights.h5")
    first.get_layer("clip_backbone").save_weights(path)
    keras.utils.set_random_seed(1)
    second = build_fused_network([spec], video_weights=path, **kwargs)
    for a, b in zip(
        first.get_layer("clip_backbone").weights,
        second.get_layer("clip_backbone").weights,
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
