"""Importing this module imports TensorFlow and Keras without their start-up lines.

``skmm.network`` and ``skmm.estimators`` import it before any of their modules
imports Keras (see `skmm._quiet`).
"""

from ._quiet import import_tensorflow_quietly

import_tensorflow_quietly()
