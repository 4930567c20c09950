"""Tiny random-weight Keras-Hub presets, written for the tests (nothing downloaded)."""

import numpy as np

#: A hand-written WordPiece vocabulary: the special tokens, words of the tests' reviews
#: and two suffixes.
VOCABULARY = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "good",
    "great",
    "fine",
    "bad",
    "awful",
    "poor",
    "the",
    "film",
    "plot",
    "actor",
    "was",
    "very",
    "##s",
    "##ly",
]

POSITIVE = ["good", "great", "fine"]
NEGATIVE = ["bad", "awful", "poor"]
FILLER = ["the", "film", "plot", "actor", "was", "very"]


def write_text_preset(path, *, seed=0):
    """A BERT backbone (2 layers, hidden size 32) and its tokenizer, saved to ``path``."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    keras_hub.models.BertBackbone(
        vocabulary_size=len(VOCABULARY),
        num_layers=2,
        num_heads=2,
        hidden_dim=32,
        intermediate_dim=64,
        max_sequence_length=32,
    ).save_to_preset(str(path))
    keras_hub.models.BertTokenizer(vocabulary=VOCABULARY, lowercase=True).save_to_preset(str(path))
    return str(path)


def write_image_preset(path, *, size=32, seed=0):
    """A small ResNet backbone and its image converter (ImageNet statistics), saved."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[3],
        stackwise_num_filters=[64, 16],
        stackwise_num_blocks=[1, 1],
        stackwise_num_strides=[1, 2],
        block_type="basic_block",
        use_pre_activation=False,
        image_shape=(size, size, 3),
    ).save_to_preset(str(path))
    keras_hub.layers.ResNetImageConverter(
        image_size=(size, size),
        scale=[1 / (255 * 0.229), 1 / (255 * 0.224), 1 / (255 * 0.225)],
        offset=[-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225],
    ).save_to_preset(str(path))
    return str(path)


def reviews(n, *, seed=0):
    """Short reviews whose sentiment words give the label, with a numeric column."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    texts = [
        " ".join(
            [*rng.choice(POSITIVE if label else NEGATIVE, 2), *rng.choice(FILLER, 3)]
        ).capitalize()
        for label in y
    ]
    return pd.DataFrame({"review": texts, "x": rng.normal(size=n)}), y
