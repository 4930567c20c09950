"""TextTokenizer fit + transform vs scikit-learn's CountVectorizer on the same documents.

Prints times and the ratio against the baseline measured in the same run.

Run:  python benchmarks/text_tokenizer.py [--n-docs 100000]
"""

import argparse
import time

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from skmm import TextTokenizer


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-docs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    words = [f"Word{i}" for i in range(5000)]
    lengths = rng.integers(5, 30, size=args.n_docs)
    docs = [" ".join(words[j] for j in rng.integers(0, len(words), size=n)) + "." for n in lengths]

    skmm_time = best_of(args.repeats, lambda: TextTokenizer(sequence_length=32).fit_transform(docs))
    sklearn_time = best_of(args.repeats, lambda: CountVectorizer().fit_transform(docs))
    print(f"{args.n_docs} documents, best of {args.repeats}")
    print(f"{'method':<40}{'seconds':>10}{'ratio':>8}")
    print(f"{'CountVectorizer fit_transform (baseline)':<40}{sklearn_time:>10.2f}{1.0:>8.2f}")
    print(f"{'TextTokenizer fit_transform':<40}{skmm_time:>10.2f}{skmm_time / sklearn_time:>8.2f}")


if __name__ == "__main__":
    main()
