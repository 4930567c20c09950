"""Quickstart: text, images and numbers in one scikit-learn pipeline.

Generates a table whose label needs both the caption and the image, then
prints cross-validated accuracy of a text-only, an image-only and a fused
network, and the L2 strength λ a grid search picks.

Run:  python examples/quickstart.py            (about 2 minutes on 2 CPU cores)
      python examples/quickstart.py --smoke    (seconds; a check that it runs)
"""

import argparse
import time

from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer
from skmm.datasets import make_multimodal_classification


def main(smoke=False):
    start = time.perf_counter()
    n_samples, epochs, cv = (120, 2, 2) if smoke else (600, 15, 3)
    X, y = make_multimodal_classification(n_samples=n_samples, random_state=0)

    blocks = {
        "text": ("text", TextTokenizer(max_tokens=5000, sequence_length=24), "caption"),
        "image": ("image", ImageNormalizer(size=(32, 32)), "image"),
        "tabular": ("tabular", StandardScaler(), ["x0", "x1"]),
    }

    def network(*names):
        classifier = MultimodalClassifier(
            epochs=epochs, learning_rate=3e-3, image_width_multiplier=0.25, random_state=0
        )
        return make_pipeline(MultimodalInput([blocks[n] for n in names]), classifier)

    print(f"{n_samples} rows; label = f(shape in image, keyword in caption)")
    results = {}
    for label, names in [
        ("text only", ["text"]),
        ("image only", ["image"]),
        ("fused (text + image + tabular)", ["text", "image", "tabular"]),
    ]:
        scores = cross_val_score(network(*names), X, y, cv=cv)
        results[label] = scores.mean()
        print(f"{label:<32} accuracy {scores.mean():.3f} ± {scores.std():.3f}")

    grid = {"multimodalclassifier__l2": [1e-5, 1e-1] if smoke else [1e-5, 1e-3, 1e-1]}
    search = GridSearchCV(network("text", "image", "tabular"), grid, cv=cv).fit(X, y)
    for l2, score in zip(
        grid["multimodalclassifier__l2"], search.cv_results_["mean_test_score"], strict=True
    ):
        print(f"l2={l2:<8g} cv accuracy {score:.3f}")
    print(f"best l2: {search.best_params_['multimodalclassifier__l2']:g}")
    print(f"run time: {time.perf_counter() - start:.0f} s")
    return results, search


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    main(smoke=parser.parse_args().smoke)
