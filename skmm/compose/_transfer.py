"""Transfer a block's encoder (and its input step) from a fitted skmm model to a new one.

A text encoder trained on a large related table, an image encoder trained on
another task: `TransferredEncoder.from_estimator` copies the encoder of one
block of a fitted estimator (its layers' configuration and weights, as plain
data) together with the fitted transformer that made the block, frozen
(`FrozenTransformer`), so the new model reads the column exactly as the
source did (same vocabulary, same pixel statistics). In the new network the
encoder is the block's backbone (``<block>_backbone``): the estimators'
``backbone_trainable``, ``backbone_lr_factor`` and ``head_epochs`` decide
how it is fine-tuned.

Keras is imported when the encoder is copied or built, never at import.
"""

from __future__ import annotations

import json

import numpy as np
from sklearn.frozen import FrozenEstimator

__all__ = ["FrozenTransformer", "TransferredEncoder"]


class FrozenTransformer(FrozenEstimator):
    """A fitted transformer that fitting leaves as it is (its state carried to a new model).

    ``fit`` and ``fit_transform`` do not refit it: ``fit_transform(X)`` is
    ``transform(X)``. Cloning returns the same object, so a search or a
    cross-validation reuses the fitted state in every fold. Everything else
    (``transform``, ``get_block_info``, ``get_feature_names_out``, fitted
    attributes) is the wrapped transformer's.

    Parameters
    ----------
    estimator : transformer
        A fitted transformer (a block's, such as a ``TextTokenizer``).

    Examples
    --------
    >>> from skmm import TextTokenizer
    >>> from skmm.compose import FrozenTransformer
    >>> fitted = TextTokenizer(char_ngrams=None).fit(["good film", "bad film"])
    >>> tokens = FrozenTransformer(fitted)
    >>> tokens.fit(["a new plot"]).vocabulary_ == fitted.vocabulary_  # not refitted
    True
    >>> tokens.fit_transform(["a good plot"])[0, :3]  # "a", "plot": out of vocabulary
    array([1, 4, 1], dtype=int32)
    """

    def __init__(self, estimator):
        super().__init__(estimator)

    def fit(self, X, y=None, **fit_params):
        """Do nothing (the transformer stays as fitted); return self."""
        return super().fit(X, y, **fit_params)

    def fit_transform(self, X, y=None, **fit_params):
        """``transform(X)``: the wrapped transformer is not fitted again."""
        return self.estimator.transform(X)


def _fitted_parts(source, block):
    """The final skmm estimator of ``source`` and the fitted transformer of ``block``."""
    from sklearn.pipeline import Pipeline

    from ._multimodal_input import MultimodalInput

    steps = list(source.steps) if isinstance(source, Pipeline) else [(None, source)]
    estimator = steps[-1][1]
    if not hasattr(estimator, "model_"):
        raise ValueError(
            "TransferredEncoder.from_estimator needs a fitted skmm estimator (or a fitted "
            f"pipeline ending with one); got {type(estimator).__name__}"
            f"{'' if hasattr(estimator, 'fit') else ' (not an estimator)'} without a network."
        )
    inputs = [step for _, step in steps[:-1] if isinstance(step, MultimodalInput)]
    inputs += [vars(estimator).get("multimodal_input_")] if not inputs else []
    transformer = None
    for multimodal_input in inputs:
        if multimodal_input is not None and block in getattr(
            multimodal_input, "named_transformers_", {}
        ):
            transformer = multimodal_input.named_transformers_[block]
    return estimator, transformer


