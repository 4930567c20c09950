"""Keras layers and model assembly, built from block specs.

This subpackage knows nothing of scikit-learn or pandas.
"""

from .. import _quiet_import  # noqa: F401  (first: TensorFlow without its start-up lines)
from ._assembly import IMAGE_AUGMENTATIONS, build_fused_network, encoder_setting_names
from ._balancing import (
    BALANCES,
    BranchEarlyStopping,
    GradientModulation,
    blend_layer,
    ensemble_groups,
    fit_blend_weights,
    head_loss_weights,
    modulated_blocks,
    per_output,
    serving_network,
)
from ._encoders import (
    TEXT_ENCODERS,
    TextEncoder,
    audio_block_encoder,
    get_text_encoder,
    register_text_encoder,
    tabular_block_encoder,
    text_block_encoder,
    text_encoder_names,
    unregister_text_encoder,
)
from ._fusions import (
    FUSION_SETTINGS,
    FUSIONS,
    Fusion,
    fusion_names,
    get_fusion,
    register_fusion,
    unregister_fusion,
)
from ._image_encoders import (
    ImageEncoder,
    application_names,
    get_image_encoder,
    image_block_encoder,
    image_encoder_names,
    register_image_encoder,
    unregister_image_encoder,
)
from ._inference import PredictFunction
from ._layers import AdjustableL2, DetachedFeatures, HeadBlend, ModulatedGradient
from ._losses import MultiTaskCrossEntropy

__all__ = [
    "AdjustableL2",
    "BALANCES",
    "BranchEarlyStopping",
    "DetachedFeatures",
    "FUSIONS",
    "FUSION_SETTINGS",
    "Fusion",
    "GradientModulation",
    "HeadBlend",
    "IMAGE_AUGMENTATIONS",
    "ModulatedGradient",
    "MultiTaskCrossEntropy",
    "TEXT_ENCODERS",
    "TextEncoder",
    "PredictFunction",
    "application_names",
    "audio_block_encoder",
    "blend_layer",
    "build_fused_network",
    "ensemble_groups",
    "encoder_setting_names",
    "fit_blend_weights",
    "fusion_names",
    "get_fusion",
    "get_text_encoder",
    "image_block_encoder",
    "ImageEncoder",
    "get_image_encoder",
    "image_encoder_names",
    "register_image_encoder",
    "unregister_image_encoder",
    "head_loss_weights",
    "modulated_blocks",
    "per_output",
    "register_fusion",
    "register_text_encoder",
    "serving_network",
    "tabular_block_encoder",
    "text_block_encoder",
    "text_encoder_names",
    "unregister_fusion",
    "unregister_text_encoder",
]
