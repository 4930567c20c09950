"""The names saved files give skmm's classes, and the types a file may hold.

A saved file names every object's class by module and name. skmm writes its
public classes by their public names (``skmm.MultimodalInput``), so that a class
may move between private modules without breaking files; older names stay
readable through `FORMER_NAMES`.
"""

from __future__ import annotations

import io
import json
import zipfile

#: skmm's public classes: the public name a saved file gives each -> where the class
#: is defined now. ``save`` writes the public names, ``load`` reads them back as the
#: classes of today, so a class may move between private modules without breaking
#: a file (a test checks every entry against the real class).
PUBLIC_CLASSES = {
    "skmm.MultimodalInput": "skmm.compose._multimodal_input.MultimodalInput",
    "skmm.compose.BlockSpec": "skmm.compose._blocks.BlockSpec",
    "skmm.compose.FrozenTransformer": "skmm.compose._transfer.FrozenTransformer",
    "skmm.compose.TransferredEncoder": "skmm.compose._transfer.TransferredEncoder",
    "skmm.TextTokenizer": "skmm.preprocessing._text.TextTokenizer",
    "skmm.ImageNormalizer": "skmm.preprocessing._image.ImageNormalizer",
    "skmm.PresetTokenizer": "skmm.preprocessing._preset_text.PresetTokenizer",
    "skmm.AudioFeaturizer": "skmm.preprocessing._audio.AudioFeaturizer",
    "skmm.VideoFrames": "skmm.preprocessing._video.VideoFrames",
    "skmm.preprocessing.DatetimeFeatures": "skmm.preprocessing._datetime.DatetimeFeatures",
    "skmm.Graph": "skmm.preprocessing._graph_data.Graph",
    "skmm.preprocessing.NodeFeatures": "skmm.preprocessing._graph_data.NodeFeatures",
    "skmm.GraphNeighborhood": "skmm.preprocessing._graph.GraphNeighborhood",
    "skmm.GraphFeatures": "skmm.preprocessing._graph_features.GraphFeatures",
    "skmm.MultimodalClassifier": "skmm.estimators._classifier.MultimodalClassifier",
    "skmm.MultimodalClassifierCV": "skmm.estimators._classifier_cv.MultimodalClassifierCV",
    "skmm.MultimodalRegressor": "skmm.estimators._regressor.MultimodalRegressor",
}

#: Names earlier files gave a public class -> its public name. skmm 0.1.0.dev0 wrote
#: the private modules the classes were then defined in. A class that changes its
#: public name adds its old one here.
FORMER_NAMES = {
    "skmm.compose._multimodal_input.MultimodalInput": "skmm.MultimodalInput",
    "skmm.compose._blocks.BlockSpec": "skmm.compose.BlockSpec",
    "skmm.preprocessing._text.TextTokenizer": "skmm.TextTokenizer",
    "skmm.preprocessing._image.ImageNormalizer": "skmm.ImageNormalizer",
    "skmm.preprocessing._audio.AudioFeaturizer": "skmm.AudioFeaturizer",
    "skmm.estimators._classifier.MultimodalClassifier": "skmm.MultimodalClassifier",
    "skmm.estimators._classifier_cv.MultimodalClassifierCV": "skmm.MultimodalClassifierCV",
    "skmm.estimators._regressor.MultimodalRegressor": "skmm.MultimodalRegressor",
}

#: Types the skops part may hold beyond those skops trusts by default (scikit-learn's
#: estimators, NumPy arrays and ufuncs, SciPy sparse matrices, Python containers and
#: scalars): skmm's estimators and transformers and what their fitted state is made
#: of. Each is rebuilt from its saved attributes with ``__new__`` and
#: ``__setstate__``/``__dict__``, which run no code from the file. Names, not
#: classes, so that loading a file without a network does not import TensorFlow
#: (a test checks that they name the real classes).
TRUSTED_TYPES = (
    # the public classes, by the public names saved files give them (PUBLIC_CLASSES)
    *PUBLIC_CLASSES,
    # fitted state inside the estimators
    "skmm.estimators._inputs.KerasInputs",
    "skmm.estimators._targets.TaskTargetEncoder",
    # scikeras' target encoders, fitted inside the estimators
    "scikeras.utils.transformers.ClassifierLabelEncoder",
    "scikeras.utils.transformers.RegressorTargetEncoder",
    "scikeras.utils.transformers.TargetReshaper",
    # a dtype, rebuilt from an empty .npy array (no pickle); a dict subclass
    "numpy.dtype",
    "sklearn.utils._bunch.Bunch",
    # a path given as a parameter (a preset directory, a weights file): rebuilt from its
    # string parts, nothing opened
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
)


def rename_classes(data, names):
    """The skops bytes ``data`` with the classes named as keys of ``names`` renamed.

    ``names`` maps ``"module.Class"`` to ``"module.Class"``. A skops file is a zip
    whose ``schema.json`` names each object's class by ``__module__`` and
    ``__class__``; only those two fields change, nothing is constructed or
    imported. ``data`` itself is returned when nothing is renamed.
    """
    pairs = {tuple(old.rsplit(".", 1)): tuple(new.rsplit(".", 1)) for old, new in names.items()}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    renamed = 0

    def rename(node):
        nonlocal renamed
        if isinstance(node, dict):
            key = (node.get("__module__"), node.get("__class__"))
            if key in pairs:
                node["__module__"], node["__class__"] = pairs[key]
                renamed += 1
            for value in node.values():
                rename(value)
        elif isinstance(node, list):
            for value in node:
                rename(value)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, content in members:
            if info.filename == "schema.json":
                schema = json.loads(content)
                rename(schema)
                if not renamed:
                    return data
                content = json.dumps(schema).encode("utf-8")
            archive.writestr(info, content)
    return out.getvalue()
