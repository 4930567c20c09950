"""Fusion strategies, text and image encoders, per-block encoders and L2."""

import keras
import numpy as np
import pytest

from skmm.compose import BlockSpec
from skmm.network import FUSIONS, build_fused_network
from skmm.network._encoders import TEXT_ENCODERS

SPECS = [
    BlockSpec("text", "text", (6,), "int32", vocabulary_size=20, presence=True),
    BlockSpec("image", "image", (8, 8, 3), "float32", presence=True),
    BlockSpec("tabular", "tabular", (2,), "float32"),
]
TINY = dict(
    embedding_dim=4,
    text_units=4,
    image_filters=(4,),
    tabular_units=(4,),
    hidden_units=(4,),
    fusion_units=4,
)


def all_layers(model):
    """Every layer of ``model``, nested models' layers included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from all_layers(layer)


def make_inputs(n=6, seed=0, text_present=None, image_present=None):
    rng = np.random.RandomState(seed)
    text = rng.randint(1, 20, (n, 6)).astype("int32")
    text[:, 4:] = 0  # padding
    return {
        "text": text,
        "text_present": np.ones((n, 1), "float32") if text_present is None else text_present,
        "image": rng.rand(n, 8, 8, 3).astype("float32"),
        "image_present": np.ones((n, 1), "float32") if image_present is None else image_present,
        "tabular": rng.randn(n, 2).astype("float32"),
    }


def predict(model, inputs):
    return np.asarray(model(inputs, training=False))


# -- every fusion x every text encoder ----------------------------------------------------


@pytest.mark.parametrize("text_encoder", TEXT_ENCODERS)
@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_and_text_encoder_builds_and_round_trips(fusion, text_encoder, tmp_path):
    keras.utils.set_random_seed(0)
    model = build_fused_network(
        SPECS,
        n_outputs=3,
        output_activation="softmax",
        fusion=fusion,
        text_encoder=text_encoder,
        modality_dropout=0.2,
        **TINY,
    )
    assert [t.name for t in model.inputs] == [
        "text",
        "text_present",
        "image",
        "image_present",
        "tabular",
    ]
    assert "Lambda" not in {type(layer).__name__ for layer in all_layers(model)}
    inputs = make_inputs(
        text_present=np.array([[1], [0], [1], [0], [1], [1]], "float32"),
        image_present=np.array([[1], [1], [0], [0], [1], [0]], "float32"),
    )
    out = predict(model, inputs)
    assert out.shape == (6, 3)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)

    path = tmp_path / "model.keras"
    keras.saving.save_model(model, path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(predict(loaded, inputs), out, rtol=1e-5, atol=1e-6)


# -- learning -----------------------------------------------------------------------------


def learning_data(n=256, length=8, vocabulary_size=12, seed=0):
    """Half the rows carry the label in the text, the other half in the table.

    Text rows contain token 1 (label 1) or token 2 (label 0) among filler
    tokens, and a near-zero first tabular column; table rows have filler text
    only and the label in the sign of the first column (magnitude 0.5 to 1.5).
    Either block alone allows about 75% accuracy.
    """
    rng = np.random.RandomState(seed)
    y = rng.rand(n) < 0.5
    text_rows = np.arange(n) % 2 == 0
    text = np.zeros((n, length), "int32")
    for i in range(n):
        k = rng.randint(2, length + 1)
        text[i, :k] = rng.randint(3, vocabulary_size, k)
        if text_rows[i]:
            text[i, rng.randint(k)] = 1 if y[i] else 2
    sign = np.where(y, 1.0, -1.0)
    first = np.where(text_rows, rng.uniform(-0.1, 0.1, n), sign * rng.uniform(0.5, 1.5, n))
    tabular = np.stack([first, rng.randn(n)], axis=1).astype("float32")
    specs = [
        BlockSpec("text", "text", (length,), "int32", vocabulary_size, presence=True),
        BlockSpec("tabular", "tabular", (2,), "float32"),
    ]
    X = {"text": text, "text_present": np.ones((n, 1), "float32"), "tabular": tabular}
    return specs, X, y.astype("float32")


def train_accuracy(fusion, text_encoder, epochs=12):
    specs, X, y = learning_data()
    keras.utils.set_random_seed(0)
    model = build_fused_network(
        specs,
        n_outputs=1,
        output_activation="sigmoid",
        fusion=fusion,
        text_encoder=text_encoder,
        embedding_dim=8,
        text_units=8,
        tabular_units=(8,),
        hidden_units=(8,),
        fusion_units=8,
        dropout=0.0,
        l2=0.0,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"]
    )
    model.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    return model.evaluate(X, y, verbose=0)[1]


@pytest.mark.parametrize("fusion", FUSIONS)
def test_each_fusion_learns_from_text_and_tabular(fusion):
    # chance is 0.5 and either block alone gives about 0.75
    assert train_accuracy(fusion, "cnn") > 0.85


@pytest.mark.parametrize("text_encoder", [e for e in TEXT_ENCODERS if e != "cnn"])
def test_each_text_encoder_learns_from_text_and_tabular(text_encoder):
    # "cnn" is covered by the fusion tests
    assert train_accuracy("concat", text_encoder) > 0.85


# -- masks: padding and absent blocks -------------------------------------------------------


@pytest.mark.parametrize("text_encoder", TEXT_ENCODERS)
def test_padded_text_is_encoded_as_the_unpadded_text(text_encoder):
    def build(length):
        spec = BlockSpec("text", "text", (length,), "int32", vocabulary_size=20)
        return build_fused_network(
            [spec], n_outputs=2, output_activation="softmax", text_encoder=text_encoder, **TINY
        )

    keras.utils.set_random_seed(0)
    padded, unpadded = build(6), build(4)
    # the same weights (the position table of the shorter model is cut to 4 rows)
    unpadded.set_weights([w[:4] if w.shape[0] == 6 else w for w in padded.get_weights()])
    tokens = make_inputs()["text"]  # 4 tokens, then 2 padding positions
    expected = predict(unpadded, {"text": tokens[:, :4]})
    np.testing.assert_allclose(predict(padded, {"text": tokens}), expected, rtol=1e-5, atol=1e-6)
    # and whatever sits at the padded positions does not matter
    embedding = padded.get_layer("text_embedding")
    table = embedding.embeddings.numpy()
    table[0] = 10.0
    embedding.embeddings.assign(table)
    if text_encoder == "transformer":
        positions = padded.get_layer("text_position_embedding")
        rows = positions.embeddings.numpy()
        rows[4:] = -10.0
        positions.embeddings.assign(rows)
    np.testing.assert_allclose(predict(padded, {"text": tokens}), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_content_of_an_absent_block_does_not_change_the_output(fusion):
    keras.utils.set_random_seed(0)
    model = build_fused_network(
        SPECS,
        n_outputs=2,
        output_activation="softmax",
        fusion=fusion,
        text_encoder="transformer",
        **TINY,
    )
    text_present = np.array([[0], [0], [1], [1], [0], [1]], "float32")
    image_present = np.array([[1], [0], [0], [1], [1], [0]], "float32")
    a = make_inputs(seed=0, text_present=text_present, image_present=image_present)
    b = make_inputs(seed=1, text_present=text_present, image_present=image_present)
    # b keeps a's content for the present blocks, new content for the absent ones
    b["text"] = np.where(text_present == 1, a["text"], b["text"])
    b["image"] = np.where(image_present[:, :, None, None] == 1, a["image"], b["image"])
    b["tabular"] = a["tabular"]
    assert not np.array_equal(a["text"], b["text"]) and not np.array_equal(a["image"], b["image"])
    np.testing.assert_allclose(predict(model, b), predict(model, a), rtol=1e-5, atol=1e-6)
    # ... whereas the content of a present block does
    c = dict(b, image=make_inputs(seed=2)["image"])
    assert not np.allclose(
        predict(model, c)[image_present[:, 0] == 1], predict(model, a)[image_present[:, 0] == 1]
    )


def test_attention_fusion_masks_absent_blocks_out_of_the_attention():
    keras.utils.set_random_seed(0)
    model = build_fused_network(
        SPECS, n_outputs=2, output_activation="softmax", fusion="attention", **TINY
    )
    image_present = np.array([[1], [0], [1], [0], [1], [0]], "float32")
    inputs = make_inputs(image_present=image_present)
    probe = keras.Model(
        model.inputs,
        [
            model.get_layer("modality_tokens").output,
            model.get_layer("modality_mask").output,
            model.get_layer("fusion_attention").output,
        ],
    )
    tokens, mask, attended = (np.asarray(t) for t in probe(inputs))
    np.testing.assert_array_equal(mask, np.c_[np.ones(6), image_present[:, 0], np.ones(6)])
    attention = model.get_layer("fusion_attention")
    masked, scores = attention(tokens, tokens, value_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(attended, np.asarray(masked), rtol=1e-5, atol=1e-6)
    scores = np.asarray(scores)  # (batch, heads, query, key)
    assert (scores[image_present[:, 0] == 0][:, :, :, 1] == 0).all()
    assert (scores[image_present[:, 0] == 1][:, :, :, 1] > 0).all()
    unmasked = np.asarray(attention(tokens, tokens))
    assert not np.allclose(unmasked[image_present[:, 0] == 0], attended[image_present[:, 0] == 0])


def test_attention_fusion_without_presence_lets_all_blocks_attend():
    specs = [BlockSpec("image", "image", (8, 8, 3), "float32"), SPECS[2]]
    model = build_fused_network(
        specs, n_outputs=2, output_activation="softmax", fusion="attention", **TINY
    )
    names = {layer.name for layer in model.layers}
    assert "modality_mask" not in names and "fusion_attention" in names
    assert type(model.get_layer("fusion_pool")).__name__ == "GlobalAveragePooling1D"


@pytest.mark.parametrize("output_activation", [None, "softmax"])
def test_late_fusion_averages_the_outputs_of_the_present_blocks(output_activation):
    keras.utils.set_random_seed(0)
    model = build_fused_network(
        SPECS, n_outputs=2, output_activation=output_activation, fusion="late", **TINY
    )
    heads = [f"{name}_output" for name in ("text", "image", "tabular")]
    assert {"text_head_dense0", "image_head_dense0", "tabular_head_dense0"} <= {
        layer.name for layer in model.layers
    }
    text_present = np.array([[1], [0], [1], [0], [0], [1]], "float32")
    image_present = np.array([[1], [1], [0], [0], [1], [1]], "float32")
    inputs = make_inputs(text_present=text_present, image_present=image_present)
    probe = keras.Model(model.inputs, [model.get_layer(h).output for h in heads])
    per_block = np.stack([np.asarray(t) for t in probe(inputs)], axis=1)  # (n, 3, 2)
    weights = np.c_[text_present, image_present, np.ones(6)]
    expected = (per_block * weights[:, :, None]).sum(axis=1) / weights.sum(axis=1)[:, None]
    np.testing.assert_allclose(predict(model, inputs), expected, rtol=1e-5, atol=1e-6)
    if output_activation == "softmax":
        np.testing.assert_allclose(predict(model, inputs).sum(axis=1), 1.0, rtol=1e-5)


def test_late_fusion_with_every_block_absent_takes_the_plain_average():
    specs = SPECS[:2]
    model = build_fused_network(specs, n_outputs=1, output_activation=None, fusion="late", **TINY)
    inputs = make_inputs(text_present=np.zeros((6, 1)), image_present=np.zeros((6, 1)))
    del inputs["tabular"]
    probe = keras.Model(model.inputs, [model.get_layer(f"{s.name}_output").output for s in specs])
    expected = np.mean([np.asarray(t) for t in probe(inputs)], axis=0)
    np.testing.assert_allclose(predict(model, inputs), expected, rtol=1e-5, atol=1e-6)


def test_gated_fusion_sums_one_gated_projection_per_block():
    model = build_fused_network(
        SPECS, n_outputs=2, output_activation="softmax", fusion="gated", **TINY
    )
    for name in ("text", "image", "tabular"):
        assert model.get_layer(f"{name}_projection").units == 4
        gate = model.get_layer(f"{name}_gate")
        assert gate.units == 4 and gate.activation.__name__ == "sigmoid"
    assert type(model.get_layer("fusion_sum")).__name__ == "Add"
    # the fused vector: the summed gated projections and the two presence masks
    assert model.get_layer("fusion").output.shape[-1] == 4 + 2


# -- image backbones -----------------------------------------------------------------------


def test_mobilenetv2_backbone_builds_and_predicts():
    spec = BlockSpec("image", "image", (32, 32, 3), "float32", presence=True)
    model = build_fused_network(
        [spec, SPECS[2]],
        n_outputs=2,
        output_activation="softmax",
        image_encoder="MobileNetV2",
        hidden_units=(4,),
    )
    rescaling = model.get_layer("image_rescaling")
    assert (rescaling.scale, rescaling.offset) == (2.0, -1.0)  # [0, 1] -> [-1, 1]
    assert isinstance(model.get_layer("image_backbone"), keras.Model)
    assert "Lambda" not in {type(layer).__name__ for layer in all_layers(model)}
    rng = np.random.RandomState(0)
    out = predict(
        model,
        {
            "image": rng.rand(3, 32, 32, 3).astype("float32"),
            "image_present": np.ones((3, 1), "float32"),
            "tabular": rng.randn(3, 2).astype("float32"),
        },
    )
    assert out.shape == (3, 2)


def test_a_backbone_gets_back_the_pixels_of_standardized_images():
    from skmm import ImageNormalizer

    rng = np.random.RandomState(0)
    images = [rng.randint(0, 256, (32, 32, 3)).astype(np.uint8) for _ in range(4)]
    raw = ImageNormalizer(size=(32, 32), standardize=False).fit_transform(images)
    scaler = ImageNormalizer(size=(32, 32)).fit(images)  # standardize=True, the default
    info = scaler.get_block_info()
    np.testing.assert_allclose(info["pixel_scaling"][0], scaler.mean_)
    spec = BlockSpec("image", "image", (32, 32, 3), "float32", pixel_scaling=info["pixel_scaling"])
    model = build_fused_network(
        [spec], n_outputs=2, output_activation="softmax", image_encoder="MobileNetV2"
    )
    seen = keras.Model(model.inputs, model.get_layer("image_unstandardize").output)
    back = keras.ops.convert_to_numpy(seen(scaler.transform(images)))
    np.testing.assert_allclose(back, raw, atol=1e-5)  # [0, 1] again, before the rescaling


@pytest.mark.parametrize("shape", [(16, 16, 3), (32, 32, 1), (32, 32)])
def test_backbone_refuses_images_it_cannot_take(shape):
    spec = BlockSpec("image", "image", shape, "float32")
    with pytest.raises(ValueError, match=r"needs RGB images of at least 32x32x3"):
        build_fused_network(
            [spec], n_outputs=2, output_activation="softmax", image_encoder="MobileNetV2"
        )


def test_backbone_loads_a_local_weights_file(tmp_path):
    spec = BlockSpec("image", "image", (32, 32, 3), "float32")
    kwargs = dict(n_outputs=2, output_activation="softmax", image_encoder="MobileNetV2")
    keras.utils.set_random_seed(0)
    first = build_fused_network([spec], **kwargs)
    path = str(tmp_path / "backbone.weights.h5")
    first.get_layer("image_backbone").save_weights(path)
    keras.utils.set_random_seed(1)
    second = build_fused_network([spec], image_weights=path, **kwargs)
    for a, b in zip(
        first.get_layer("image_backbone").weights,
        second.get_layer("image_backbone").weights,
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_reverse_channels_turns_rgb_into_bgr():
    from skmm.network._layers import ReverseChannels

    x = np.arange(6, dtype="float32").reshape(1, 2, 3)
    np.testing.assert_array_equal(np.asarray(ReverseChannels()(x)), x[..., ::-1])


# -- choices, user encoders, per-block L2 --------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, choices",
    [
        (dict(fusion="sum"), "concat, gated, attention, late"),
        (dict(text_encoder="bert"), "lstm, gru, cnn, transformer"),
        (
            dict(image_encoder="ResNet9"),
            r"image_encoder 'ResNet9'; choose one of cnn, .*MobileNetV2",
        ),
        (dict(fusion="gated", fusion_units=0), "fusion_units must be a positive integer"),
        (dict(fusion="attention", fusion_heads=1.5), "fusion_heads must be a positive integer"),
    ],
)
def test_unknown_choices_are_refused_with_the_list_of_choices(kwargs, choices):
    with pytest.raises(ValueError, match=choices):
        build_fused_network(SPECS[2:], n_outputs=1, output_activation="sigmoid", **kwargs)


def image_features(x):
    """A module-level (so picklable) block encoder."""
    return keras.layers.GlobalAveragePooling2D(name="image_mean_colour")(x)


def test_block_encoders_replace_the_builtin_encoder(tmp_path):
    model = build_fused_network(
        SPECS,
        n_outputs=2,
        output_activation="softmax",
        block_encoders={
            "tabular": keras.layers.Dense(3, activation="tanh", name="my_tabular"),
            "image": image_features,
        },
        text_encoder="lstm",
        **TINY,
    )
    names = {layer.name for layer in model.layers}
    assert {"my_tabular", "image_mean_colour", "text_lstm"} <= names
    assert not names & {"tabular_dense0", "image_conv0"}
    inputs = make_inputs()
    out = predict(model, inputs)
    assert out.shape == (6, 2)
    path = tmp_path / "model.keras"
    keras.saving.save_model(model, path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(predict(loaded, inputs), out, rtol=1e-5, atol=1e-6)


def test_block_encoders_are_checked():
    kwargs = dict(n_outputs=1, output_activation="sigmoid", **TINY)
    with pytest.raises(ValueError, match="unknown blocks"):
        build_fused_network(SPECS, block_encoders={"video": keras.layers.Dense(2)}, **kwargs)
    with pytest.raises(ValueError, match=r"\(batch, features\)"):
        build_fused_network(SPECS, block_encoders={"image": keras.layers.Dense(2)}, **kwargs)
    with pytest.raises(ValueError, match="both block_l2 and block_encoders"):
        build_fused_network(
            SPECS,
            block_encoders={"tabular": keras.layers.Dense(2)},
            block_l2={"tabular": 0.1},
            **kwargs,
        )


@pytest.mark.parametrize("text_encoder", ["lstm", "transformer"])
def test_block_l2_scales_the_penalty_of_its_own_block_only(text_encoder):
    def penalties(strength):
        keras.utils.set_random_seed(0)
        model = build_fused_network(
            SPECS,
            n_outputs=1,
            output_activation="sigmoid",
            l2=1e-2,
            text_encoder=text_encoder,
            block_l2={"text": strength},
            **TINY,
        )
        own, other = 0.0, 0.0
        for layer in model.layers:
            penalty = float(sum(layer.losses))
            if layer.name.startswith("text_"):
                own += penalty
            else:
                other += penalty
        return own, other

    own_small, other_small = penalties(1e-3)
    own_large, other_large = penalties(1e-1)
    assert own_small > 0
    assert own_large == pytest.approx(100 * own_small, rel=1e-4)
    assert other_large == pytest.approx(other_small, rel=1e-6)
    own_zero, _ = penalties(0.0)
    assert own_zero == 0.0


# -- the defaults are the original network ----------------------------------------------------


def test_defaults_build_the_original_network():
    model = build_fused_network(
        SPECS, n_outputs=3, output_activation="softmax", text_encoder="lstm", **TINY
    )
    assert sorted(layer.name for layer in model.layers) == sorted(
        [
            "text",
            "text_present",
            "text_embedding",
            "text_lstm",
            "text_features",
            "text_masked",
            "image",
            "image_present",
            "image_conv0",
            "image_pool0",
            "image_global_pool",
            "image_global_max_pool",
            "image_pools",
            "image_features",
            "image_masked",
            "tabular",
            "tabular_dense0",
            "tabular_features",
            "fusion",
            "fused_features",
            "head_dense0",
            "head_dropout0",
            "output",
        ]
    )
    # presence mask before the masked features, block by block
    fused = model.get_layer("fusion").input
    assert fused[0] is model.get_layer("text_present").output
    assert fused[1] is model.get_layer("text_masked").output


def test_new_layers_round_trip_through_their_config():
    from skmm.network import _layers

    regularized = _layers.PositionEmbedding(6, embeddings_regularizer=keras.regularizers.L2(0.5))
    again = _layers.PositionEmbedding.from_config(regularized.get_config())
    assert again.sequence_length == 6 and again.embeddings_regularizer.l2 == 0.5
    mask = _layers.ModalityMask([True, False])
    assert _layers.ModalityMask.from_config(mask.get_config()).has_presence == [True, False]
    tokens = np.zeros((2, 2, 3), "float32")
    np.testing.assert_array_equal(
        np.asarray(mask([tokens, np.array([[0.0], [1.0]], "float32")])), [[0, 1], [1, 1]]
    )
    pooled = _layers.MaskedAveragePooling1D()(
        [np.array([[[1.0], [3.0]], [[1.0], [3.0]]], "float32"), np.array([[1, 0], [0, 0]])]
    )
    np.testing.assert_allclose(np.asarray(pooled), [[1.0], [2.0]])


def test_bigram_ids_hash_adjacent_real_tokens_only():
    from skmm.network._layers import BigramIds

    ids = np.array([[5, 7, 9, 0, 0], [3, 0, 0, 0, 0]], dtype="int32")
    out = keras.ops.convert_to_numpy(BigramIds(buckets=101)(ids))
    assert out[0, 0] == (5 * 7919 + 7) % 100 + 1 and out[0, 1] == (7 * 7919 + 9) % 100 + 1
    assert (out[0, 2:] == 0).all() and (out[1] == 0).all()  # padding and the last token
    assert out.min() >= 0 and out.max() <= 100


def test_image_augmentation_changes_images_in_training_only():
    from skmm.network._layers import ImageAugmentation

    images = np.random.RandomState(0).uniform(size=(4, 12, 12, 3)).astype("float32")
    layer = ImageAugmentation(("flip", "shift", "zoom"))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(images)), images)
    trained = keras.ops.convert_to_numpy(layer(images, training=True))
    assert trained.shape == images.shape and not np.allclose(trained, images)
    clone = ImageAugmentation.from_config(layer.get_config())
    assert clone.augmentation == ["flip", "shift", "zoom"] and clone.factor == 0.1


@pytest.mark.parametrize(
    "name, y, prediction",
    [
        ("binary_crossentropy", [[0.0], [1.0], [1.0]], [[0.2], [0.7], [1.0]]),
        (
            "sparse_categorical_crossentropy",
            [[0.0], [2.0], [1.0]],
            np.eye(3)[[0, 1, 1]] * 0.8 + 0.05,
        ),
        ("mse", [[0.5, 1.0], [2.0, -1.0], [0.0, 0.0]], [[0.0, 1.5], [2.5, -1.0], [0.1, 0.2]]),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_the_blend_objective_computes_the_default_losses_as_keras_does(
    name, y, prediction, weighted
):
    from skmm.network._balancing import _mean_loss

    y, prediction = np.asarray(y), np.asarray(prediction, dtype=np.float64)
    weights = np.array([1.0, 3.0, 0.5]) if weighted else None
    per_row = keras.ops.convert_to_numpy(keras.losses.get(name)(y, prediction.astype("float32")))
    expected = np.average(np.asarray(per_row, dtype=np.float64), weights=weights)
    assert _mean_loss(name, y, prediction, weights) == pytest.approx(expected, rel=1e-5)
