"""Tests for skmm.preprocessing.VideoFrames on real clips written with PyAV."""

import os
import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import skmm.preprocessing._video_decoding as video_decoding
from skmm.preprocessing import LazyVideos, VideoFrames, frame_mask
from skmm.preprocessing._video_decoding import FrameSampling, frame_indices
from tests._video import moving_square, square_positions, write_clip

pytest.importorskip("av")

SUFFIXES = [".mp4", ".webm", ".avi", ".mkv", ".gif"]


def _raw(X, **params):
    params = {"size": (32, 32), "standardize": False, **params}
    return VideoFrames(**params).fit_transform(X)


def _sampling(**fields):
    base = dict(
        n_frames=4,
        fps=None,
        clip_seconds=None,
        clip_position="start",
        pad="zeros",
        max_frames=None,
        max_duration=None,
    )
    return FrameSampling(**{**base, **fields})


@pytest.fixture(scope="module")
def right_clip():
    """A square moving right one pixel per frame from column 4, 20 frames at 10 fps."""
    return moving_square(1, n_frames=20, size=32, start=4, rng=0)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_container_gives_the_sampled_frames(tmp_path, right_clip, suffix):
    path = write_clip(tmp_path / f"clip{suffix}", right_clip)
    frames = _raw([path], n_frames=5)
    assert frames.shape == (1, 5, 32, 32, 3) and frames.dtype == np.float32
    # uniform sampling: the middle frame of each fifth (2, 6, 10, 14, 18); the square's
    # left edge is at 4 + t (lossy codecs blur it by a pixel at most)
    positions = square_positions(frames[0])
    assert np.abs(np.subtract(positions, [6, 10, 14, 18, 22])).max() <= 1
    from_bytes = _raw([open(path, "rb").read()], n_frames=5)
    np.testing.assert_array_equal(from_bytes, frames)


def test_frame_indices_uniform_fps_window_and_short_clips():
    np.testing.assert_array_equal(frame_indices(20, 10.0, _sampling()), [2, 7, 12, 17])
    np.testing.assert_array_equal(frame_indices(3, 10.0, _sampling()), [0, 1, 2])
    # one frame every 1/5 s of a 10 fps clip: every second frame
    np.testing.assert_array_equal(frame_indices(20, 10.0, _sampling(fps=5.0)), [0, 2, 4, 6])
    np.testing.assert_array_equal(frame_indices(5, 10.0, _sampling(fps=5.0)), [0, 2, 4])
    window = _sampling(clip_seconds=0.8)  # 8 frames
    np.testing.assert_array_equal(frame_indices(20, 10.0, window), [1, 3, 5, 7])
    centred = _sampling(clip_seconds=0.8, clip_position="center")
    np.testing.assert_array_equal(frame_indices(20, 10.0, centred), [7, 9, 11, 13])
    # an array has no rate: with fps set it is read as recorded at fps
    np.testing.assert_array_equal(frame_indices(20, None, _sampling(fps=5.0)), [0, 1, 2, 3])


def test_fps_and_clip_window_on_a_file(tmp_path, right_clip):
    path = write_clip(tmp_path / "clip.mp4", right_clip)
    frames = _raw([path], n_frames=4, fps=5.0, clip_seconds=1.0, clip_position="center")
    # window of 10 frames centred (frames 5 .. 14), one frame in two from its start
    positions = square_positions(frames[0])
    assert np.abs(np.subtract(positions, [9, 11, 13, 15])).max() <= 1


def test_short_clip_is_padded_and_masked(tmp_path, right_clip):
    path = write_clip(tmp_path / "short.mp4", right_clip[:3])
    zeros = VideoFrames(n_frames=6, size=(16, 16)).fit_transform([path, path])
    np.testing.assert_array_equal(frame_mask(zeros), [[1, 1, 1, 0, 0, 0]] * 2)
    assert not zeros[:, 3:].any()
    repeat = VideoFrames(n_frames=6, size=(16, 16), pad="repeat").fit_transform([path])
    assert frame_mask(repeat).all()
    np.testing.assert_array_equal(repeat[0, 5], repeat[0, 2])
    np.testing.assert_array_equal(repeat[0, :3], zeros[0, :3])