class TransferredEncoder:
    """The encoder of one block of a fitted skmm model, as the encoder of a new model.

    Made by `from_estimator`. Put it in the new estimator's ``block_encoders``
    under the new block's name, and `transformer` (the source's fitted
    transformer of that block, frozen) in the new ``MultimodalInput``; the new
    block must have the source block's row shape. It holds the encoder's
    configuration and weights as plain data (a saved model holds them, and
    the source is not referenced); every network built from it gets its own
    copy of the weights, so fine-tuning never changes the source. Copying the
    object (as ``clone`` does) returns it: it never changes.

    Attributes
    ----------
    block : str
        The source block's name.
    kind : str
        The source block's kind (``"text"``, ``"image"``, ...).
    shape : tuple of int
        Its row shape.
    config : str
        The Keras configuration (JSON) of the encoder, from the block's input
        to its features (``<block>_features``).
    weights : list of ndarray
        The encoder's weights.
    transformer : FrozenTransformer or None
        The source's fitted transformer of the block (None when the source
        was fitted on blocks, not on a table).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmm import MultimodalClassifier, MultimodalInput, TextTokenizer
    >>> from skmm.compose import TransferredEncoder
    >>> X = pd.DataFrame({"review": ["good film", "great plot", "bad film", "awful plot"] * 5})
    >>> y = np.array([1, 1, 0, 0] * 5)
    >>> source = make_pipeline(
    ...     MultimodalInput([("review", TextTokenizer(), "review")]),
    ...     MultimodalClassifier(epochs=1, random_state=0),
    ... ).fit(X, y)
    >>> transfer = TransferredEncoder.from_estimator(source, "review")
    >>> target = make_pipeline(
    ...     MultimodalInput([("review", transfer.transformer, "review")]),
    ...     MultimodalClassifier(block_encoders={"review": transfer},
    ...                          backbone_trainable=False, epochs=1, random_state=0),
    ... ).fit(X, y)
    >>> target[-1].model_.get_layer("review_backbone").trainable
    False
    """

    def __init__(self, block, kind, shape, config, weights, transformer=None):
        self.block = block
        self.kind = kind
        self.shape = tuple(int(d) for d in shape)
        self.config = config
        self.weights = [np.asarray(w) for w in weights]
        self.transformer = transformer

    @classmethod
    def from_estimator(cls, source, block):
        """Copy the encoder of ``block`` from the fitted ``source``.

        Parameters
        ----------
        source : fitted MultimodalClassifier, MultimodalRegressor or Pipeline
            A fitted skmm estimator, or a fitted pipeline ending with one (its
            ``MultimodalInput`` gives the block's transformer).
        block : str
            The block whose encoder is copied.

        Returns
        -------
        transfer : TransferredEncoder
        """
        import keras

        from ..network import block_features_name

        estimator, transformer = _fitted_parts(source, block)
        specs = estimator.block_specs_
        if block not in specs:
            raise ValueError(
                f"The source has no block {block!r}; its blocks are {', '.join(map(repr, specs))}."
            )
        model = estimator.model_
        try:
            features = model.get_layer(block_features_name(block)).output
        except ValueError:
            raise ValueError(
                f"The source's network has no layer {block_features_name(block)!r}: it was "
                "built before skmm named its blocks' features; fit it again to transfer."
            ) from None
        encoder = keras.Model(model.get_layer(block).output, features, name=f"{block}_encoder")
        config = json.dumps(keras.saving.serialize_keras_object(encoder))
        frozen = None if transformer is None else FrozenTransformer(transformer)
        spec = specs[block]
        return cls(block, spec.kind, spec.shape, config, encoder.get_weights(), frozen)

    def encode_block(self, inputs, spec):
        """Build a copy of the encoder (``<block>_backbone``) on the new block's input.

        Called by the network builder with the new block's Keras input and spec.
        """
        import keras

        from ..network import backbone_name

        if tuple(spec.shape) != self.shape or spec.kind != self.kind:
            raise ValueError(
                f"Block {spec.name!r}: the encoder transferred from block {self.block!r} reads "
                f"{self.kind} rows of shape {self.shape}; this block holds {spec.kind} rows of "
                f"shape {tuple(spec.shape)}. Make the block with the transfer's transformer."
            )
        config = json.loads(self.config)
        config["config"]["name"] = backbone_name(spec.name)
        encoder = keras.saving.deserialize_keras_object(config)
        encoder.set_weights(self.weights)
        return encoder(inputs)

    def __deepcopy__(self, memo):
        return self  # never changed after it is made: clones share it

    def __repr__(self):
        return (
            f"TransferredEncoder(block={self.block!r}, kind={self.kind!r}, "
            f"shape={self.shape}, {len(self.weights)} weight arrays)"
        )
