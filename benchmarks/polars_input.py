"""Cost of polars input: ``MultimodalInput.fit_transform`` on polars vs pandas.

skmm reads a polars DataFrame by converting it, column by column, to the
pandas frame its transformers read (``skmm/_dataframes.py``; no pyarrow
needed). This script measures what that costs on a table of ``--rows`` rows
(10,000 by default) with a text column, two numeric columns and, in the
first pipeline, a column of PNG paths written to a temporary folder:

- pandas input (the baseline);
- the same table as a polars DataFrame;
- polars' own ``to_pandas()`` first (needs pyarrow), for comparison.

The three runs alternate ``--repeats`` times (7 by default) so that load on
the machine affects them alike; the table gives the best and the median
time and the ratio of medians to pandas. Budget: polars input at most 1.1x
the pandas time. The conversion alone is timed as well.

Run:  python benchmarks/polars_input.py [--rows 10000] [--repeats 7]
      python benchmarks/polars_input.py --smoke
"""

import argparse
import importlib.util
import statistics
import tempfile
import time

from sklearn.preprocessing import StandardScaler

from skmm import ImageNormalizer, MultimodalInput, TextTokenizer
from skmm._dataframes import as_pandas
from skmm.datasets import make_multimodal_classification

BUDGET = 1.1


def pipeline(images):
    blocks = [("text", TextTokenizer(max_tokens=5000, sequence_length=32), "caption")]
    if images:
        blocks.append(("image", ImageNormalizer(size=(32, 32)), "image"))
    blocks.append(("numbers", StandardScaler(), ["x0", "x1"]))
    return MultimodalInput(blocks)


def timed(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def interleaved(inputs, images, repeats):
    """Alternate the inputs; each ``inputs`` value returns the table to fit on."""
    times = {name: [] for name in inputs}
    for table in inputs.values():  # warm-up
        pipeline(images).fit_transform(table())
    for _ in range(repeats):
        for name, table in inputs.items():
            start = time.perf_counter()
            pipeline(images).fit_transform(table())
            times[name].append(time.perf_counter() - start)
    return times


def main(rows, repeats):
    import polars as pl

    with tempfile.TemporaryDirectory() as folder:
        X, _ = make_multimodal_classification(
            n_samples=rows, image_size=32, image_dir=folder, random_state=0
        )
        X_polars = pl.from_dict(
            {
                "caption": pl.Series(X["caption"].tolist(), dtype=pl.String),
                "image": pl.Series(X["image"].tolist(), dtype=pl.String),
                "x0": X["x0"].to_numpy(),
                "x1": X["x1"].to_numpy(),
            }
        )
        inputs = {"pandas": lambda: X, "polars": lambda: X_polars}
        if importlib.util.find_spec("pyarrow"):
            inputs["polars to_pandas()"] = lambda: X_polars.to_pandas()
        print(f"{rows} rows, {repeats} alternating runs each; ratio = median / pandas median")
        print(f"{'pipeline':26} {'input':20} {'best s':>8} {'median s':>9} {'ratio':>6} budget")
        for images, label in ((True, "text+numbers+image paths"), (False, "text+numbers")):
            times = interleaved(inputs, images, repeats)
            base = statistics.median(times["pandas"])
            for name, values in times.items():
                ratio = statistics.median(values) / base
                budget = "" if name != "polars" else ("met" if ratio <= BUDGET else "MISSED")
                print(
                    f"{label:26} {name:20} {min(values):8.3f} {statistics.median(values):9.3f}"
                    f" {ratio:6.3f} {budget}"
                )
        conversion = timed(lambda: as_pandas(X_polars, "benchmark"), max(repeats, 5))
        print(f"conversion alone (skmm): median {statistics.median(conversion) * 1e3:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    main(200 if args.smoke else args.rows, 2 if args.smoke else args.repeats)
