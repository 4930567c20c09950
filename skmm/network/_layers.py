"""skmm's own Keras layers (registered, so saved models reload in safe mode)."""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="skmm")
class ModalityDropout(layers.Layer):
    """Randomly mark a whole modality missing for a row, during training only.

    Takes a presence mask of shape ``(batch, 1)`` (1 present, 0 missing) and,
    when training, sets each row's entry to 0 with probability ``rate``. The
    network multiplies the block's features by the result, so it learns to
    predict from the other modalities when one is absent.

    Parameters
    ----------
    rate : float
        Probability of dropping the modality for a row.
    seed : int, optional
        Seed of the layer's random generator.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, presence, training=False):
        if not training or self.rate == 0:
            return presence
        draw = keras.random.uniform(ops.shape(presence), seed=self.seed_generator)
        return presence * ops.cast(draw >= self.rate, presence.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
