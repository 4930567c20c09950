"""Synthetic multimodal classification data (caption + image + numbers)."""

import numbers
import os
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_multimodal_classification"]

# Shapes drawn in the images, indexed by the latent shape value.
SHAPE_NAMES = ("circle", "square", "triangle", "cross", "diamond", "ring", "frame", "x")

# Content words placed in the captions, indexed by the latent keyword value.
KEYWORDS = ("apple", "river", "violin", "rocket", "garden", "castle", "pepper", "tiger")

# Filler vocabulary of the captions. Disjoint from KEYWORDS and from SHAPE_NAMES.
FILLER_WORDS = (
    "the", "a", "an", "of", "and", "to", "in", "on", "with", "for",
    "at", "by", "from", "this", "that", "it", "is", "was", "very", "some",
    "many", "few", "small", "large", "old", "new", "bright", "dark", "near", "over",
    "under", "behind", "looks", "seems", "shows", "here", "there", "today", "again", "quite",
    "rather", "just", "really", "maybe", "nice", "plain", "simple", "little", "another", "every",
)  # fmt: skip

MAX_CLASSES = len(SHAPE_NAMES)

# Each modality alone closes this share of the gap between chance (1 / n_classes)
# and perfect accuracy; both together determine the class exactly.
_SINGLE_MODALITY_SHARE = 0.4

# Caption length, in words (keyword included), drawn uniformly in [min, max].
_MIN_WORDS, _MAX_WORDS = 6, 20

# Shape size as a fraction of the image side, drawn uniformly in [min, max].
_MIN_SHAPE_FRAC, _MAX_SHAPE_FRAC = 0.4, 0.8

# Standard deviation of the pixel noise added to every image (0-255 scale).
_PIXEL_NOISE_STD = 8.0

# Distance between the means of x0 for consecutive classes (unit-variance noise).
_NUMERIC_SHIFT = 0.5

# Libraries make_multimodal_classification can return its tables in.
_OUTPUTS = ("pandas", "polars")


def _latent_joint(n_classes):
    """Joint distribution of the latent (shape, keyword) pair.

    The class is ``(shape + keyword) % n_classes``. The table is a mixture of a
    uniform table and a "hint" table ``H`` in which every row (shape) and every
    column (keyword) has a single most likely cell, and every class is the most
    likely one for exactly one shape and one keyword. ``H`` gives each class the
    same mass, so the classes are balanced.

    For odd ``n_classes``, ``H`` is uniform on the diagonal (cell ``(t, t)`` has
    class ``2t``, and ``t -> 2t`` is a bijection). For even ``n_classes = 2m``
    (where no such diagonal exists), ``H`` puts ``1 / n_classes`` on the
    ``n_classes - 1`` cells ``(t, t)`` for ``t < m`` and ``(t, t + 1)`` for
    ``m <= t < 2m - 1`` (distinct rows, columns and classes, the missing class
    being ``2m - 1``), and half of that on the cells ``(2m - 1, 0)`` and
    ``(m - 1, m)``, which belong to the missing class and are the most likely
    cells of the free row and of the free column respectively.

    Returns
    -------
    table : ndarray of shape (n_classes, n_classes)
        ``table[s, w]`` is the probability of shape ``s`` with keyword ``w``.
    """
    k = n_classes
    hint = np.zeros((k, k))
    if k % 2:
        hint[np.arange(k), np.arange(k)] = 1.0 / k
        row_max_sum = 1.0
    else:
        m = k // 2
        for t in range(m):
            hint[t, t] = 1.0 / k
        for t in range(m, k - 1):
            hint[t, t + 1] = 1.0 / k
        hint[k - 1, 0] = 0.5 / k
        hint[m - 1, m] = 0.5 / k
        row_max_sum = (k - 1) / k + 0.5 / k
    # Bayes accuracy from one modality is (1 - lam) / k + lam * row_max_sum.
    lam = _SINGLE_MODALITY_SHARE * (1.0 - 1.0 / k) / (row_max_sum - 1.0 / k)
    return lam * hint + (1.0 - lam) / (k * k)


def _check_int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}.")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value}.")
    return int(value)


