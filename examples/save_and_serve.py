"""Save, load and serve: one file for Python, SavedModel and ONNX for serving.

Fits a small multimodal pipeline, saves it with `skmm.save` (one file whose
loading runs no code from the file), loads it back and checks the
predictions are identical. Then exports the fitted network as a TensorFlow
SavedModel and, when the `export` extra is installed, as an ONNX model, and
feeds both the arrays `skmm.serving_inputs` prepares from raw rows, printing
how far each runtime's probabilities are from the pipeline's.
"""

import argparse
import importlib.util
import tempfile
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmm
from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer
from skmm.datasets import make_multimodal_classification


def main(out_dir, smoke=False):
    out_dir = Path(out_dir)
    n_samples, epochs = (80, 1) if smoke else (600, 10)
    X, y = make_multimodal_classification(n_samples=n_samples, image_size=16, random_state=0)
    pipeline = make_pipeline(
        MultimodalInput(
            [
                ("text", TextTokenizer(max_tokens=2000, sequence_length=24), "caption"),
                ("image", ImageNormalizer(size=(16, 16)), "image"),
                ("tabular", StandardScaler(), ["x0", "x1"]),
            ]
        ),
        MultimodalClassifier(epochs=epochs, image_width_multiplier=0.25, random_state=0),
    ).fit(X, y)
    X_new = X.iloc[:5]
    expected = pipeline.predict_proba(X_new)

    path = out_dir / "model.skmm"
    skmm.save(pipeline, path)
    loaded = skmm.load(path)
    identical = np.array_equal(loaded.predict_proba(X_new), expected)
    print(f"saved {path} ({path.stat().st_size / 1e6:.1f} MB); identical after load: {identical}")

    inputs = skmm.serving_inputs(pipeline, X_new)
    print("serving inputs:", {name: array.shape for name, array in inputs.items()})

    import tensorflow as tf

    skmm.export_saved_model(pipeline, out_dir / "saved_model")
    serve = tf.saved_model.load(str(out_dir / "saved_model")).signatures["serving_default"]
    served = serve(**inputs)["output"].numpy()
    print(f"SavedModel largest difference: {np.abs(served[:, -1] - expected[:, 1]).max():.1e}")

    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("tf2onnx"):
        import onnxruntime

        skmm.export_onnx(pipeline, out_dir / "model.onnx")
        session = onnxruntime.InferenceSession(
            str(out_dir / "model.onnx"), providers=["CPUExecutionProvider"]
        )
        onnx_out = session.run(["output"], inputs)[0]
        print(f"ONNX largest difference: {np.abs(onnx_out[:, -1] - expected[:, 1]).max():.1e}")
    else:
        print('ONNX skipped: install the export extra, pip install "skmm[export]"')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument("--out-dir", help="where to write the files (default: a temporary folder)")
    args = parser.parse_args()
    if args.out_dir:
        main(args.out_dir, smoke=args.smoke)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(tmp, smoke=args.smoke)