def test_standardization_uses_real_frames_only(tmp_path, right_clip):
    short = write_clip(tmp_path / "short.webm", right_clip[:2])
    full = write_clip(tmp_path / "full.webm", right_clip)
    video = VideoFrames(n_frames=8, size=(16, 16), channels=1)
    out = video.fit_transform(pd.Series([short, None, full], name="clip"))
    real = frame_mask(out)
    assert real.sum() == 2 + 8 and not out[1].any()
    values = out[real]
    np.testing.assert_allclose(values.mean(), 0.0, atol=1e-4)
    np.testing.assert_allclose(values.std(), 1.0, atol=1e-3)
    np.testing.assert_array_equal(video.transform(pd.Series([short, None, full], name="clip")), out)
    assert video.get_block_info()["kind"] == "video"
    video.fit(pd.DataFrame({"clip": [short, full]}))
    assert video.feature_names_in_.tolist() == ["clip"]


def test_array_and_tuple_cells_and_numeric_stacks(right_clip):
    arrays = _raw([right_clip, right_clip[:, :, :, None].repeat(3, axis=3)], n_frames=5)
    np.testing.assert_array_equal(arrays[0], arrays[1])
    assert square_positions(arrays[0]) == [6, 10, 14, 18, 22]
    stacked = _raw(np.stack([right_clip, right_clip]), n_frames=5)
    np.testing.assert_array_equal(stacked, arrays)
    # a (frames, fps) tuple: 10 fps sampled at 5 fps keeps one frame in two
    tuples = _raw([(right_clip, 10.0)], n_frames=3, fps=5.0)
    assert square_positions(tuples[0]) == [4, 6, 8]
    with pytest.raises(ValueError, match=r"row 0 holds a \(frames, fps\) tuple with fps"):
        _raw([(right_clip, 0)])
    with pytest.raises(ValueError, match=r"row 1 holds an array of shape \(2, 32, 32, 7\)"):
        _raw([right_clip, np.zeros((2, 32, 32, 7), np.uint8)])


def test_missing_cells_follow_the_policy(right_clip):
    out = _raw(pd.Series([right_clip, None, np.nan, ""]), n_frames=2)
    assert out[0].any() and not out[1:].any()
    with pytest.raises(ValueError, match=r"column 'v', row 1 \(index label 'b'\) is missing"):
        _raw(pd.Series([right_clip, None], index=["a", "b"], name="v"), missing="error")
    with pytest.raises(ValueError, match="every one of the 2 training rows is missing"):
        _raw([None, None])
    with pytest.raises(TypeError, match=r"row 1 holds a value of type int"):
        _raw([right_clip, 3])


def test_lazy_output_equals_eager_and_does_not_depend_on_threads(tmp_path, right_clip):
    paths = [write_clip(tmp_path / f"c{k}.mp4", np.roll(right_clip, k, axis=2)) for k in range(6)]
    cells = pd.Series([paths[0], None, *paths[1:]], name="clip")
    eager = VideoFrames(n_frames=4, size=(16, 16), n_jobs=1).fit(cells)
    lazy = clone(eager).set_params(lazy=True, n_jobs=2).fit(cells)
    np.testing.assert_array_equal(lazy.mean_, eager.mean_)
    expected = eager.transform(cells)
    frames = lazy.transform(cells)
    assert isinstance(frames, LazyVideos) and frames.shape == expected.shape
    np.testing.assert_array_equal(frames[np.array([4, 0, 1])], expected[[4, 0, 1]])
    np.testing.assert_array_equal(np.asarray(frames.take([6, 2])), expected[[6, 2]])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(frames))[3], expected[3])


def test_root_confines_paths(tmp_path, right_clip):
    root = tmp_path / "root"
    root.mkdir()
    write_clip(root / "in.mp4", right_clip)
    outside = write_clip(tmp_path / "out.mp4", right_clip)
    assert _raw(["in.mp4"], root=root).shape[0] == 1
    for cell in ["../out.mp4", outside]:
        with pytest.raises(ValueError, match=r"row 0: video path .* is outside root"):
            _raw([cell], root=root)
    (root / "escape.mp4").symlink_to(outside)
    with pytest.raises(ValueError, match="outside root"):
        _raw(["escape.mp4"], root=root)
    with pytest.raises(ValueError, match=r"VideoFrames: root must be an existing directory"):
        _raw(["in.mp4"], root=tmp_path / "nowhere")


# -- hostile files (docs/hostile_input.md) ---------------------------------------------


def _raises(cells, match, **params):
    with pytest.raises(ValueError, match=match):
        _raw(pd.Series(cells, name="clip"), **params)


