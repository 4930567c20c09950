"""Audio blocks, missing modalities and modality dropout, on real files."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import (
    AudioFeaturizer,
    ImageNormalizer,
    MultimodalClassifier,
    MultimodalInput,
    TextTokenizer,
)
from skmm.datasets import make_multimodal_classification
from tests.conftest import TINY

soundfile = pytest.importorskip("soundfile", reason="the audio extra is not installed")


@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    """Labelled wav files: class 0 a low tone, class 1 a high tone, both in noise."""
    folder = tmp_path_factory.mktemp("tones")
    rng = np.random.RandomState(0)
    rate, n = 8000, 80
    y = np.arange(n) % 2
    paths = []
    for i, label in enumerate(y):
        t = np.arange(int(0.25 * rate)) / rate
        freq = (300 if label == 0 else 1500) * rng.uniform(0.9, 1.1)
        clip = 0.5 * np.sin(2 * np.pi * freq * t) + 0.1 * rng.normal(size=t.size)
        path = folder / f"clip{i}.wav"
        soundfile.write(path, clip.astype("float32"), rate, subtype="PCM_16")
        paths.append(str(path))
    X = pd.DataFrame({"clip": paths, "x0": rng.normal(size=n)})
    return X, y


def test_audio_pipeline_learns_from_wav_files(tones):
    X, y = tones
    pre = MultimodalInput(
        [
            ("speech", AudioFeaturizer(sample_rate=8000, duration=0.25, n_mels=16), "clip"),
            ("tabular", StandardScaler(), ["x0"]),
        ]
    )
    clf = MultimodalClassifier(
        **{**TINY, "epochs": 15, "learning_rate": 0.01, "audio_filters": (8, 16)}
    )
    model = make_pipeline(pre, clf).fit(X, y)
    spec = clf.block_specs_["speech"]
    assert spec.kind == "audio" and spec.shape == (23, 16) and spec.presence
    assert "speech_conv0" in [layer.name for layer in clf.model_.layers]
    assert model.score(X, y) > 0.9


def test_missing_text_and_images_do_not_crash_fit_or_predict():
    X, y = make_multimodal_classification(n_samples=80, image_size=16, random_state=0)
    X = X.copy()
    X["image"] = X["image"].astype(object)
    X.loc[X.index[::4], "image"] = None
    X["caption"] = X["caption"].astype(object)
    X.loc[X.index[1::5], "caption"] = None
    pre = MultimodalInput(
        [
            ("text", TextTokenizer(sequence_length=12), "caption"),
            ("image", ImageNormalizer(size=(16, 16), missing="zeros"), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    blocks = pre.fit_transform(X)
    np.testing.assert_array_equal(blocks.masks["image"], X["image"].notna().to_numpy())
    np.testing.assert_array_equal(blocks.masks["text"], X["caption"].notna().to_numpy())
    assert not blocks["image"][0].any()  # the fill of a missing image is zeros
    model = make_pipeline(pre, MultimodalClassifier(**TINY)).fit(X, y)
    assert model.predict_proba(X).shape == (80, 2)
    # a row's missing image does not influence its prediction, whatever is filled in
    blocks = model[0].transform(X.iloc[:8])
    clf = model[-1]
    before = clf.predict_proba(blocks)
    filled = dict(blocks.items())
    filled["image"] = np.random.rand(*blocks["image"].shape).astype("float32")
    from skmm.compose import MultimodalBlocks

    after = clf.predict_proba(MultimodalBlocks(filled, blocks.specs, blocks.masks))
    missing = ~blocks.masks["image"]
    np.testing.assert_allclose(after[missing], before[missing], rtol=1e-5)
    assert not np.allclose(after[~missing], before[~missing])


def test_one_missing_cell_policy_for_text_image_and_audio(tones):
    # By default a missing cell (None, NaN, empty string) of any kind is an absent
    # block for that row (presence 0, zeros); missing="error" opts into an error
    # naming the column and the row; a missing file is an error either way.
    X, y = tones
    X = X.iloc[:24].copy()
    y = y[:24]
    X["note"] = np.where(y == 1, "high tone", "low tone").astype(object)
    X["picture"] = [np.full((8, 8, 3), 40 * (k % 3), dtype=np.uint8) for k in range(24)]
    X["clip"] = X["clip"].astype(object)
    X["picture"] = X["picture"].astype(object)
    for column, value in (("note", None), ("picture", np.nan), ("clip", "")):
        X.loc[X.index[5], column] = value
    audio = dict(sample_rate=8000, duration=0.25, n_mels=8)

    def make_input(**missing):
        return MultimodalInput(
            [
                ("text", TextTokenizer(sequence_length=4, **missing), "note"),
                ("image", ImageNormalizer(size=(8, 8), **missing), "picture"),
                ("speech", AudioFeaturizer(**audio, **missing), "clip"),
            ]
        )

    blocks = make_input().fit_transform(X)
    for name in ("text", "image", "speech"):
        assert not blocks.masks[name][5] and blocks.masks[name].sum() == 23
        assert not np.asarray(blocks[name][5]).any()
    model = make_pipeline(
        make_input(), MultimodalClassifier(**{**TINY, "audio_filters": (8,), "epochs": 2})
    )
    assert model.fit(X, y).predict_proba(X).shape == (24, 2)
    for column in ("note", "picture", "clip"):
        bad = X.copy()
        for other, value in (("note", "low tone"), ("picture", X["picture"].iloc[0])):
            if other != column:
                bad[other] = [value] * len(bad)
        if column != "clip":
            bad["clip"] = X["clip"].iloc[0]
        with pytest.raises(ValueError, match=rf"column '{column}', row 5 .*missing"):
            make_input(missing="error").fit_transform(bad)
    # a path to a file that does not exist is not a missing value
    gone = X.copy()
    gone.loc[gone.index[7], "clip"] = "no/such/clip.wav"
    with pytest.raises(ValueError, match=r"row 7.*not found"):
        make_input().fit_transform(gone)


def test_modality_dropout_copes_when_images_are_missing_at_test_time():
    X, y = make_multimodal_classification(n_samples=600, image_size=16, random_state=0)
    train, test = slice(0, 400), slice(400, 600)
    without_images = X.iloc[test].copy()
    without_images["image"] = None

    def accuracy_without_images(modality_dropout, seed):
        pre = MultimodalInput(
            [
                ("text", TextTokenizer(sequence_length=24), "caption"),
                ("image", ImageNormalizer(size=(16, 16), missing="zeros"), "image"),
                ("tabular", StandardScaler(), ["x0", "x1"]),
            ]
        )
        clf = MultimodalClassifier(
            epochs=15,
            learning_rate=5e-3,
            image_width_multiplier=0.25,
            modality_dropout=modality_dropout,
            # the fused head alone: the default blend already drops an absent
            # modality's head, which is what modality dropout teaches a fused head
            balance=None,
            random_state=seed,
        )
        model = make_pipeline(pre, clf).fit(X.iloc[train], y.iloc[train])
        return model.score(without_images, y.iloc[test])

    # The label is (shape XOR keyword) with informative numbers: without its image a
    # row keeps only the numbers' signal. Over seeds, the network trained with rows
    # whose image was dropped is at least as accurate on such rows as the one that
    # always saw its images (by about 0.02 here; a single seed can go either way).
    seeds = (0, 1, 2)
    plain = np.mean([accuracy_without_images(0.0, s) for s in seeds])
    dropped = np.mean([accuracy_without_images(0.3, s) for s in seeds])
    assert dropped >= plain and dropped > 0.55, (plain, dropped)
