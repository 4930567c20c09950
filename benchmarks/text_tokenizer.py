"""TextTokenizer fit + transform vs scikit-learn's CountVectorizer and Keras' TextVectorization.

All methods get the same documents and, where they make id sequences, the same
``max_tokens`` (padding and out-of-vocabulary ids included) and sequence
length:

- ``CountVectorizer().fit_transform``: the bag-of-words reference (baseline of
  the ``ratio`` column; it makes no sequences);
- ``CountVectorizer().build_analyzer()`` tokenization: the analyzer splits and
  lower-cases every document, a ``Counter`` learns the vocabulary, and a
  Python loop writes padded id rows (what one would write by hand on top of
  scikit-learn);
- ``keras.layers.TextVectorization``: ``adapt`` on the documents, then a call
  on them (lower-case, strip punctuation, split on whitespace), as a NumPy
  array (the second baseline, column ``vs TV``);
- ``TextTokenizer.fit_transform``.

Prints the best of ``--repeats`` times and their ratios against the baselines
measured in the same run (methods alternate within each repeat). Budget:
TextTokenizer at least as fast as TextVectorization (``vs TV`` <= 1.00).

Run:  python benchmarks/text_tokenizer.py [--n-docs 100000]
      python benchmarks/text_tokenizer.py --smoke
"""

import argparse
import os
import time
from collections import Counter
from itertools import chain

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402

from skmm import TextTokenizer  # noqa: E402

MAX_TOKENS = 20_000  # TextTokenizer's default; counts the padding and OOV ids
SEQUENCE_LENGTH = 32


def count_vectorizer(docs):
    return CountVectorizer().fit_transform(docs)


def analyzer_tokenize(docs):
    """Padded id rows from CountVectorizer's analyzer: 0 padding, 1 out of vocabulary."""
    analyze = CountVectorizer().build_analyzer()
    tokenized = [analyze(doc) for doc in docs]
    counts = Counter(chain.from_iterable(tokenized))
    kept = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: MAX_TOKENS - 2]
    vocabulary = {token: i + 2 for i, (token, _) in enumerate(kept)}
    out = np.zeros((len(docs), SEQUENCE_LENGTH), dtype=np.int32)
    for row, tokens in enumerate(tokenized):
        ids = [vocabulary.get(token, 1) for token in tokens[:SEQUENCE_LENGTH]]
        out[row, : len(ids)] = ids
    return out


def text_vectorization(docs):
    import keras

    layer = keras.layers.TextVectorization(
        max_tokens=MAX_TOKENS, output_sequence_length=SEQUENCE_LENGTH
    )
    layer.adapt(docs)
    return np.asarray(layer(docs))


def text_tokenizer(docs):
    return TextTokenizer(max_tokens=MAX_TOKENS, sequence_length=SEQUENCE_LENGTH).fit_transform(docs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-docs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    if args.smoke:
        args.n_docs, args.repeats = 2000, 1
    rng = np.random.default_rng(0)
    words = [f"Word{i}" for i in range(5000)]
    lengths = rng.integers(5, 30, size=args.n_docs)
    docs = [" ".join(words[j] for j in rng.integers(0, len(words), size=n)) + "." for n in lengths]

    import keras  # noqa: F401  (imported before timing: TensorFlow's import is not measured)

    methods = [
        ("CountVectorizer fit_transform (baseline)", count_vectorizer),
        ("CountVectorizer analyzer + Counter + pad", analyzer_tokenize),
        ("keras TextVectorization adapt + call", text_vectorization),
        ("TextTokenizer fit_transform", text_tokenizer),
    ]
    times = {name: [] for name, _ in methods}
    outputs = {}
    for _ in range(args.repeats):
        for name, method in methods:
            start = time.perf_counter()
            outputs[name] = method(docs)
            times[name].append(time.perf_counter() - start)
    # The three sequence makers agree on the shape of what they make.
    for name, _ in methods[1:]:
        assert outputs[name].shape == (args.n_docs, SEQUENCE_LENGTH), name

    base = min(times[methods[0][0]])
    tv = min(times[methods[2][0]])
    print(
        f"{args.n_docs} documents, max_tokens={MAX_TOKENS}, sequence length "
        f"{SEQUENCE_LENGTH}, best of {args.repeats}"
    )
    print(f"{'method':<42}{'seconds':>10}{'ratio':>8}{'vs TV':>8}")
    for name, _ in methods:
        best = min(times[name])
        print(f"{name:<42}{best:>10.2f}{best / base:>8.2f}{best / tv:>8.2f}")
    skmm = min(times[methods[3][0]])
    verdict = "met" if skmm <= tv else f"MISSED by {(skmm / tv - 1) * 100:.0f}%"
    print(f"budget: TextTokenizer <= TextVectorization: {verdict}")


if __name__ == "__main__":
    main()
