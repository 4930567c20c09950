"""A block's encoder, set block by block: the routed ``encoders__<block>__<name>``.

In the manner of skorch's ``module__<name>``, an estimator takes keyword
arguments ``encoders__<block>__<name>=value`` (tunable in a search as
``multimodalclassifier__encoders__review__encoder``). Each goes to the encoder
of block ``<block>``:

- a built-in encoder gets it as one of its kind's settings, by the name
  [`skmm.network.encoder_setting_names`][skmm.network.encoder_setting_names] gives (``encoder``,
  ``units``,
  ``embedding_dim`` of a text block; ``filters`` of an image block; ...), in
  place of the network-wide setting (``text_encoder``, ``text_units``, ...),
  and checked against that setting's constraints;
- an encoder object of the user's in ``block_encoders`` (one with
  scikit-learn's ``get_params`` / ``set_params``) gets it through
  ``set_params`` on a clone, so the object given is never changed.
"""

from __future__ import annotations

from sklearn.base import clone

from .._compat import InvalidParameterError, validate_parameter_constraints
from ..network import encoder_setting_names
from ._settings import NETWORK_SETTINGS

#: The prefix of the routed parameters this module reads.
PREFIX = "encoders__"


def routed_parameters(estimator):
    """Block -> {name: value} of the estimator's ``encoders__<block>__<name>`` attributes.

    A routed name without a setting name (``encoders__image``) is an
    ``InvalidParameterError``.
    """
    routed = {}
    for key, value in vars(estimator).items():
        if not key.startswith(PREFIX):
            continue
        block, _, name = key[len(PREFIX) :].partition("__")
        if not block or not name:
            raise InvalidParameterError(
                f"{key} is not a routed encoder parameter: write encoders__<block>__<name>, "
                "such as encoders__image__filters."
            )
        routed.setdefault(block, {})[name] = value
    return routed


def routed_encoders(estimator):
    """The ``block_encoders`` and ``block_settings`` the network builder receives.

    Reads the estimator's ``block_encoders`` and its routed
    ``encoders__<block>__<name>`` parameters against its fitted
    ``block_specs_``; every mistake is an ``InvalidParameterError`` naming the
    routed parameter and what it could have been.

    Returns
    -------
    block_encoders : dict or None
        ``block_encoders`` with each object that received routed parameters
        replaced by a clone holding them.
    block_settings : dict of str to dict
        Block -> the built-in encoder settings routed to it.
    """
    given = dict(estimator.block_encoders or {})
    specs = estimator.block_specs_
    block_settings = {}
    for block, values in routed_parameters(estimator).items():
        if block not in specs:
            raise InvalidParameterError(
                f"{_name(block, next(iter(values)))} names block {block!r}, which the data do "
                f"not have; the blocks are {', '.join(map(repr, specs))}."
            )
        if block in given:
            given[block] = _set_on_clone(given[block], block, values)
        else:
            block_settings[block] = _checked_settings(specs[block].kind, block, values)
    return (given or None), block_settings


def _name(block, name):
    return f"{PREFIX}{block}__{name}"


def _set_on_clone(encoder, block, values):
    """A clone of the user's encoder object with the routed parameters set."""
    if not (hasattr(encoder, "get_params") and hasattr(encoder, "set_params")):
        raise InvalidParameterError(
            f"{_name(block, next(iter(values)))}: block_encoders[{block!r}] is a "
            f"{type(encoder).__name__}, whose parameters cannot be routed; give an encoder "
            "object with scikit-learn's get_params and set_params to tune it in a search."
        )
    known = encoder.get_params(deep=True)
    for name in values:
        if name not in known:
            raise InvalidParameterError(
                f"{_name(block, name)}: block_encoders[{block!r}] "
                f"({type(encoder).__name__}) has no parameter {name!r}; its parameters are "
                f"{', '.join(sorted(known)) or 'none'}."
            )
    return clone(encoder).set_params(**values)


def _checked_settings(kind, block, values):
    """The routed settings of a built-in encoder, each checked like its network-wide one."""
    names = encoder_setting_names(kind)
    for name, value in values.items():
        if name not in names:
            raise InvalidParameterError(
                f"{_name(block, name)}: the built-in encoder of block {block!r} (kind "
                f"{kind!r}) has no setting {name!r}; its settings are "
                f"{', '.join(names) or 'none'}."
            )
        setting = names[name]
        if setting in NETWORK_SETTINGS:
            constraints = NETWORK_SETTINGS[setting][1]
            validate_parameter_constraints(
                {_name(block, name): constraints},
                {_name(block, name): value},
                caller_name=f"the encoder of block {block!r}",
            )
    return dict(values)
