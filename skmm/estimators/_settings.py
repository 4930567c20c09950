"""The estimators' parameters in one table: name, default and constraints.

`NETWORK_SETTINGS` are what the network builder
(`skmm.network.build_fused_network`) receives; `TRAINING_SETTINGS`
how the network is trained. The three estimators' ``__init__`` signatures,
their ``_parameter_constraints`` (checked by scikit-learn's
``_validate_params`` at the start of every fit) and the builder's defaults
are tested against this table (``tests/estimators/test_settings.py``).
Cross-parameter rules stay hand-written in the estimators, and few.
"""

from __future__ import annotations

import os
from numbers import Integral, Real

from .._compat import Constraint, HasMethods, Interval, StrOptions
from .._constraints import PositiveInts, Predicate
from ..network import (
    BALANCES,
    EMBEDDINGS,
    IMAGE_AUGMENTATIONS,
    TEXT_POOLINGS,
    fusion_names,
    graph_encoder_names,
    image_encoder_names,
    text_encoder_names,
    video_encoder_names,
    video_frame_encoder_names,
)
from ._distribution import ACCEPTED, is_strategy


class Registered(Constraint):
    """The name of something registered in `skmm.network` (looked up when a fit
    validates its parameters): ``names`` lists the registered names."""

    def __init__(self, names):
        super().__init__()
        self.names = names

    def is_satisfied_by(self, val):
        return isinstance(val, str) and val in self.names()

    def __str__(self):
        return "a str among " + ", ".join(map(repr, self.names()))


def _is_distribution(val):
    return val is None or (isinstance(val, str) and val == "mirrored") or is_strategy(val)


def _positive_int():
    return [Interval(Integral, 1, None, closed="left")]


#: Parameters of the network: (default, constraints), in signature order.
NETWORK_SETTINGS = {
    "l2": (1e-4, [Interval(Real, 0, None, closed="left")]),
    "embedding_dim": (32, _positive_int()),
    "text_units": (32, _positive_int()),
    "image_filters": ((64, 128, 128), [PositiveInts()]),
    "image_width_multiplier": (1.0, [Interval(Real, 0, None, closed="neither")]),
    "audio_filters": ((64, 128), [PositiveInts()]),
    "tabular_units": ((64,), [PositiveInts()]),
    "hidden_units": ((64,), [PositiveInts()]),
    "dropout": (0.2, [Interval(Real, 0, 1, closed="left")]),
    "modality_dropout": ("auto", [StrOptions({"auto"}), Interval(Real, 0, 1, closed="left")]),
    "fusion": ("concat", [Registered(fusion_names)]),
    "fusion_units": (64, _positive_int()),
    "fusion_heads": (2, _positive_int()),
    "text_encoder": ("bag", [Registered(text_encoder_names)]),
    "image_encoder": ("cnn", [Registered(image_encoder_names)]),
    "image_weights": (None, [None, str, os.PathLike]),
    "video_encoder": ("gru", [Registered(video_encoder_names)]),
    "video_frame_encoder": ("grid", [Registered(video_frame_encoder_names)]),
    "video_filters": ((32, 64), [PositiveInts()]),
    "video_units": (64, _positive_int()),
    "video_weights": (None, [None, str, os.PathLike]),
    "graph_encoder": ("mean", [Registered(graph_encoder_names)]),
    "graph_units": (64, _positive_int()),
    "block_encoders": (None, [None, dict]),
    "balance": ("ensemble", [None, StrOptions(set(BALANCES))]),
    # entries checked by the builder
    "image_augmentation": (None, [None, StrOptions(set(IMAGE_AUGMENTATIONS)), list, tuple]),
    "text_pooling": ("cls", [StrOptions(set(TEXT_POOLINGS))]),
}

#: Parameters of training (and ``embedding``, what ``transform`` returns): (default,
#: constraints). ``class_weight`` and ``task_weights`` are the classifiers' alone.
TRAINING_SETTINGS = {
    "optimizer": ("adam", [str, type, HasMethods(["apply_gradients"])]),
    "learning_rate": (1e-3, [Interval(Real, 0, None, closed="neither"), callable]),
    "backbone_trainable": (True, ["boolean", Interval(Integral, 0, None, closed="left")]),
    "backbone_lr_factor": (0.1, [Interval(Real, 0, None, closed="left")]),
    "head_epochs": (0, [Interval(Integral, 0, None, closed="left")]),
    "loss": (None, [None, str, callable]),
    "metrics": (None, [None, list, tuple, dict]),
    "batch_size": (32, _positive_int()),
    "epochs": (100, _positive_int()),
    "validation_split": (0.0, [Interval(Real, 0, 1, closed="left")]),
    "early_stopping": ("auto", ["boolean", StrOptions({"auto"})]),
    "validation_fraction": (0.1, [Interval(Real, 0, 1, closed="neither")]),
    "n_iter_no_change": (10, _positive_int()),
    "tol": (1e-4, [Interval(Real, 0, None, closed="left")]),
    "shuffle": (True, ["boolean"]),
    "class_weight": (None, [None, dict, list, StrOptions({"balanced"})]),
    "task_weights": (None, [None, dict, list, tuple]),
    "callbacks": (None, [None, list, tuple, dict]),
    "warm_start": (False, ["boolean"]),
    "verbose": (0, ["verbose", StrOptions({"auto"})]),
    "random_state": (None, ["random_state"]),
    "distribution": (None, [Predicate(_is_distribution, ACCEPTED)]),
    "embedding": ("fused", [StrOptions(set(EMBEDDINGS))]),
}


#: The parameters a regressor does not have.
CLASSIFIER_ONLY = ("class_weight", "task_weights")


def _settings(classifier):
    settings = {**NETWORK_SETTINGS, **TRAINING_SETTINGS}
    if not classifier:
        for name in CLASSIFIER_ONLY:
            del settings[name]
    return settings


def parameter_constraints(*, classifier):
    """The ``_parameter_constraints`` of a classifier or of a regressor."""
    return {name: constraints for name, (_, constraints) in _settings(classifier).items()}


def defaults(*, classifier):
    """Each parameter's default, as the estimators' signatures must give it."""
    return {name: default for name, (default, _) in _settings(classifier).items()}
