"""modality_dropout="auto": the rate a fused network trains with, and bad values."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer
from tests.conftest import TINY


def dropout_rates(clf):
    """Rate of every ModalityDropout layer of a fitted network, by block."""
    return {
        layer.name.removesuffix("_modality_dropout"): layer.rate
        for layer in clf.model_.layers
        if type(layer).__name__ == "ModalityDropout"
    }


@pytest.mark.parametrize(
    "columns, expected",
    [
        # two blocks, one of them with presence masks: 0.2 on the droppable ones
        ({"text": ("text",), "tabular": ("x0", "x1")}, {"text": 0.2}),
        ({"text": ("text",), "image": ("image",)}, {"text": 0.2, "image": 0.2}),
        # one block has nothing to fall back on; tabular blocks carry no presence
        ({"text": ("text",)}, {}),
        ({"tabular": ("x0",), "more": ("x1",)}, {}),
    ],
)
def test_auto_modality_dropout_drops_what_a_fused_network_can_do_without(
    small_data, columns, expected
):
    X, y = small_data
    X = X.rename(columns={"caption": "text"})
    makers = {
        "text": lambda: TextTokenizer(max_tokens=200, sequence_length=8),
        "image": lambda: ImageNormalizer(size=(16, 16)),
    }
    blocks = [
        (name, makers.get(name, StandardScaler)(), cols[0] if name in makers else list(cols))
        for name, cols in columns.items()
    ]
    clf = make_pipeline(MultimodalInput(blocks), MultimodalClassifier(**{**TINY, "epochs": 1})).fit(
        X, y
    )
    assert clf[-1].modality_dropout == "auto"
    assert dropout_rates(clf[-1]) == expected


def test_an_explicit_modality_dropout_rate_is_kept(small_data):
    X, y = small_data
    blocks = [
        ("text", TextTokenizer(max_tokens=200, sequence_length=8), "caption"),
        ("tabular", StandardScaler(), ["x0", "x1"]),
    ]
    for rate, expected in ((0.0, {}), (0.35, {"text": 0.35}), (np.float32(0.5), {"text": 0.5})):
        clf = MultimodalClassifier(**{**TINY, "epochs": 1}, modality_dropout=rate)
        make_pipeline(MultimodalInput(blocks), clf).fit(X, y)
        assert dropout_rates(clf) == expected


@pytest.mark.parametrize("value", [1.0, -0.1, "half", None])
def test_a_bad_modality_dropout_names_what_is_accepted(small_data, value):
    X, y = small_data
    clf = MultimodalClassifier(**TINY, modality_dropout=value)
    with pytest.raises(
        ValueError,
        match=r"'modality_dropout' parameter .* \{'auto'\} or a float in the range \[0.0, 1.0\)",
    ):
        make_pipeline(MultimodalInput([("tabular", StandardScaler(), ["x0", "x1"])]), clf).fit(X, y)
