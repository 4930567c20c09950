"""Fit time and peak memory at 1x, 4x and 16x rows, images in memory and lazy.

The quickstart data (caption, image, two numbers) is generated once for the
largest size, its images written as PNG files to a temporary folder. Each fit
of the quickstart pipeline (``TextTokenizer``, ``ImageNormalizer``,
``StandardScaler`` in a ``MultimodalInput``, then a ``MultimodalClassifier``,
fixed ``--epochs``) runs on the first ``n`` rows in a fresh Python process,
so its peak resident memory is its own (``VmHWM`` of ``/proc/self/status`` on
Linux, where a child's ``ru_maxrss`` starts at the RSS of the parent that
forked it; ``ru_maxrss`` elsewhere); the time covers
``pipeline.fit`` (reading and decoding the images included, imports not).
Images are decoded up front (``ImageNormalizer(lazy=False)``) or batch by
batch while training (``lazy=True``).

Each fit runs ``--repeats`` times (sizes and modes alternating); the table
shows the best time and the largest peak RSS. For each mode, ratios are
against its own 1x fit: ``time ratio`` (linear growth gives the rows ratio),
``time/row ratio`` (1.00 is linear; below 1 the fixed cost of a fit, building
and tracing the network, is spread over more rows) and ``RSS ratio`` (flat,
1.00, expected in lazy mode). ``s/1k extra rows`` is the time added per 1,000
rows since the previous size: constant when the growth is linear.

Run:  python benchmarks/scaling.py [--base-rows 500] [--epochs 2] [--image-size 32]
      python benchmarks/scaling.py --smoke    (lazy mode only, 32 and 128 rows)
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MULTIPLIERS = (1, 4, 16)


def peak_rss_mib():
    """Peak resident memory of this process, in MiB."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fit_once(folder, n, image_size, lazy, epochs):
    """Child process: fit the quickstart pipeline on n rows; print time and peak RSS."""
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer

    table = pd.read_csv(Path(folder) / "table.csv").iloc[:n]
    X, y = table.drop(columns="label"), table["label"]
    pipeline = make_pipeline(
        MultimodalInput(
            [
                ("text", TextTokenizer(max_tokens=5000, sequence_length=24), "caption"),
                ("image", ImageNormalizer(size=(image_size, image_size), lazy=lazy), "image"),
                ("tabular", StandardScaler(), ["x0", "x1"]),
            ]
        ),
        MultimodalClassifier(
            epochs=epochs, learning_rate=3e-3, image_width_multiplier=0.25, random_state=0
        ),
    )
    start = time.perf_counter()
    pipeline.fit(X, y)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mib": peak_rss_mib()}))


def measure(folder, n, image_size, lazy, epochs):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    args = [folder, str(n), str(image_size), str(lazy), str(epochs)]
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise RuntimeError(f"the fit on {n} rows (lazy={lazy}) failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-rows", type=int, default=500, help="rows at 1x")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tmp-dir", default=None, help="where to write the images")
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        folder, n, image_size, lazy, epochs = args.child
        return fit_once(folder, int(n), int(image_size), lazy == "True", int(epochs))
    multipliers, modes = MULTIPLIERS, (False, True)
    if args.smoke:  # two fits only (each child imports TensorFlow): lazy at 1x and 4x
        args.base_rows, args.epochs, args.image_size, args.repeats = 32, 1, 16, 1
        multipliers, modes = (1, 4), (True,)

    from skmm.datasets import make_multimodal_classification

    sizes = [args.base_rows * m for m in multipliers]
    with tempfile.TemporaryDirectory(prefix="skmm-scaling-", dir=args.tmp_dir) as folder:
        start = time.perf_counter()
        X, y = make_multimodal_classification(
            n_samples=sizes[-1], image_size=args.image_size, image_dir=folder, random_state=0
        )
        X.assign(label=y).to_csv(Path(folder) / "table.csv", index=False)
        written = time.perf_counter() - start
        runs = {(lazy, n): [] for lazy in modes for n in sizes}
        for _ in range(args.repeats):
            for n in sizes:  # both modes at each size, so a drift of the machine hits both alike
                for lazy in modes:
                    runs[lazy, n].append(measure(folder, n, args.image_size, lazy, args.epochs))
    results = {
        key: {
            "seconds": min(r["seconds"] for r in values),
            "peak_mib": max(r["peak_mib"] for r in values),
        }
        for key, values in runs.items()
    }

    print(
        f"{args.epochs} epochs, {args.image_size}x{args.image_size} PNG files "
        f"({sizes[-1]} written in {written:.0f} s), one fresh process per fit; "
        f"best time and largest peak RSS of {args.repeats}; ratios against the same mode at 1x"
    )
    print(
        f"{'mode':<11}{'rows':>7}{'rows ratio':>12}{'seconds':>9}{'time ratio':>12}"
        f"{'time/row ratio':>16}{'s/1k extra rows':>17}{'peak RSS MiB':>14}{'RSS ratio':>11}"
    )
    for lazy in modes:
        base = results[lazy, sizes[0]]
        for k, n in enumerate(sizes):
            r = results[lazy, n]
            rows_ratio = n / sizes[0]
            time_ratio = r["seconds"] / base["seconds"]
            marginal = "-"
            if k:
                previous = results[lazy, sizes[k - 1]]["seconds"]
                marginal = f"{(r['seconds'] - previous) / (n - sizes[k - 1]) * 1000:.2f}"
            print(
                f"{'lazy' if lazy else 'in memory':<11}{n:>7}{rows_ratio:>12.0f}"
                f"{r['seconds']:>9.1f}{time_ratio:>12.2f}{time_ratio / rows_ratio:>16.2f}"
                f"{marginal:>17}{r['peak_mib']:>14.0f}{r['peak_mib'] / base['peak_mib']:>11.2f}"
            )


if __name__ == "__main__":
    main()
