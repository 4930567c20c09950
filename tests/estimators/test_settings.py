"""The estimators' parameters come from one table (skmm.estimators._settings): the
signatures, the docstrings and the network builder agree with it, and scikit-learn's
parameter validation refuses what it refuses."""

import ast
import inspect
import re

import pytest

from skmm import MultimodalClassifier, MultimodalClassifierCV, MultimodalRegressor
from skmm._compat import InvalidParameterError
from skmm.estimators._settings import NETWORK_SETTINGS, defaults
from skmm.network import build_fused_network

#: Builder defaults that differ from the estimators', with the reason.
RESOLVED_BY_THE_ESTIMATOR = {
    "modality_dropout": "the builder takes a rate; the estimator resolves 'auto' from the blocks",
    "balance": "the builder builds the plain network unless asked; the estimators default to "
    "the ensemble of heads, which needs their held-out rows to fit its blend",
}

CV_OWN = {"l2s": 5, "cv": 3, "scoring": None, "path_epochs": None, "refit": True}


def _signature_defaults(cls):
    return {
        name: parameter.default
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


@pytest.mark.parametrize(
    "cls, expected",
    [
        (MultimodalClassifier, defaults(classifier=True)),
        (MultimodalRegressor, defaults(classifier=False)),
        (
            MultimodalClassifierCV,
            {**CV_OWN, **{k: v for k, v in defaults(classifier=True).items() if k != "l2"}},
        ),
    ],
)
def test_signatures_docstrings_and_constraints_follow_the_table(cls, expected):
    assert _signature_defaults(cls) == expected
    assert set(cls()._parameter_constraints) == set(expected)
    documented = dict(re.findall(r"^    (\w+) : .*default=(.+)$", cls.__doc__, flags=re.M))
    for name, default in expected.items():
        assert name in documented, f"{cls.__name__} does not document {name}"
        written = documented[name].strip()
        try:
            value = ast.literal_eval(written)
        except (ValueError, SyntaxError):
            value = written
        assert value == default, f"{cls.__name__}.{name}: documented {written}, is {default!r}"


def test_the_builder_defaults_follow_the_table():
    builder = {
        name: parameter.default
        for name, parameter in inspect.signature(build_fused_network).parameters.items()
    }
    for name, (default, _) in NETWORK_SETTINGS.items():
        assert name in builder, f"the builder has no {name}"
        if name not in RESOLVED_BY_THE_ESTIMATOR:
            assert builder[name] == default, name


@pytest.mark.parametrize(
    "params, match",
    [
        ({"l2": -1}, r"The 'l2' parameter of MultimodalClassifier must be a float in the range"),
        ({"dropout": 1.5}, r"'dropout' parameter .* in the range \[0.0, 1.0\)"),
        ({"image_filters": 8}, r"'image_filters' parameter .* a list or tuple of ints >= 1"),
        ({"hidden_units": (8, 0)}, r"'hidden_units' parameter .* a list or tuple of ints >= 1"),
        ({"fusion": "sum"}, r"'fusion' parameter .* a str among 'concat', 'gated'"),
        ({"text_encoder": "bert"}, r"'text_encoder' parameter .* among"),
        ({"balance": "both"}, r"'balance' parameter .* among"),
        ({"early_stopping": "yes"}, r"'early_stopping' parameter"),
        ({"distribution": "all"}, r"'distribution' parameter .* None, 'mirrored' or a tf"),
        ({"epochs": 0}, r"'epochs' parameter .* int in the range \[1, inf\)"),
        ({"modality_dropout": "sometimes"}, r"'modality_dropout' parameter"),
    ],
)
def test_a_bad_parameter_raises_invalid_parameter_error_before_any_work(params, match):
    clf = MultimodalClassifier(**params)
    with pytest.raises(InvalidParameterError, match=match):
        clf.fit([[0.0], [1.0]], [0, 1])
    assert not hasattr(clf, "model_")


def test_cross_parameter_rules_stay_and_raise_invalid_parameter_error():
    with pytest.raises(InvalidParameterError, match="set validation_split=0"):
        MultimodalClassifier(early_stopping=True, validation_split=0.2).fit([[0.0], [1.0]], [0, 1])
