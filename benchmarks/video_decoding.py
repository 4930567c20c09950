"""Video decoding: frames/s of VideoFrames against a plain PyAV loop; peak memory of a
lazy fit on many clips.

1. Speed. ``--clips`` MP4 clips (``--frames`` frames of ``--source-size`` pixels,
   H.264, written with PyAV into a temporary folder) are decoded to 8 frames of
   64x64 each, three ways, each the best of ``--repeat`` runs: a plain
   single-threaded loop (PyAV opens each file, decodes its frames in order,
   converts the sampled ones to RGB and resizes them with Pillow: the same work,
   with FFmpeg's defaults), ``VideoFrames(n_jobs=1)`` and ``VideoFrames()`` (one
   thread per core, at most 8). Budget: threads ≥ 1.7x the plain loop on 2 cores.

2. Memory. A ``MultimodalClassifier`` is fitted for one epoch on ``--n-small``
   and on ``--n-large`` clip files given lazily (``VideoFrames(lazy=True)``),
   each fit in a fresh process (its peak resident memory, ru_maxrss, is its
   own). Budget: the large fit within 10 % of the small one.

Run:  python benchmarks/video_decoding.py [--clips 200] [--n-small 200] [--n-large 2000]
      [--smoke]  (about 3 minutes on 2 CPU cores; --smoke takes seconds and its
      figures mean nothing)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_FRAMES, SIZE = 8, 64


def write_clips(folder, n, n_frames, size, seed=0):
    """n H.264 clips of a bright blob wandering over noise; returns their paths."""
    import av

    rng = np.random.default_rng(seed)
    paths = []
    for k in range(n):
        path = str(Path(folder) / f"clip{k}.mp4")
        with av.open(path, mode="w") as container:
            stream = container.add_stream("libx264", rate=25)
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            background = rng.integers(0, 120, size=(size, size, 3), dtype=np.uint8)
            x, y = rng.integers(0, size // 2, size=2)
            for t in range(n_frames):
                frame = background.copy()
                left, top = (x + 2 * t) % (size - 16), (y + t) % (size - 16)
                frame[top : top + 16, left : left + 16] = 255
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        paths.append(path)
    return paths


def plain_loop(paths):
    """Single-threaded PyAV decoding of the same sampled frames, resized with Pillow."""
    import av
    from PIL import Image

    out = np.empty((len(paths), N_FRAMES, SIZE, SIZE, 3), dtype=np.float32)
    for row, path in enumerate(paths):
        with av.open(path) as container:
            stream = container.streams.video[0]
            total = stream.frames
            wanted = np.floor((np.arange(N_FRAMES) + 0.5) * total / N_FRAMES).astype(int)
            position, t = -1, 0
            for frame in container.decode(stream):
                position += 1
                while t < N_FRAMES and wanted[t] == position:
                    image = frame.to_image().resize((SIZE, SIZE), Image.BILINEAR)
                    out[row, t] = np.asarray(image, dtype=np.float32) / 255.0
                    t += 1
                if t == N_FRAMES:
                    break
    return out


def best_of(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def fit_once(folder, n):
    """Child process: one lazy epoch on the first n clips; print time and peak RSS."""
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    from skmm import MultimodalClassifier, MultimodalInput, VideoFrames

    paths = sorted(Path(folder).glob("clip*.mp4"), key=lambda p: int(p.stem[4:]))[:n]
    X = pd.DataFrame({"clip": [str(p) for p in paths]})
    y = np.arange(n) % 2
    model = make_pipeline(
        MultimodalInput([("clip", VideoFrames(n_frames=N_FRAMES, lazy=True), "clip")]),
        MultimodalClassifier(epochs=1, early_stopping=False, batch_size=32, random_state=0),
    )
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def measure_fit(folder, n, smoke=False):
    """Fit in a fresh process (its own peak RSS); a smoke run fits in this one, whose
    peak RSS means nothing, to spare two TensorFlow imports."""
    if smoke:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            fit_once(folder, n)
        return json.loads(buffer.getvalue().strip().splitlines()[-1])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    out = subprocess.run(
        [sys.executable, __file__, "--child", folder, str(n)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--source-size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-small", type=int, default=200)
    parser.add_argument("--n-large", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return fit_once(args.child[0], int(args.child[1]))
    if args.smoke:
        args.clips, args.frames, args.source_size, args.repeat = 6, 10, 64, 1
        args.n_small, args.n_large = 8, 16

    from skmm import VideoFrames

    print(f"{os.cpu_count()} CPU cores")
    with tempfile.TemporaryDirectory() as folder:
        paths = write_clips(folder, args.clips, args.frames, args.source_size)
        video = VideoFrames(n_frames=N_FRAMES, size=(SIZE, SIZE), standardize=False)
        threads = video.fit(paths[:1])
        serial = VideoFrames(n_frames=N_FRAMES, size=(SIZE, SIZE), standardize=False, n_jobs=1).fit(
            paths[:1]
        )
        reference = plain_loop(paths)
        difference = float(np.abs(threads.transform(paths) - reference).max())
        frames = len(paths) * N_FRAMES
        rows = [
            ("plain PyAV loop (baseline)", best_of(lambda: plain_loop(paths), args.repeat)),
            ("VideoFrames(n_jobs=1)", best_of(lambda: serial.transform(paths), args.repeat)),
            ("VideoFrames() threads", best_of(lambda: threads.transform(paths), args.repeat)),
        ]
        print(
            f"\n{len(paths)} H.264 clips of {args.frames} frames, {args.source_size}x"
            f"{args.source_size}, to {N_FRAMES} frames of {SIZE}x{SIZE} (largest difference "
            f"from the plain loop: {difference:.2g})"
        )
        print(f"{'method':<30}{'seconds':>9}{'frames/s':>10}{'speed-up':>10}")
        base = rows[0][1]
        for name, seconds in rows:
            print(f"{name:<30}{seconds:>9.2f}{frames / seconds:>10.0f}{base / seconds:>10.2f}")

        more = write_clips(folder, args.n_large, 16, 96, seed=1)
        for k, path in enumerate(more):  # the fit reads clip0 .. clip{n-1}
            os.replace(path, Path(folder) / f"clip{k}.mp4")
        small = measure_fit(folder, args.n_small, args.smoke)
        large = measure_fit(folder, args.n_large, args.smoke)
    print(f"\nlazy fit, 1 epoch, clips of 16 frames 96x96 -> {N_FRAMES} frames of {SIZE}x{SIZE}")
    print(f"{'clips':>7}{'seconds':>9}{'peak RSS MiB':>14}{'RSS ratio':>11}")
    for n, r in ((args.n_small, small), (args.n_large, large)):
        ratio = r["peak_mib"] / small["peak_mib"]
        print(f"{n:>7}{r['seconds']:>9.1f}{r['peak_mib']:>14.0f}{ratio:>11.2f}")
    eager_mib = args.n_large * N_FRAMES * SIZE * SIZE * 3 * 4 / 2**20
    print(f"(the decoded float32 array of {args.n_large} clips alone: {eager_mib:.0f} MiB)")


if __name__ == "__main__":
    main()