def _check_generator(random_state):
    """Turn ``random_state`` into a ``numpy.random.Generator``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not 0 <= random_state < 2**32:
        raise ValueError(
            f"random_state must be an int in [0, 2**32 - 1] when an int, got {random_state}."
        )
    try:
        state = check_random_state(random_state)
    except ValueError:
        raise TypeError(
            "random_state must be None, an int, a numpy.random.RandomState or a "
            f"numpy.random.Generator, got {random_state!r}."
        ) from None
    return np.random.default_rng(state.randint(0, 2**32, size=4, dtype=np.uint32))


def _draw_shape(draw, shape, cx, cy, size, colour):
    """Draw one filled or outlined shape of side/diameter ``size`` centred on (cx, cy)."""
    h = size / 2.0
    x0, y0, x1, y1 = cx - h, cy - h, cx + h, cy + h
    stroke = max(2, int(round(size / 6.0)))
    if shape == "circle":
        draw.ellipse([x0, y0, x1, y1], fill=colour)
    elif shape == "square":
        draw.rectangle([x0, y0, x1, y1], fill=colour)
    elif shape == "triangle":
        draw.polygon([(cx, y0), (x1, y1), (x0, y1)], fill=colour)
    elif shape == "cross":
        t = size / 6.0
        draw.rectangle([cx - t, y0, cx + t, y1], fill=colour)
        draw.rectangle([x0, cy - t, x1, cy + t], fill=colour)
    elif shape == "diamond":
        draw.polygon([(cx, y0), (x1, cy), (cx, y1), (x0, cy)], fill=colour)
    elif shape == "ring":
        draw.ellipse([x0, y0, x1, y1], outline=colour, width=stroke)
    elif shape == "frame":
        draw.rectangle([x0, y0, x1, y1], outline=colour, width=stroke)
    elif shape == "x":
        width = max(2, int(round(size / 4.0)))
        draw.line([(x0, y0), (x1, y1)], fill=colour, width=width)
        draw.line([(x0, y1), (x1, y0)], fill=colour, width=width)
    else:  # pragma: no cover - internal names only
        raise ValueError(f"unknown shape {shape!r}")


def _make_images(rng, shapes, image_size):
    """Draw one RGB uint8 image per latent shape index."""
    n = len(shapes)
    side = image_size
    sizes = rng.uniform(_MIN_SHAPE_FRAC, _MAX_SHAPE_FRAC, size=n) * side
    # Centre positions keep the whole shape inside the image.
    cx = sizes / 2.0 + rng.uniform(0.0, 1.0, size=n) * (side - 1 - sizes)
    cy = sizes / 2.0 + rng.uniform(0.0, 1.0, size=n) * (side - 1 - sizes)
    # Dark background with a bright shape, or (inverted) the other way round.
    background = rng.integers(0, 80, size=(n, 3))
    foreground = rng.integers(150, 256, size=(n, 3))
    invert = rng.random(size=n) < 0.5
    background[invert] = 255 - background[invert]
    foreground[invert] = 255 - foreground[invert]

    images = []
    for i in range(n):
        img = Image.new("RGB", (side, side), tuple(int(v) for v in background[i]))
        _draw_shape(
            ImageDraw.Draw(img),
            SHAPE_NAMES[shapes[i]],
            float(cx[i]),
            float(cy[i]),
            float(sizes[i]),
            tuple(int(v) for v in foreground[i]),
        )
        noise = rng.normal(0.0, _PIXEL_NOISE_STD, size=(side, side, 3))
        pixels = np.asarray(img, dtype=np.float64) + noise
        images.append(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))
    return images


def _make_captions(rng, keywords):
    """Random filler sentences of 6-20 words, each containing one keyword."""
    n = len(keywords)
    lengths = rng.integers(_MIN_WORDS, _MAX_WORDS + 1, size=n)
    fillers = rng.integers(0, len(FILLER_WORDS), size=(n, _MAX_WORDS - 1))
    positions = np.floor(rng.random(size=n) * lengths).astype(int)
    captions = []
    for i in range(n):
        words = [FILLER_WORDS[j] for j in fillers[i, : lengths[i] - 1]]
        words.insert(positions[i], KEYWORDS[keywords[i]])
        sentence = " ".join(words)
        captions.append(sentence[0].upper() + sentence[1:] + ".")
    return captions


def make_multimodal_classification(
    n_samples=600,
    *,
    n_classes=2,
    image_size=32,
    image_dir=None,
    n_numeric=2,
    label_noise=0.0,
    return_X_y=True,
    output="pandas",
    random_state=None,
):
    """Generate a classification problem that needs both text and image.

    Every sample has a latent *shape* ``s`` (drawn in an RGB image: circle,
    square, triangle, cross, diamond, ring, frame or x, at a random position,
    size and colour on a mildly noisy background) and a latent *keyword* ``w``
    (a content word hidden in a random caption of 6-20 filler words). The class
    is ``(s + w) % n_classes``, with ``s`` and ``w`` in ``0 .. n_classes - 1``.

    The pair ``(s, w)`` is drawn from a non-uniform joint distribution with
    balanced classes, chosen so that the shape alone, or the keyword alone,
    closes 40% of the gap between chance and perfect accuracy (a Bayes-optimal
    accuracy of 0.70 for two classes, 0.60 for three), while both together
    determine the class. Numeric columns are standard Gaussian noise, except
    ``x0`` whose mean shifts by 0.5 per class (a weak signal).

    Parameters
    ----------
    n_samples : int, default=600
        Number of samples (rows).

    n_classes : int, default=2
        Number of classes, between 2 and 8. The first ``n_classes`` shapes and
        keywords are used.

    image_size : int, default=32
        Side, in pixels, of the square RGB images. At least 8.

    image_dir : str or path-like, default=None
        If None, the ``"image"`` column holds uint8 arrays of shape
        ``(image_size, image_size, 3)``. Otherwise the images are written as
        PNG files ``img_00000.png``, ``img_00001.png``, ... into this directory
        (created if missing, existing files of the same name overwritten) and
        the ``"image"`` column holds their paths as strings.

    n_numeric : int, default=2
        Number of numeric columns ``"x0"``, ``"x1"``, ...; may be 0.

    label_noise : float, default=0.0
        Fraction of the labels, between 0 and 1, replaced by a different class
        drawn at random (``round(label_noise * n_samples)`` labels). Features
        are generated from the clean class.

    return_X_y : bool, default=True
        If True, return ``(X, y)``. Otherwise return a
        `Bunch`.

    output : {"pandas", "polars"}, default="pandas"
        Library of the returned tables. ``"polars"`` (needs polars) gives a
        polars DataFrame and Series with the same values: ``"caption"`` is a
        String column, ``"image"`` an ``Array(UInt8, (image_size, image_size,
        3))`` column (or a String column of paths with ``image_dir``), the
        numeric columns Float64 and ``"label"`` Int64.

    random_state : int, numpy.random.RandomState, numpy.random.Generator or None, \
