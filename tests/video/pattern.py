"""Reading tiles back: does a picture show the test clip's colour bars, and has it changed."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

# testsrc2's six vertical bars, left to right, as (R, G, B).
BAR_COLOURS = ((255, 0, 0), (0, 255, 0), (255, 255, 0), (0, 0, 255), (255, 0, 255), (0, 255, 255))
COLOUR_TOLERANCE = 70  # per channel: scaling and YUV 4:2:0 blur the bars' edges and shift colours a little


def to_rgb(image: QImage) -> np.ndarray:
    """An (height, width, 3) uint8 array of the image's pixels."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    row_bytes = rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=row_bytes * rgb.height())
    return data.reshape(rgb.height(), row_bytes)[:, :rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def picture_area(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the picture inside the black bars a player adds to keep the aspect."""
    lit = pixels.max(axis=2) > 40
    rows, columns = np.flatnonzero(lit.any(axis=1)), np.flatnonzero(lit.any(axis=0))
    if not len(rows):
        return 0, 0, 0, 0
    return rows[0], rows[-1] + 1, columns[0], columns[-1] + 1


def bars_seen(image: QImage) -> int:
    """How many of the six colour bars are where the test clip puts them.

    Each bar is sampled on three columns at twenty heights; the clip's clock, moving gradient and grey
    square can cover more than half a bar, so a bar counts when 30% of its samples have its colour.
    """
    pixels = to_rgb(image).astype(int)
    top, bottom, left, right = picture_area(pixels)
    if bottom - top < 20 or right - left < 60:
        return 0
    rows = np.linspace(top + 0.05 * (bottom - top), bottom - 0.05 * (bottom - top), 20).astype(int)
    bar_width = (right - left) / len(BAR_COLOURS)
    seen = 0
    for index, colour in enumerate(BAR_COLOURS):
        columns = (left + (index + np.array([0.3, 0.5, 0.7])) * bar_width).astype(int)
        samples = pixels[np.ix_(rows, columns)].reshape(-1, 3)
        matches = np.all(np.abs(samples - np.array(colour)) <= COLOUR_TOLERANCE, axis=1)
        seen += int(matches.mean() >= 0.3)
    return seen


def fills_frame(image: QImage) -> bool:
    """Whether the picture is scaled to the tile: it spans the full width or the full height."""
    top, bottom, left, right = picture_area(to_rgb(image))
    return (bottom - top) >= 0.95 * image.height() or (right - left) >= 0.95 * image.width()


def shows_test_pattern(image: QImage | None) -> bool:
    """The clip's six bars, in place, in a picture scaled to fill the tile."""
    return (image is not None and not image.isNull() and fills_frame(image)
            and bars_seen(image) == len(BAR_COLOURS))


def changed_fraction(before: QImage, after: QImage) -> float:
    """Fraction of pixels that differ noticeably between two pictures of the same size."""
    a, b = to_rgb(before).astype(int), to_rgb(after).astype(int)
    if a.shape != b.shape:
        return 1.0
    return float(np.mean(np.abs(a - b).max(axis=2) > 24))
