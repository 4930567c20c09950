"""Plots: training history, the λ path, modality importance, confusion matrices.

Trains small networks on generated data whose label needs both the caption
and the image, then writes four figures made with `skmm.plotting` as PNG
files and prints their paths:

- `training_history.png`: loss and accuracy per epoch, training and
  validation, of a network trained with early stopping at a weak λ; the
  epoch whose weights it kept is marked;
- `l2_path.png`: the cross-validated accuracy of each λ along
  `MultimodalClassifierCV`'s path, the chosen λ marked;
- `modality_importance.png`: how much the held-out accuracy of the network
  refitted at the chosen λ drops when the caption, the image or the numbers
  are shuffled across rows;
- `confusion_matrices.png`: one confusion matrix per task of a multi-task
  network that learns the label, the shape in the image and the keyword in
  the caption at once.

Run:  python examples/plots.py --out-dir plots   (about 2 minutes on 2 CPU cores)
      python examples/plots.py --smoke           (under a minute; a check that it runs)
"""

import argparse
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window

import pandas as pd  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmm import (  # noqa: E402
    ImageNormalizer,
    MultimodalClassifier,
    MultimodalClassifierCV,
    MultimodalInput,
    TextTokenizer,
)
from skmm.datasets import make_multimodal_classification  # noqa: E402
from skmm.plotting import (  # noqa: E402
    L2ValidationCurveDisplay,
    ModalityImportanceDisplay,
    MultiTaskConfusionMatrixDisplay,
    TrainingHistoryDisplay,
)


def main(out_dir, smoke=False):
    start = time.perf_counter()
    if smoke:
        n_samples, size, epochs, l2s, cv, n_repeats = 120, 16, 2, [1e-4, 1e-1], 2, 1
    else:
        n_samples, size, epochs, l2s, cv, n_repeats = 600, 32, 15, 5, 3, 5
    data = make_multimodal_classification(
        n_samples=n_samples, image_size=size, return_X_y=False, random_state=0
    )
    X, y = data.data, data.target
    tasks = pd.DataFrame(
        {
            "label": y,
            "shape": data.shape_names[data.shape],
            "keyword": data.keyword_names[data.keyword],
        }
    )
    X_train, X_test, y_train, y_test, tasks_train, tasks_test = train_test_split(
        X, y, tasks, test_size=0.25, stratify=y, random_state=0
    )

    def inputs():
        return MultimodalInput(
            [
                ("caption", TextTokenizer(max_tokens=500, sequence_length=24), "caption"),
                ("image", ImageNormalizer(size=(size, size)), "image"),
                ("numbers", StandardScaler(), ["x0", "x1"]),
            ]
        )

    network = dict(
        epochs=epochs,
        learning_rate=3e-3,
        image_width_multiplier=0.25,
        random_state=0,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def save(display, name):
        path = out_dir / name
        display.figure_.savefig(path, dpi=100)
        written.append(path)

    # 1. Training history: early stopping holds out 15% of the training rows.
    early = make_pipeline(
        inputs(),
        MultimodalClassifier(
            l2=1e-4,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=4,
            metrics=["accuracy"],
            **network,
        ),
    ).fit(X_train, y_train)
    save(TrainingHistoryDisplay.from_estimator(early), "training_history.png")
    print(f"early stopping at l2=1e-4: held-out accuracy {early.score(X_test, y_test):.3f}")

    # 2. The λ path that MultimodalClassifierCV scored, without refitting anything.
    model = make_pipeline(inputs(), MultimodalClassifierCV(l2s=l2s, cv=cv, **network))
    model.fit(X_train, y_train)
    chosen = model[-1].l2_
    save(L2ValidationCurveDisplay.from_cv_results(model), "l2_path.png")
    print(f"chosen l2={chosen:g}: held-out accuracy {model.score(X_test, y_test):.3f}")

    # 3. Modality importance on the held-out rows: one shuffle per modality.
    importance = ModalityImportanceDisplay.from_estimator(
        model, X_test, y_test, n_repeats=n_repeats, random_state=0, scoring="accuracy"
    )
    save(importance, "modality_importance.png")
    for i in importance.order_:
        print(
            f"{importance.modalities[i]:<8} importance {importance.importances_mean[i]:+.3f}"
            f" ± {importance.importances_std[i]:.3f}"
        )

    # 4. A multi-task network: label, shape and keyword, one confusion matrix each.
    multi_task = make_pipeline(inputs(), MultimodalClassifier(l2=chosen, **network))
    multi_task.fit(X_train, tasks_train)
    save(
        MultiTaskConfusionMatrixDisplay.from_estimator(
            multi_task, X_test, tasks_test, colorbar=False
        ),
        "confusion_matrices.png",
    )

    for path in written:
        print(f"wrote {path}")
    print(f"run time: {time.perf_counter() - start:.0f} s")
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="folder for the PNG files (default: a new temporary folder)",
    )
    args = parser.parse_args()
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="skmm-plots-"))
    main(out_dir, smoke=args.smoke)
