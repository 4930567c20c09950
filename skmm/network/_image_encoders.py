"""Encoders of image blocks: the small CNN and ``keras.applications`` backbones, registered
by name as the values of the estimators' ``image_encoder`` parameter.

An [`ImageEncoder`][skmm.network.ImageEncoder]'s function is
``function(inputs, spec, *, reg, image_filters, image_width_multiplier, image_weights)``:
it encodes the ``(batch, height, width, channels)`` float32 images ``inputs`` of the
block described by ``spec`` (its ``name`` to prefix layer names with, its
``pixel_scaling``) into a ``(batch, features)`` tensor; ``reg`` is the L2
regularizer of every kernel (None when λ is 0).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import keras
from keras import layers

from ._encoders import l2_regularizer
from ._layers import ReverseChannels
from ._named_registry import Declaration, NamedRegistry


def image_encoder(inputs, spec, *, image_filters, image_width_multiplier, l2):
    """Conv2D + MaxPooling stages, then global average and global max pooling side by side.

    The average says how much of each pattern a picture holds, the maximum
    whether it holds it anywhere (the concatenated pooling of fastai's
    ``AdaptiveConcatPool2d``); the features have twice the last stage's
    filters. On 363 small icons the pair scored 0.635 where the average alone
    scored 0.554 (``docs/balanced_fusion.md``).
    """
    reg = l2_regularizer(l2)
    x = inputs
    for stage, filters in enumerate(image_filters):
        x = layers.Conv2D(
            max(1, round(filters * image_width_multiplier)),
            kernel_size=3,
            padding="same",
            activation="relu",
            kernel_regularizer=reg,
            name=f"{spec.name}_conv{stage}",
        )(x)
        if min(x.shape[1], x.shape[2]) >= 2:
            x = layers.MaxPooling2D(2, name=f"{spec.name}_pool{stage}")(x)
    average = layers.GlobalAveragePooling2D(name=f"{spec.name}_global_pool")(x)
    maximum = layers.GlobalMaxPooling2D(name=f"{spec.name}_global_max_pool")(x)
    return layers.Concatenate(name=f"{spec.name}_pools")([average, maximum])


# How each keras.applications backbone wants its RGB input, given images in [0, 1]:
#   "tf": scaled to [-1, 1];
#   "caffe": scaled to [0, 255], channels reversed to BGR, ImageNet mean subtracted;
#   "torch": ImageNet mean subtracted and divided by the ImageNet std;
#   "uint8": scaled to [0, 255] (the backbone normalizes inside itself).
_PREPROCESSING = {
    **dict.fromkeys(
        ["ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge"],
        "uint8",
    ),
    **dict.fromkeys(["DenseNet121", "DenseNet169", "DenseNet201"], "torch"),
    **dict.fromkeys([f"EfficientNetB{i}" for i in range(8)], "uint8"),
    **dict.fromkeys(
        [f"EfficientNetV2{v}" for v in ("B0", "B1", "B2", "B3", "S", "M", "L")], "uint8"
    ),
    **dict.fromkeys(["MobileNetV3Large", "MobileNetV3Small"], "uint8"),
    **dict.fromkeys(["ResNet50", "ResNet101", "ResNet152", "VGG16", "VGG19"], "caffe"),
    **dict.fromkeys(
        [
            "InceptionResNetV2",
            "InceptionV3",
            "MobileNet",
            "MobileNetV2",
            "NASNetLarge",
            "NASNetMobile",
            "ResNet50V2",
            "ResNet101V2",
            "ResNet152V2",
            "Xception",
        ],
        "tf",
    ),
}
# Smallest height and width each backbone accepts (32 where not listed).
_MIN_SIZE = {"InceptionResNetV2": 75, "InceptionV3": 75, "Xception": 71}
# ImageNet statistics, RGB order: of [0, 1] images (torch style) and of [0, 255] ones (caffe).
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
_CAFFE_MEAN = (123.68, 116.779, 103.939)


def _unstandardized(inputs, spec):
    """Images standardized by their transformer (``spec.pixel_scaling``) back in [0, 1]."""
    scaling = getattr(spec, "pixel_scaling", None)
    if scaling is None:
        return inputs
    mean, std = scaling
    return layers.Rescaling(list(std), offset=list(mean), name=f"{spec.name}_unstandardize")(inputs)


def application_names():
    """The ``keras.applications`` backbones ``image_encoder`` accepts, sorted."""
    return sorted(name for name in _PREPROCESSING if hasattr(keras.applications, name))


def application_encoder(inputs, spec, *, application, weights=None):
    """A ``keras.applications`` backbone (no top, global average pooling).

    Images arrive in [0, 1] with 3 channels (RGB), or standardized by their
    transformer (``spec.pixel_scaling``, undone by a first ``Rescaling``
    layer, ``<block>_unstandardize``); a ``Rescaling`` layer
    (and, for caffe-style backbones, a ``ReverseChannels`` layer) brings them
    to the range the backbone was trained on (see ``_PREPROCESSING``). The
    backbone is one nested model named ``<block>_backbone``; it carries no L2
    penalty.
    """
    if application not in application_names():
        raise ValueError(
            f"Unknown image_encoder {application!r}; choose 'cnn' or one of the "
            f"keras.applications backbones: {', '.join(application_names())}."
        )
    shape = tuple(spec.shape)
    min_size = _MIN_SIZE.get(application, 32)
    if len(shape) != 3 or shape[-1] != 3 or min(shape[:2]) < min_size:
        raise ValueError(
            f"Block {spec.name!r}: image_encoder={application!r} needs RGB images of at "
            f"least {min_size}x{min_size}x3 pixels; this block's images have shape {shape}."
        )
    if weights is not None and not os.path.isfile(os.fspath(weights)):
        raise ValueError(
            f"Block {spec.name!r}: image_weights={os.fspath(weights)!r} is not a local weights "
            "file. skmm never downloads (not even weights='imagenet'): download the "
            f"{application} weights file once with your own tools and give its path."
        )
    mode = _PREPROCESSING[application]
    name = spec.name
    inputs = _unstandardized(inputs, spec)
    if mode == "tf":
        x = layers.Rescaling(2.0, offset=-1.0, name=f"{name}_rescaling")(inputs)
    elif mode == "torch":
        x = layers.Rescaling(
            [1.0 / std for std in _IMAGENET_STD],
            offset=[-mean / std for mean, std in zip(_IMAGENET_MEAN, _IMAGENET_STD, strict=True)],
            name=f"{name}_rescaling",
        )(inputs)
    elif mode == "caffe":
        x = layers.Rescaling(
            255.0, offset=[-mean for mean in _CAFFE_MEAN], name=f"{name}_rescaling"
        )(inputs)
        x = ReverseChannels(name=f"{name}_bgr")(x)
    else:
        x = layers.Rescaling(255.0, name=f"{name}_rescaling")(inputs)
    try:
        backbone = getattr(keras.applications, application)(
            include_top=False,
            weights=weights,
            input_shape=shape,
            pooling="avg",
            name=f"{name}_backbone",
        )
    except ValueError as error:
        raise ValueError(
            f"Block {spec.name!r}: cannot build image_encoder={application!r} "
            f"(weights={weights!r}) for images of shape {shape}: {error}"
        ) from error
    return backbone(x)


@dataclass(frozen=True)
class ImageEncoder(Declaration):
    """A named encoder of image blocks, the value of ``image_encoder`` that selects it.

    Parameters
    ----------
    name : str
        The value of the estimators' ``image_encoder`` parameter (or of a
        block's routed ``encoders__<block>__encoder``).
    function : callable
        See the module's docstring for its signature.
    description : str, default=""
        One line on what it does.
    """

    what = "image encoder"


_IMAGE_ENCODERS = NamedRegistry(ImageEncoder, "image_encoder", "register_image_encoder")


def register_image_encoder(encoder, *, replace=False):
    """Make ``encoder`` selectable as ``image_encoder=<its name>``; return it.

    Examples
    --------
    >>> from keras import layers
    >>> from skmm.network import (
    ...     ImageEncoder, image_encoder_names, register_image_encoder, unregister_image_encoder
    ... )
    >>> def mean_colour(inputs, spec, *, reg, image_filters, image_width_multiplier,
    ...                 image_weights):
    ...     return layers.GlobalAveragePooling2D(name=f"{spec.name}_mean_colour")(inputs)
    >>> _ = register_image_encoder(ImageEncoder("mean_colour", mean_colour))
    >>> "mean_colour" in image_encoder_names()
    True
    >>> _ = unregister_image_encoder("mean_colour")
    """
    return _IMAGE_ENCODERS.register(encoder, replace=replace)


def unregister_image_encoder(name):
    """Remove the image encoder ``name`` and return it."""
    return _IMAGE_ENCODERS.unregister(name)


def get_image_encoder(name):
    """The image encoder registered as ``name``; a ``ValueError`` naming the others otherwise."""
    return _IMAGE_ENCODERS.get(name)


def image_encoder_names():
    """The registered image encoders' names, in registration order ("cnn" first)."""
    return _IMAGE_ENCODERS.names()


