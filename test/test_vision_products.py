"""Product recognition against the SQLite gallery of the demo catalog's packaging."""

import numpy as np
import pytest

from glasses_bringup.drivers.sim.scenario import Show
from glasses_bringup.drivers.sim.scene import SceneRenderer
from glasses_perception.vision.products import (
    GalleryError,
    ProductGallery,
    ProductMatcher,
    demo_catalog_dir,
)

DEMO = ["p-book-tcpip", "p-chocolate", "p-jasmine-rice", "p-notebook", "p-oolong-tea", "p-soy-sauce"]


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    db = tmp_path_factory.mktemp("gallery") / "gallery.sqlite"
    g = ProductGallery(db)
    assert g.add_catalog_dir(demo_catalog_dir()) == 6
    g.close()
    return ProductGallery(db)  # reopened: features come back from the file


def test_gallery_round_trip(gallery):
    items = gallery.items()
    assert [i.product_id for i in items] == DEMO
    assert all(i.descriptors.shape[1] == 32 and len(i.keypoints) == len(i.descriptors) >= 100 for i in items)
    assert items[0].ean13 == "9780201379624"
    image = gallery.image("p-notebook")
    assert image.shape == (400, 320, 3)
    assert gallery.image("p-missing") is None


@pytest.mark.parametrize("product_id", DEMO)
def test_recognizes_each_demo_product(gallery, product_id):
    matcher = ProductMatcher(gallery.items())
    frame = SceneRenderer(640, 480, seed=11).render(
        1.0, [Show(kind="product", text=product_id, size=0.3, tilt_deg=20, blur=0.8, rotate_deg=8)]
    )
    match = matcher.recognize(frame)
    assert match.product_id == product_id and match.accepted
    assert 0.5 <= match.confidence <= 1.0
    assert match.inliers > match.runner_up_inliers
    xs = [x for x, _ in match.corners]
    assert 100 < np.mean(xs) < 540  # outline lands on the product in the frame


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rejects_scenes_without_a_product(gallery, seed):
    matcher = ProductMatcher(gallery.items())
    for shows in ([], [Show(kind="text", text="Cafe\n$3.99")], [Show(kind="qr", text="hello")]):
        match = matcher.recognize(SceneRenderer(640, 480, seed=seed).render(0.0, shows))
        assert not match.accepted


def test_confidence_and_errors(tmp_path):
    assert ProductMatcher.confidence(0, 0) == 0.0
    assert ProductMatcher.confidence(100, 0) > ProductMatcher.confidence(20, 0)
    assert ProductMatcher.confidence(40, 38) < 0.1  # a close runner-up means ambiguity
    g = ProductGallery(tmp_path / "g.sqlite")
    with pytest.raises(GalleryError, match="too little texture"):
        g.add("p-blank", "Blank", np.full((100, 100, 3), 200, np.uint8))
    assert ProductMatcher([]).recognize(np.zeros((48, 64, 3), np.uint8)) is None
    with pytest.raises(GalleryError):
        g.add_catalog_dir(tmp_path)