default=None
        Controls all randomness. Pass an int for reproducible output.

    Returns
    -------
    X : pandas.DataFrame or polars.DataFrame of shape (n_samples, 2 + n_numeric)
        Columns ``"caption"`` (str), ``"image"`` (object: arrays or paths) and
        ``"x0"``, ``"x1"``, ... (float64).

    y : pandas.Series or polars.Series of shape (n_samples,)
        Integer labels in ``0 .. n_classes - 1``, named ``"label"``.

    data : sklearn.utils.Bunch
        Returned instead of ``(X, y)`` when ``return_X_y=False``, with fields
        ``frame`` (``X`` with a ``"label"`` column), ``data`` (``X``),
        ``target`` (``y``), ``feature_names``, ``target_names``, ``DESCR``, and
        the latent variables ``shape`` and ``keyword`` (int arrays; the clean
        class is ``(shape + keyword) % n_classes``) with their names
        ``shape_names`` and ``keyword_names``.

    Examples
    --------
    >>> from skmm.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=5, random_state=0)
    >>> list(X.columns)
    ['caption', 'image', 'x0', 'x1']
    >>> X["image"].iloc[0].shape, X["image"].iloc[0].dtype
    ((32, 32, 3), dtype('uint8'))
    >>> y.name, sorted(set(y) | {0, 1})
    ('label', [0, 1])
    >>> data = make_multimodal_classification(n_samples=5, return_X_y=False, random_state=0)
    >>> bool(((data.shape + data.keyword) % 2 == data.target).all())
    True
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_classes = _check_int(n_classes, "n_classes", 2)
    if n_classes > MAX_CLASSES:
        raise ValueError(f"n_classes must be an integer <= {MAX_CLASSES}, got {n_classes}.")
    image_size = _check_int(image_size, "image_size", 8)
    n_numeric = _check_int(n_numeric, "n_numeric", 0)
    if isinstance(label_noise, bool) or not isinstance(label_noise, numbers.Real):
        raise TypeError(f"label_noise must be a float in [0, 1], got {label_noise!r}.")
    if not 0.0 <= label_noise <= 1.0:  # also rejects NaN
        raise ValueError(f"label_noise must be a float in [0, 1], got {label_noise!r}.")
    if not isinstance(return_X_y, bool | np.bool_):
        raise TypeError(f"return_X_y must be a bool, got {return_X_y!r}.")
    if not (isinstance(output, str) and output in _OUTPUTS):
        raise ValueError(f"output must be one of {_OUTPUTS}, got {output!r}.")
    if image_dir is not None and not isinstance(image_dir, str | os.PathLike):
        raise TypeError(f"image_dir must be None, a str or a path-like object, got {image_dir!r}.")
    rng = _check_generator(random_state)

    # Latent shape and keyword, and the clean class.
    table = _latent_joint(n_classes)
    cells = rng.choice(n_classes * n_classes, size=n_samples, p=table.ravel())
    shape, keyword = np.divmod(cells, n_classes)
    clean = (shape + keyword) % n_classes

    # Numeric columns: Gaussian noise, x0 weakly tied to the clean class.
    numeric = rng.normal(size=(n_samples, n_numeric))
    if n_numeric:
        numeric[:, 0] += _NUMERIC_SHIFT * (clean - (n_classes - 1) / 2.0)

    # Label noise: flip an exact number of labels to a different class.
    label = clean.copy()
    n_flip = int(round(label_noise * n_samples))
    if n_flip:
        flip = rng.choice(n_samples, size=n_flip, replace=False)
        offset = rng.integers(1, n_classes, size=n_flip)
        label[flip] = (label[flip] + offset) % n_classes

    captions = _make_captions(rng, keyword)
    images = _make_images(rng, shape, image_size)

    if image_dir is not None:
        directory = Path(image_dir)
        directory.mkdir(parents=True, exist_ok=True)
        width = max(5, len(str(n_samples - 1)))
        paths = []
        for i, pixels in enumerate(images):
            path = directory / f"img_{i:0{width}d}.png"
            Image.fromarray(pixels).save(path, format="PNG")
            paths.append(str(path))
        image_column = pd.Series(paths, dtype=object)
    else:
        image_column = np.empty(n_samples, dtype=object)
        for i, pixels in enumerate(images):
            image_column[i] = pixels
        image_column = pd.Series(image_column, dtype=object)

    columns = {"caption": pd.Series(captions, dtype="str"), "image": image_column}
    for j in range(n_numeric):
        columns[f"x{j}"] = pd.Series(numeric[:, j], dtype=np.float64)
    X = pd.DataFrame(columns)
    y = pd.Series(label.astype(np.int64), name="label")
    if output == "polars":
        X, y = _as_polars(captions, images if image_dir is None else paths, numeric, y)

    if return_X_y:
        return X, y

    frame = X.assign(label=y) if output == "pandas" else X.with_columns(y)
    return Bunch(
        frame=frame,
        data=X,
        target=y,
        feature_names=list(X.columns),
        target_names=np.array([f"class_{k}" for k in range(n_classes)]),
        DESCR=_describe(n_samples, n_classes, image_size, n_numeric, label_noise),
        shape=shape.astype(np.int64),
        keyword=keyword.astype(np.int64),
        shape_names=np.array(SHAPE_NAMES[:n_classes]),
        keyword_names=np.array(KEYWORDS[:n_classes]),
    )


