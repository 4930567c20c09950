"""Video blocks in the estimators: learning motion, fusion with the clip's own audio
track, persistence and export, on real clips written with PyAV."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests._video import moving_square, write_clip

pytest.importorskip("av")

SMALL_VIDEO = dict(video_filters=(8, 16), video_units=16, hidden_units=(16,), random_state=0)


@pytest.fixture(scope="module")
def motion_clips(tmp_path_factory):
    """160 mp4 clips of a square moving left (0) or right (1); the label is the direction."""
    folder = tmp_path_factory.mktemp("motion")
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 80)
    paths = [
        write_clip(folder / f"clip{k}.mp4", moving_square(d, n_frames=10, size=32, rng=rng))
        for k, d in enumerate(y)
    ]
    X = pd.DataFrame({"clip": paths})
    return X, y


def _motion_model(video_encoder):
    from skmm import MultimodalClassifier, MultimodalInput, VideoFrames

    return make_pipeline(
        MultimodalInput([("clip", VideoFrames(n_frames=8, size=(32, 32), channels=1), "clip")]),
        MultimodalClassifier(video_encoder=video_encoder, epochs=30, **SMALL_VIDEO),
    )


@pytest.mark.parametrize("video_encoder, accuracy", [("mean", (0.0, 0.7)), ("gru", (0.9, 1.0))])
def test_direction_of_motion_needs_a_temporal_encoder(motion_clips, video_encoder, accuracy):
    """No single frame says which way the square moves: averaging the frames stays near
    chance, a temporal encoder learns it."""
    X, y = motion_clips
    model = _motion_model(video_encoder).fit(X.iloc[:120], y[:120])
    score = model.score(X.iloc[120:], y[120:])
    assert accuracy[0] <= score <= accuracy[1], score


def _speech_like(label, rng, rate=16000):
    """0.5 s of a tone whose pitch says the label."""
    t = np.arange(rate // 2) / rate
    tone = np.sin(2 * np.pi * (300 if label else 900) * t) * 0.4
    return (tone + rng.normal(0, 0.05, len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def talking_clips(tmp_path_factory):
    """Clips with an audio track (mp4 + AAC), a number beside them, and some missing."""
    folder = tmp_path_factory.mktemp("talking")
    rng = np.random.default_rng(1)
    y = np.tile([0, 1], 30)
    paths = []
    for k, label in enumerate(y):
        frames = moving_square(label, n_frames=6, size=16, side=4, rng=rng)
        audio = _speech_like(label, rng)
        paths.append(write_clip(folder / f"talk{k}.mp4", frames, audio=audio))
    X = pd.DataFrame({"clip": paths, "x": rng.normal(size=len(y))})
    X.loc[[3, 10], "clip"] = None
    return X, y


def _talking_input():
    from skmm import AudioFeaturizer, MultimodalInput, VideoFrames

    return MultimodalInput(
        [
            ("frames", VideoFrames(n_frames=4, size=(16, 16)), "clip"),
            ("sound", AudioFeaturizer(duration=0.5, n_mels=16), "clip"),
            ("tabular", StandardScaler(), ["x"]),
        ]
    )


@pytest.fixture(scope="module")
def talking_model(talking_clips):
    from skmm import MultimodalClassifier

    X, y = talking_clips
    model = make_pipeline(_talking_input(), MultimodalClassifier(epochs=4, **SMALL_VIDEO))
    return model.fit(X, y)


def test_one_video_column_feeds_frames_and_its_audio_track(talking_clips, talking_model):
    X, _ = talking_clips
    blocks = talking_model[0].transform(X.iloc[:12])
    assert blocks["frames"].shape == (12, 4, 16, 16, 3)
    assert blocks["sound"].shape[0] == 12
    assert blocks.specs["frames"].kind == "video" and blocks.specs["frames"].presence
    assert_array_equal(blocks.masks["frames"], [k not in (3, 10) for k in range(12)])
    assert_array_equal(blocks.masks["sound"], blocks.masks["frames"])
    assert not blocks["frames"][3].any()
    assert talking_model.predict_proba(X.iloc[:12]).shape == (12, 2)


def test_video_pipeline_saves_loads_and_exports_identically(talking_clips, talking_model, tmp_path):
    import onnxruntime
    import tensorflow as tf

    import skmm
    from skmm.network import serving_network

    X, _ = talking_clips
    query = X.iloc[:8]
    expected = talking_model.predict_proba(query)
    skmm.save(talking_model, tmp_path / "model.skmm")
    loaded = skmm.load(tmp_path / "model.skmm")
    assert_array_equal(loaded.predict_proba(query), expected)

    clf = talking_model[-1]
    inputs = skmm.serving_inputs(clf, talking_model[0].transform(query))
    assert inputs["frames"].shape == (8, 4, 16, 16, 3)
    reference = serving_network(clf.model_)(inputs, training=False).numpy()
    saved = skmm.export_saved_model(talking_model, tmp_path / "saved_model")
    signature = tf.saved_model.load(str(saved)).signatures["serving_default"]
    _, specs = signature.structured_input_signature
    assert tuple(specs["frames"].shape) == (None, 4, 16, 16, 3)
    assert_allclose(signature(**inputs)["output"].numpy(), reference, rtol=1e-5, atol=1e-6)
    onnx_path = skmm.export_onnx(talking_model, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    shapes = {i.name: i.shape for i in session.get_inputs()}
    assert shapes["frames"] == ["batch", 4, 16, 16, 3]
    assert_allclose(session.run(["output"], inputs)[0], reference, rtol=1e-5, atol=1e-6)


def test_regressor_classifier_cv_and_multi_task_take_video(talking_clips):
    from skmm import (
        MultimodalClassifier,
        MultimodalClassifierCV,
        MultimodalInput,
        MultimodalRegressor,
        VideoFrames,
    )

    X, y = talking_clips
    frames = MultimodalInput([("frames", VideoFrames(n_frames=3, size=(8, 8)), "clip")])
    blocks = frames.fit_transform(X, y)
    small = dict(epochs=1, **SMALL_VIDEO)
    regressor = MultimodalRegressor(video_encoder="conv", **small).fit(blocks, y * 2.0)
    assert regressor.predict(blocks).shape == (len(y),)
    cv = MultimodalClassifierCV(l2s=2, cv=2, path_epochs=1, video_encoder="attention", **small)
    assert cv.fit(blocks, y).predict(blocks).shape == (len(y),)
    targets = np.column_stack([y, 1 - y])
    multi = MultimodalClassifier(video_encoder="lstm", **small).fit(blocks, targets)
    assert multi.predict(blocks).shape == (len(y), 2)


def test_routed_video_settings_and_l2_on_every_kernel(talking_clips):
    from skmm import MultimodalClassifier

    X, y = talking_clips
    blocks = _talking_input().fit_transform(X, y)
    clf = MultimodalClassifier(epochs=1, l2=1e-3, **SMALL_VIDEO)
    clf.set_params(encoders__frames__encoder="conv", encoders__frames__filters=(4,))
    clf.fit(blocks, y)
    names = [layer.name for layer in clf.model_.layers]
    assert "frames_time_conv0" in names and "frames_frame_conv1" not in names
    conv = clf.model_.get_layer("frames_frame_conv0")
    assert conv.filters == 4 and conv.kernel_regularizer is not None
    assert clf.model_.get_layer("frames_time_conv0").kernel_regularizer is not None


def test_the_cli_trains_on_a_video_column(talking_clips, tmp_path, capsys):
    from tests.cli.test_errors import run

    X, y = talking_clips
    X.assign(label=y).to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "model.skmm"
    code, _, err = run(
        capsys,
        "fit",
        tmp_path / "train.csv",
        "--target",
        "label",
        "--video",
        "clip",
        "--numeric",
        "x",
        "--param",
        "epochs=1",
        "--param",
        "video_filters=(4,)",
        "--out",
        model,
    )
    assert code == 0, err
    code, out, err = run(capsys, "predict", model, tmp_path / "train.csv")
    assert code == 0, err
    assert len(out.strip().splitlines()) == len(y) + 1


def test_lazy_video_training_matches_training_in_memory(talking_clips):
    from skmm import MultimodalClassifier, MultimodalInput, VideoFrames

    X, y = talking_clips

    def model(lazy):
        pre = MultimodalInput([("frames", VideoFrames(n_frames=3, size=(8, 8), lazy=lazy), "clip")])
        classifier = MultimodalClassifier(epochs=2, shuffle=False, **SMALL_VIDEO)
        return make_pipeline(pre, classifier).fit(X, y)

    lazy, eager = model(True), model(False)
    assert type(lazy[0].transform(X.iloc[:4])["frames"]).__name__ == "LazyVideos"
    assert_array_equal(lazy.predict_proba(X), eager.predict_proba(X))


def test_modality_importance_of_a_video_block(talking_clips, talking_model):
    from skmm.plotting import modality_importance

    X, y = talking_clips
    result = modality_importance(talking_model, X, y, n_repeats=2, random_state=0)
    assert set(result.modalities) == {"frames", "sound", "tabular"}
