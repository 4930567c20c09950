"""ImageNormalizer decoding image files (serial, threaded, lazy) vs a plain Pillow loop.

Writes ``--n-images`` random-ish images (half JPEG, half PNG, ``--size`` pixels
square) to a temporary folder, then times, in the same run and best of
``--repeats``:

(a) a plain single-process Pillow loop (open, convert to RGB, resize to
    ``--out-size``, ``np.asarray / 255`` into a preallocated float32 array):
    the baseline;
(b) ``ImageNormalizer(size=(out, out), n_jobs=1).fit_transform(paths)``;
(c) ``ImageNormalizer(size=(out, out)).fit_transform(paths)`` (decoding threads);
(d) ``ImageNormalizer(size=(out, out), lazy=True).fit(paths).transform(paths)``,
    then every row decoded in batches of 64 through ``__getitem__``.

The methods run in turn within each repeat, so a drift of the machine affects
them alike. ``speed-up`` is images/s over the baseline's images/s (higher is faster).

Run:  python benchmarks/image_decoding.py [--n-images 2000] [--size 128] [--out-size 64]
"""

import argparse
import os
import shutil
import tempfile
import time

import numpy as np
from PIL import Image

from skmm.preprocessing import ImageNormalizer
from skmm.preprocessing._image_reading import n_threads

BATCH = 64


def write_images(folder, n_images, size, seed=0):
    """Smooth colour gradients plus noise, so that JPEG and PNG sizes are realistic."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, size, dtype=np.float32)
    paths = []
    for k in range(n_images):
        weights = rng.random((3, 3), dtype=np.float32)
        base = (
            weights[:, 0] * ramp[:, None, None]
            + weights[:, 1] * ramp[None, :, None]
            + weights[:, 2] * ramp[::-1, None, None] * ramp[None, ::-1, None]
        )
        noise = rng.normal(0.0, 12.0, size=(size, size, 3)).astype(np.float32)
        pixels = np.clip(base / base.max() * 220 + noise + 16, 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels)
        if k % 2:
            path = os.path.join(folder, f"img{k:05d}.png")
            image.save(path)
        else:
            path = os.path.join(folder, f"img{k:05d}.jpg")
            image.save(path, quality=90)
        paths.append(path)
    return paths


def pillow_loop(paths, out_size):
    out = np.empty((len(paths), out_size, out_size, 3), dtype=np.float32)
    for k, path in enumerate(paths):
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize((out_size, out_size), Image.Resampling.BILINEAR)
        np.divide(np.asarray(rgb), np.float32(255.0), out=out[k])
    return out


def serial(paths, out_size):
    return ImageNormalizer(size=(out_size, out_size), n_jobs=1).fit_transform(paths)


def threaded(paths, out_size):
    return ImageNormalizer(size=(out_size, out_size)).fit_transform(paths)


def lazy_batches(paths, out_size):
    """The batches, as a training loop would get them (not joined into one array)."""
    lazy = ImageNormalizer(size=(out_size, out_size), lazy=True).fit(paths).transform(paths)
    return [lazy[start : start + BATCH] for start in range(0, len(lazy), BATCH)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-images", type=int, default=2000)
    parser.add_argument("--size", type=int, default=128, help="side of the source images")
    parser.add_argument("--out-size", type=int, default=64, help="side of the output images")
    parser.add_argument("--tmp-dir", default=None, help="where to write the images")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="skmm-image-bench-", dir=args.tmp_dir)
    try:
        paths = write_images(folder, args.n_images, args.size)
        methods = [
            ("Pillow loop, 1 process (baseline)", pillow_loop),
            ("ImageNormalizer n_jobs=1", serial),
            (f"ImageNormalizer threads ({n_threads(None)})", threaded),
            (f"ImageNormalizer lazy, batches of {BATCH}", lazy_batches),
        ]
        times = {name: [] for name, _ in methods}
        outputs = {}
        for _ in range(args.repeats):
            for name, method in methods:
                start = time.perf_counter()
                outputs[name] = method(paths, args.out_size)
                times[name].append(time.perf_counter() - start)
        # Threads and laziness do not change the output.
        reference = outputs[methods[1][0]]
        np.testing.assert_array_equal(outputs[methods[2][0]], reference)
        np.testing.assert_array_equal(np.concatenate(outputs[methods[3][0]]), reference)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(
        f"{args.n_images} images ({args.n_images - args.n_images // 2} JPEG, "
        f"{args.n_images // 2} PNG), {args.size}x{args.size} -> "
        f"{args.out_size}x{args.out_size}, best of {args.repeats}, "
        f"os.cpu_count()={os.cpu_count()}"
    )
    print(f"{'method':<40}{'seconds':>10}{'images/s':>11}{'speed-up':>10}")
    baseline = min(times[methods[0][0]])
    for name, _ in methods:
        best = min(times[name])
        print(f"{name:<40}{best:>10.3f}{args.n_images / best:>11.0f}{baseline / best:>10.2f}")


if __name__ == "__main__":
    main()