def _as_polars(captions, images, numeric, y):
    """The table and labels as a polars DataFrame and Series (images: an Array column)."""
    try:
        import polars as pl
    except ImportError as exc:
        raise ImportError(
            "output='polars' needs polars: pip install polars (or skmm[polars])."
        ) from exc
    if images and isinstance(images[0], np.ndarray):
        image_column = pl.Series("image", np.stack(images))
    else:
        image_column = pl.Series("image", images, dtype=pl.String)
    columns = [pl.Series("caption", captions, dtype=pl.String), image_column]
    columns += [pl.Series(f"x{j}", numeric[:, j]) for j in range(numeric.shape[1])]
    return pl.DataFrame(columns), pl.Series("label", y.to_numpy())


def _describe(n_samples, n_classes, image_size, n_numeric, label_noise):
    single = 1.0 / n_classes + _SINGLE_MODALITY_SHARE * (1.0 - 1.0 / n_classes)
    if n_numeric == 0:
        numeric_line = "- no numeric columns.\n"
    else:
        names = "x0" if n_numeric == 1 else f"x0..x{n_numeric - 1}"
        numeric_line = f"- {names}: Gaussian noise; x0 is weakly shifted by the class.\n"
    return (
        "Synthetic multimodal classification data\n"
        "----------------------------------------\n\n"
        f"{n_samples} samples, {n_classes} balanced classes, label noise {label_noise:g}.\n\n"
        f"- caption: 6-20 random filler words with one keyword among "
        f"{', '.join(KEYWORDS[:n_classes])}.\n"
        f"- image: {image_size}x{image_size} RGB picture of one shape among "
        f"{', '.join(SHAPE_NAMES[:n_classes])}.\n"
        f"{numeric_line}\n"
        "The class is (shape index + keyword index) % n_classes. Before label noise, "
        f"the best possible accuracy is about {single:.2f} from the image alone, "
        f"{single:.2f} from the caption alone and 1.00 from both.\n"
    )
