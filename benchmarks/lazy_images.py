"""Fit on image files: lazy (decoded per batch) vs in memory; peak memory at scale.

Each measurement runs in a fresh Python process, so its peak resident memory
(ru_maxrss) is its own. Prints a table of seconds, peak RSS and ratios against
the in-memory fit measured in the same run.

Run:  python benchmarks/lazy_images.py [--n-small 2000] [--n-large 20000] [--size 128]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def fit_once(image_dir, n, size, lazy):
    """Child process: fit a small fused network on n image files, report time and RSS."""
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput

    frame = pd.read_csv(Path(image_dir) / "table.csv").iloc[:n]
    model = make_pipeline(
        MultimodalInput(
            [
                ("image", ImageNormalizer(size=(size, size), lazy=lazy), "image"),
                ("tabular", StandardScaler(), ["x0", "x1"]),
            ]
        ),
        MultimodalClassifier(epochs=1, batch_size=64, image_width_multiplier=0.125, random_state=0),
    )
    start = time.perf_counter()
    model.fit(frame[["image", "x0", "x1"]], frame["label"])
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def measure(image_dir, n, size, lazy):
    out = subprocess.run(
        [sys.executable, __file__, "--child", image_dir, str(n), str(size), str(lazy)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-small", type=int, default=2000)
    parser.add_argument("--n-large", type=int, default=20000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        image_dir, n, size, lazy = args.child
        return fit_once(image_dir, int(n), int(size), lazy == "True")

    from skmm.datasets import make_multimodal_classification

    with tempfile.TemporaryDirectory() as image_dir:
        start = time.perf_counter()
        X, y = make_multimodal_classification(
            n_samples=args.n_large, image_size=args.size, image_dir=image_dir, random_state=0
        )
        X.assign(label=y).to_csv(Path(image_dir) / "table.csv", index=False)
        print(
            f"wrote {args.n_large} PNG files of {args.size}x{args.size} in "
            f"{time.perf_counter() - start:.0f} s"
        )
        float32_gib = args.n_large * args.size**2 * 3 * 4 / 2**30
        rows = [
            (
                "in memory (baseline)",
                args.n_small,
                measure(image_dir, args.n_small, args.size, False),
            ),
            ("lazy", args.n_small, measure(image_dir, args.n_small, args.size, True)),
            ("lazy", args.n_large, measure(image_dir, args.n_large, args.size, True)),
        ]
    base = rows[0][2]
    print(
        f"\n1 epoch, {args.size}x{args.size} RGB; a float32 array of {args.n_large} "
        f"images alone is {float32_gib:.1f} GiB"
    )
    print(f"{'method':<22}{'images':>8}{'seconds':>9}{'time ratio':>12}{'peak RSS MiB':>14}")
    for name, n, r in rows:
        ratio = f"{r['seconds'] / base['seconds']:.2f}" if n == args.n_small else "-"
        print(f"{name:<22}{n:>8}{r['seconds']:>9.1f}{ratio:>12}{r['peak_mib']:>14.0f}")


if __name__ == "__main__":
    main()
