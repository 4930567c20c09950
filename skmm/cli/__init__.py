"""The ``skmm`` command line: fit, predict and evaluate multimodal models on tables.

``skmm fit`` trains a :class:`~skmm.MultimodalInput` +
:class:`~skmm.MultimodalClassifier` (or :class:`~skmm.MultimodalRegressor`)
pipeline from the roles given to the columns of a CSV, TSV or Parquet table
and saves it with :func:`skmm.save`; ``skmm predict`` writes its predictions
as CSV; ``skmm evaluate`` cross-validates it. See ``docs/cli.md``.

Importing this package does not import TensorFlow; a command imports it when
it needs a network.
"""

from ._main import main

__all__ = ["main"]
