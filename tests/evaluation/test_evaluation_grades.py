"""evaluation.grade and check_bands: star bands covering the scale without gaps."""

import numpy as np
import pytest

from evaluation import DEFAULT_BANDS, check_bands, grade

from .conftest import load_seed


def test_default_bands_are_the_seed_rating():
    rating = load_seed()["rating"]
    assert [dict(stars=b["stars"], min=float(b["min"])) for b in rating["stars"]] == list(DEFAULT_BANDS)
    assert rating["scale_max"] == 100
    # the rating object itself is accepted as bands
    assert grade(85, rating).stars == 4


@pytest.mark.parametrize("total, stars", [
    (100, 5), (90, 5), (89.999, 4), (80, 4), (79.5, 3), (70, 3), (69.99, 2), (60, 2), (59.99, 1), (0, 1),
])
def test_band_edges_min_inclusive(total, stars):
    # [90, 100] five stars, [80, 90) four, [70, 80) three, [60, 70) two, [0, 60) one (seed rating)
    assert grade(total).stars == stars


def test_vectorised_and_labels():
    g = grade(np.array([95.0, 72.0, 10.0]))
    assert g.stars.tolist() == [5, 3, 1]
    assert g.label == ["★★★★★", "★★★☆☆", "★☆☆☆☆"]
    assert g.band_min.tolist() == [90, 70, 0] and g.band_max.tolist() == [100, 80, 60]
    d = grade(84.0).to_dict()
    assert d["stars"] == 4 and d["label"] == "★★★★☆" and d["band_min"] == 80 and d["band_max"] == 90


def test_custom_bands_with_max_and_other_scale():
    bands = [{"stars": 3, "min": 8, "max": 10}, {"stars": 2, "min": 5, "max": 8}, {"stars": 1, "min": 0, "max": 5}]
    assert grade([9.5, 5, 4.9], bands, scale=(0, 10)).stars.tolist() == [3, 2, 1]


@pytest.mark.parametrize("bands, pattern", [
    ([{"stars": 5, "min": 90}, {"stars": 4, "min": 80}], r"gap: scores in \[0, 80\)"),
    ([{"stars": 2, "min": 50, "max": 100}, {"stars": 1, "min": 0, "max": 40}], r"gap: \[40, 50\)"),
    ([{"stars": 2, "min": 50, "max": 100}, {"stars": 1, "min": 0, "max": 60}], "overlap"),
    ([{"stars": 2, "min": 50, "max": 95}, {"stars": 1, "min": 0}], r"gap: scores in \(95, 100\]"),
    ([{"stars": 2, "min": 50}, {"stars": 3, "min": 0}], "higher band must give more stars"),
    ([{"stars": 2, "min": 0}, {"stars": 1, "min": 0}], "two bands start at 0"),
    ([{"stars": 2.5, "min": 0}], "invalid band"),
    ([{"stars": 2}], "needs 'stars' and 'min'"),
    ([], "non-empty list"),
    ([{"stars": 1, "min": 100}], "gap"),
])
def test_bands_refused(bands, pattern):
    with pytest.raises(ValueError, match=pattern):
        check_bands(bands)
    with pytest.raises(ValueError, match=pattern):
        grade(50, bands)


def test_totals_refused():
    with pytest.raises(ValueError, match="total must lie on the scale"):
        grade(101)
    with pytest.raises(ValueError, match="NaN"):
        grade([50, float("nan")])
    assert grade(150, scale=None).stars == 5
