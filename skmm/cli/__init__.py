"""The ``skmm`` command line: fit, predict and evaluate multimodal models on tables.

``skmm fit`` trains a [`MultimodalInput`][skmm.compose.MultimodalInput] +
[`MultimodalClassifier`][skmm.estimators.MultimodalClassifier] (or
[`MultimodalRegressor`][skmm.estimators.MultimodalRegressor])
pipeline from the roles given to the columns of a CSV, TSV or Parquet table
and saves it with [`skmm.save`][skmm._persistence.save]; ``skmm predict`` writes its predictions
as CSV; ``skmm evaluate`` cross-validates it. See ``docs/cli.md``.

Importing this package does not import TensorFlow; a command imports it when
it needs a network.
"""

from ._main import main

__all__ = ["main"]