def test_directory_device_and_fifo_are_refused_before_opening(tmp_path, right_clip):
    good = write_clip(tmp_path / "good.mp4", right_clip)
    _raises([good, tmp_path], r"column 'clip', row 1 .*: path .* is a directory")
    _raises([good, "/dev/zero"], r"row 1 .*: path '/dev/zero' is a character device")
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    errors = []

    def run():
        try:
            _raw([good, fifo])
        except ValueError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "a FIFO blocked the decoder"
    assert "FIFO" in errors[0] and "row 1" in errors[0]


@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".gif", ".avi"])
def test_truncated_files_are_errors(tmp_path, right_clip, suffix):
    data = open(write_clip(tmp_path / f"clip{suffix}", right_clip), "rb").read()
    for fraction in (0.5, 0.9):
        cut = tmp_path / f"cut{suffix}"
        cut.write_bytes(data[: int(len(data) * fraction)])
        _raises([cut], rf"row 0 .*: video file '{cut}' .*(corrupt|truncated)")


def test_zero_byte_corrupt_and_unknown_files(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    _raises([empty], r"is empty \(0 bytes\)")
    _raises([b""], r"empty bytes")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(2000))
    _raises([junk], r"could not be opened as MP4 .* corrupt or truncated")
    text = tmp_path / "notes.mp4"
    text.write_text("just some text")
    _raises([text], r"is not a video container skmm decodes")
    _raises(["no/such/file.mp4"], r"video file not found")


def test_urls_and_playlists_are_never_followed(tmp_path, right_clip):
    """FFmpeg protocols and playlists (HLS, concat lists) reach no file: a path cell is
    opened by skmm itself, and the demuxer is one of the whitelist, chosen from the
    bytes."""
    secret = write_clip(tmp_path / "secret.mp4", right_clip)  # decodable, if followed
    playlist = tmp_path / "list.m3u8"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2.0,\n{secret}\n#EXT-X-ENDLIST\n"
    )
    disguised = tmp_path / "list.mp4"
    disguised.write_bytes(playlist.read_bytes())
    concat = tmp_path / "concat.txt"
    concat.write_text(f"ffconcat version 1.0\nfile '{secret}'\n")
    for cell in [playlist, disguised, concat, playlist.read_bytes()]:
        _raises([cell], r"is not a video container skmm decodes.*m3u8")
    for url in [
        f"concat:{secret}|{secret}",
        f"subfile,,start,0,end,0,,:{secret}",
        f"file:{secret}",
        "http://127.0.0.1:9/clip.mp4",
        "hls+file:" + str(playlist),
    ]:
        _raises([url], r"video file not found")


def test_header_limits_refuse_before_decoding(tmp_path, right_clip, monkeypatch):
    mp4 = write_clip(tmp_path / "clip.mp4", right_clip)  # 20 frames, 2 s, 32 x 32
    webm = write_clip(tmp_path / "clip.webm", right_clip)  # no frame count in the header

    def never(*args, **kwargs):
        raise AssertionError("frames were decoded")

    monkeypatch.setattr(video_decoding, "_decode_frames", never)
    _raises(
        [mp4], r"each frame of .* 32 x 32 = 1024 pixels exceeds max_pixels=1000", max_pixels=1000
    )
    _raises([mp4], r"declares 20 frames, more than max_frames=10", max_frames=10)
    _raises([webm], r"more than max_frames=10 frames", max_frames=10)
    for path in (mp4, webm):
        _raises([path], r"lasts 2 s, longer than max_duration=1 s", max_duration=1.0)


def test_decoding_reads_a_bounded_number_of_packets():
    """A stream whose packets never give a frame stops after PACKET_SLACK packets."""

    class Packet:
        size = 10

        def decode(self):
            return []

    class Container:
        read = 0

        def demux(self, stream):
            while True:
                self.read += 1
                yield Packet()

    container = Container()
    out = np.zeros((2, 4, 4, 3), np.float32)
    with pytest.raises(ValueError, match=r"gave 0 frames from 66 packets.*corrupt"):
        video_decoding._decode_frames(container, None, np.array([0, 1]), None, out, "row 0", "x")
    assert container.read == 2 + video_decoding.PACKET_SLACK + 1


def test_polars_column(tmp_path, right_clip):
    pl = pytest.importorskip("polars")
    path = write_clip(tmp_path / "clip.mp4", right_clip)
    series = pl.Series("clip", [path, None])
    out = _raw(series, n_frames=3)
    assert out.shape == (2, 3, 32, 32, 3) and not out[1].any()
    np.testing.assert_array_equal(out[:1], _raw([path], n_frames=3))