def _small_cnn(inputs, spec, *, reg, image_filters, image_width_multiplier, image_weights):
    return image_encoder(
        inputs,
        spec,
        image_filters=image_filters,
        image_width_multiplier=image_width_multiplier,
        l2=reg,
    )


def _backbone(application):
    def encode(inputs, spec, *, reg, image_filters, image_width_multiplier, image_weights):
        return application_encoder(inputs, spec, application=application, weights=image_weights)

    return encode


def preset_image_encoder(inputs, spec, *, preset):
    """A Keras-Hub image backbone from the local preset directory ``preset``.

    The preset's image converter says how its backbone wants pixels: images
    arrive in [0, 1] (or standardized by their transformer, undone first,
    ``<block>_unstandardize``), and are mapped to ``pixel * 255 * scale +
    offset`` (``<block>_rescaling``), as the converter does to 0-255 pixels.
    They must have the converter's ``image_size`` (the block's transformer
    resizes them: a resizing layer in the network would not export to ONNX
    exactly). The backbone (``<block>_backbone``) is followed by global
    average pooling of its feature map (or of its tokens, for a transformer's
    ``(batch, tokens, dim)`` output). It carries no L2 penalty.
    """
    from .._presets import load_backbone, load_image_converter
    from ._backbones import backbone_name

    if preset is None:
        raise ValueError(
            f"Block {spec.name!r}: image_encoder='preset' reads a Keras-Hub preset directory; "
            "give its path as image_weights (video_weights for video frames)."
        )
    parameter = f"block {spec.name!r}'s preset (image_weights)"
    backbone = load_backbone(preset, parameter)
    converter = load_image_converter(preset, parameter)
    name = spec.name
    shape = tuple(spec.shape)
    x = _unstandardized(inputs, spec)
    size = getattr(converter, "image_size", None)
    if size is not None and tuple(size) != shape[:2]:
        raise ValueError(
            f"Block {name!r}: the preset's backbone reads {size[0]}x{size[1]} images (its image "
            f"converter's image_size); this block's images are {shape[0]}x{shape[1]}. Resize "
            f"them in the block's transformer: ImageNormalizer(size={tuple(size)})."
        )
    scale = getattr(converter, "scale", None)
    offset = getattr(converter, "offset", None)
    scale = 1.0 / 255.0 if scale is None else scale
    scale = [255.0 * s for s in scale] if isinstance(scale, list | tuple) else 255.0 * scale
    x = layers.Rescaling(scale, offset=0.0 if offset is None else offset, name=f"{name}_rescaling")(
        x
    )
    features = backbone.output
    if len(features.shape) == 4:
        features = layers.GlobalAveragePooling2D(name=f"{name}_backbone_pool")(features)
    elif len(features.shape) == 3:
        features = layers.GlobalAveragePooling1D(name=f"{name}_backbone_pool")(features)
    elif len(features.shape) != 2:
        raise ValueError(
            f"Block {name!r}: the preset's backbone returns a tensor of shape "
            f"{features.shape}; an image backbone returns a feature map or features."
        )
    wrapped = keras.Model(backbone.input, features, name=backbone_name(name))
    try:
        return wrapped(x)
    except ValueError as error:
        raise ValueError(
            f"Block {name!r}: the preset's backbone cannot read this block's images of shape "
            f"{shape}: {error}"
        ) from error


def _preset(inputs, spec, *, reg, image_filters, image_width_multiplier, image_weights):
    return preset_image_encoder(inputs, spec, preset=image_weights)


register_image_encoder(ImageEncoder("cnn", _small_cnn, "Conv2D stages, average + max pooling"))
register_image_encoder(
    ImageEncoder("preset", _preset, "a Keras-Hub image backbone from image_weights' directory")
)
for _name in application_names():
    register_image_encoder(
        ImageEncoder(_name, _backbone(_name), f"keras.applications.{_name}, no top")
    )


def image_block_encoder(
    inputs, spec, *, l2, image_encoder, image_filters, image_width_multiplier, image_weights
):
    """The encoder of an image block: the image encoder registered as ``image_encoder``
    (the small CNN, ``"cnn"``, or a ``keras.applications`` backbone of that name with
    ``image_weights`` its weights file)."""
    return get_image_encoder(image_encoder).function(
        inputs,
        spec,
        reg=l2_regularizer(l2),
        image_filters=image_filters,
        image_width_multiplier=image_width_multiplier,
        image_weights=image_weights,
    )
