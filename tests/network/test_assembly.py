import keras
import numpy as np
import pytest

from skmm.compose import BlockSpec
from skmm.network import build_fused_network

SPECS = [
    BlockSpec("text", "text", (6,), "int32", vocabulary_size=20),
    BlockSpec("image", "image", (16, 16, 3), "float32"),
    BlockSpec("tabular", "tabular", (2,), "float32"),
]
SIZES = dict(
    embedding_dim=4, text_units=4, image_filters=(4, 8), tabular_units=(4,), hidden_units=(8,)
)


def test_one_named_input_per_block_and_output_shape():
    model = build_fused_network(SPECS, n_outputs=3, output_activation="softmax", **SIZES)
    assert [t.name for t in model.inputs] == ["text", "image", "tabular"]
    assert model.inputs[0].dtype == "int32"
    out = model(
        {
            "text": np.ones((5, 6), "int32"),
            "image": np.zeros((5, 16, 16, 3), "float32"),
            "tabular": np.zeros((5, 2), "float32"),
        }
    )
    assert tuple(out.shape) == (5, 3)
    np.testing.assert_allclose(np.asarray(out).sum(axis=1), 1.0, rtol=1e-5)


def test_encoders_follow_the_seed_design():
    model = build_fused_network(
        SPECS,
        n_outputs=1,
        output_activation="sigmoid",
        image_filters=(64, 128, 128),
        image_width_multiplier=0.5,
        text_encoder="lstm",
    )
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {
        "Embedding",
        "LSTM",
        "Conv2D",
        "MaxPooling2D",
        "GlobalAveragePooling2D",
        "Concatenate",
        "Dropout",
        "Dense",
    } <= kinds
    assert "Lambda" not in kinds and "Flatten" not in kinds
    filters = [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert filters == [32, 64, 64]
    assert model.get_layer("text_embedding").mask_zero


def test_l2_applies_to_every_kernel_and_scales_the_penalty():
    def penalty(l2):
        keras.utils.set_random_seed(0)
        model = build_fused_network(
            SPECS, n_outputs=1, output_activation="sigmoid", l2=l2, text_encoder="lstm", **SIZES
        )
        return model, float(sum(model.losses))

    model, small = penalty(1e-3)
    _, large = penalty(1e-1)
    # embedding, LSTM kernel + recurrent kernel, 2 convs, tabular dense, head dense, output
    assert len(model.losses) == 8
    assert large == pytest.approx(100 * small, rel=1e-4)
    no_penalty, _ = penalty(0.0)
    assert no_penalty.losses == []


def test_single_block_needs_no_fusion_layer():
    model = build_fused_network(SPECS[2:], n_outputs=1, output_activation="sigmoid", **SIZES)
    assert "fusion" not in [layer.name for layer in model.layers]


def test_unknown_kind_is_refused():
    class Odd:
        name, kind, shape, dtype = "x", "hologram", (3,), "float32"

    with pytest.raises(ValueError, match="Block 'x': Unknown block kind 'hologram'"):
        build_fused_network([Odd()], n_outputs=1, output_activation="sigmoid")


def test_presence_input_zeroes_a_missing_block():
    specs = [
        BlockSpec("image", "image", (8, 8, 1), "float32", presence=True),
        BlockSpec("tabular", "tabular", (2,), "float32"),
    ]
    model = build_fused_network(specs, n_outputs=1, output_activation="sigmoid", **SIZES)
    assert [t.name for t in model.inputs] == ["image", "image_present", "tabular"]
    rng = np.random.RandomState(0)
    tab = rng.rand(4, 2).astype("float32")
    absent = np.zeros((4, 1), "float32")

    def predict(images, present):
        return np.asarray(model({"image": images, "image_present": present, "tabular": tab}))

    # an absent block contributes nothing: its content does not change the output
    a = predict(rng.rand(4, 8, 8, 1).astype("float32"), absent)
    b = predict(rng.rand(4, 8, 8, 1).astype("float32"), absent)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    c = predict(rng.rand(4, 8, 8, 1).astype("float32"), np.ones((4, 1), "float32"))
    assert not np.allclose(a, c)


def test_modality_dropout_only_while_training():
    from skmm.network._layers import ModalityDropout

    layer = ModalityDropout(0.5, seed=0)
    ones = np.ones((1000, 1), "float32")
    np.testing.assert_array_equal(np.asarray(layer(ones, training=False)), ones)
    dropped = np.asarray(layer(ones, training=True))
    assert set(np.unique(dropped)) == {0.0, 1.0}
    assert 0.4 < dropped.mean() < 0.6
    again = ModalityDropout.from_config(layer.get_config())
    assert again.rate == 0.5


def test_audio_encoder_and_presence_suffix_agree_with_compose():
    from skmm.compose import PRESENCE_SUFFIX
    from skmm.network import _assembly

    assert _assembly.PRESENCE_SUFFIX == PRESENCE_SUFFIX
    spec = BlockSpec("speech", "audio", (20, 8), "float32", presence=True)
    model = build_fused_network(
        [spec],
        n_outputs=2,
        output_activation="softmax",
        audio_filters=(4, 8),
        hidden_units=(8,),
        modality_dropout=0.3,
    )
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"Conv1D", "MaxPooling1D", "GlobalAveragePooling1D", "ModalityDropout"} <= kinds
    out = model({"speech": np.zeros((3, 20, 8), "float32"), "speech_present": np.ones((3, 1))})
    assert tuple(out.shape) == (3, 2)
