from __future__ import annotations

import numpy as np
import pytest

from ingest.analysis.regions import Zone, rasterize, validate_polygon

LEFT_HALF = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))


@pytest.mark.parametrize(("width", "height"), [(160, 90), (640, 360), (100, 100)])
def test_normalized_polygon_scales_with_resolution(width: int, height: int) -> None:
    mask = rasterize((LEFT_HALF,), width, height)
    share = np.count_nonzero(mask) / mask.size
    assert share == pytest.approx(0.5, abs=2 / width)
    assert mask[height // 2, 1] == 255
    assert mask[height // 2, width - 2] == 0


def test_polygon_validation() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        validate_polygon(((0.0, 0.0), (1.0, 1.0)))
    with pytest.raises(ValueError, match="outside"):
        validate_polygon(((0.0, 0.0), (1.5, 0.0), (0.0, 1.0)))
    with pytest.raises(ValueError, match="name"):
        Zone("", LEFT_HALF)
