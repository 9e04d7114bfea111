"""The simulated camera's scene renderer: deterministic frames that real decoders can read."""

import numpy as np
import pytest
import zxingcpp

from glasses_bringup.drivers.sim.scenario import Show
from glasses_bringup.drivers.sim.scene import SceneRenderer

PAY = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"


@pytest.fixture(scope="module")
def renderer():
    return SceneRenderer(640, 480, seed=7)


def test_empty_frame_shape_and_determinism(renderer):
    a = renderer.render(1.0, [])
    b = SceneRenderer(640, 480, seed=7).render(1.0, [])
    assert a.shape == (480, 640, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    other_seed = SceneRenderer(640, 480, seed=8).render(1.0, [])
    assert not np.array_equal(a, other_seed)
    later = renderer.render(1.5, [])
    assert not np.array_equal(a, later)  # noise and slow drift change the frame over time


@pytest.mark.parametrize(
    "show, expected",
    [
        (Show(kind="qr", text=PAY), PAY),
        (Show(kind="ean13", text="6901234567892", size=0.45), "6901234567892"),
        (Show(kind="upca", text="012345678905", size=0.45, tilt_deg=5), "0012345678905"),
    ],
)
def test_rendered_codes_decode(renderer, show, expected):
    frame = renderer.render(2.0, [show])
    assert np.array_equal(frame, renderer.render(2.0, [show]))
    texts = [b.text for b in zxingcpp.read_barcodes(frame)]
    assert expected in texts
    (placed,) = renderer.last_placed
    xs = [x for x, _ in placed.corners]
    assert 0 < min(xs) < max(xs) < 640


def test_position_size_and_tilt_shape_the_quad(renderer):
    renderer.render(0.0, [Show(kind="qr", text="a", center=(0.25, 0.5), size=0.2, tilt_deg=0)])
    quad = np.array(renderer.last_placed[0].corners)
    assert quad[:, 0].mean() == pytest.approx(160, abs=2)
    assert quad[1, 0] - quad[0, 0] == pytest.approx(128, abs=2)
    renderer.render(0.0, [Show(kind="qr", text="a", center=(0.25, 0.5), size=0.2, tilt_deg=45)])
    tilted = np.array(renderer.last_placed[0].corners)
    top, bottom = np.linalg.norm(tilted[1] - tilted[0]), np.linalg.norm(tilted[2] - tilted[3])
    left, right = np.linalg.norm(tilted[3] - tilted[0]), np.linalg.norm(tilted[2] - tilted[1])
    assert abs(top - bottom) > 2 or abs(left - right) > 2  # perspective foreshortening


def test_degradations_change_the_code_region(renderer):
    clean = renderer.render(3.0, [Show(kind="qr", text=PAY, noise=0)])
    for kw in ({"blur": 2.0}, {"glare": 0.8}, {"noise": 20.0}):
        degraded = renderer.render(3.0, [Show(kind="qr", text=PAY, noise=0, **kw) if "noise" not in kw
                                         else Show(kind="qr", text=PAY, **kw)])
        assert np.abs(degraded.astype(int) - clean).mean() > 0.5, kw


def test_product_and_price_tag(renderer):
    frame = renderer.render(0.0, [Show(kind="product", text="p-oolong-tea", size=0.5, tilt_deg=0)])
    # the packaging carries the product's EAN-13
    assert "6901234567892" in [b.text for b in zxingcpp.read_barcodes(frame)]
    tag = renderer.render(0.0, [Show(kind="text", text="Oolong Tea\n$3.99", size=0.4)])
    assert not np.array_equal(tag, renderer.render(0.0, []))


def test_code_outside_frame_is_skipped(renderer):
    frame = renderer.render(0.0, [Show(kind="qr", text="x", center=(3.0, 3.0), size=0.1)])
    assert frame.shape == (480, 640, 3)


def test_image_asset_show(renderer):
    frame = renderer.render(0.0, [Show(kind="image", image="products/p-soy-sauce.png", size=0.5, tilt_deg=0)])
    assert "6901234567915" in [b.text for b in zxingcpp.read_barcodes(frame)]


def test_bad_shows_are_left_out_not_raised():
    r = SceneRenderer(320, 240, seed=1)
    bad = [Show(kind="ean13", text="not digits"), Show(kind="product", text="p-no-such-product"),
           Show(kind="image", image="no/such.png")]
    frame = r.render(0.0, [*bad, Show(kind="qr", text="still drawn", size=0.5)])
    assert frame.shape == (240, 320, 3)
    assert [p.text for p in r.last_placed] == ["still drawn"]
    assert len(r.show_errors) == 3 and "ean13:not digits" in r.show_errors
