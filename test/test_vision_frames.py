"""Latest-frame-wins scheduling and the stable-view trigger."""

import threading

import cv2
import numpy as np

from glasses_bringup.foundation.testing import wait_for
from glasses_perception.vision.frames import ChangeGate, FrameWorker, StabilityDetector, thumbnail, view_change


def test_newest_frame_wins_and_drops_are_counted():
    gate = threading.Event()
    seen = []

    def process(item, stamp):
        gate.wait(5)  # hold the worker busy on the first frame
        seen.append((item, stamp))

    worker = FrameWorker(process)
    worker.start()
    try:
        worker.submit("f0", 0.0)
        assert wait_for(lambda: worker.stats.received == 1 and worker._busy, 2)
        for i in range(1, 6):  # five frames arrive while f0 is being processed
            worker.submit(f"f{i}", float(i))
        gate.set()
        assert wait_for(worker.idle, 5)
    finally:
        worker.stop()
    assert [s for s, _ in seen] == ["f0", "f5"]  # nothing queued: only the newest follows
    assert worker.stats.received == 6
    assert worker.stats.processed == 2
    assert worker.stats.dropped_replaced == 4


def test_errors_are_counted_and_the_worker_goes_on():
    errors = []

    def process(item, stamp):
        if item == "bad":
            raise ValueError("corrupt")

    worker = FrameWorker(process, on_error=errors.append)
    worker.start()
    try:
        worker.submit("bad", 0.0)
        assert wait_for(lambda: worker.stats.errors == 1, 2)
        worker.submit("good", 1.0)
        assert wait_for(lambda: worker.stats.processed == 1, 2)
    finally:
        worker.stop()
    assert "corrupt" in worker.stats.last_error and isinstance(errors[0], ValueError)


def test_old_frames_are_dropped():
    now = [0.0]
    gate = threading.Event()
    done = []

    def process(item, stamp):
        gate.wait(5)
        done.append(item)

    worker = FrameWorker(process, max_age_s=0.5, clock=lambda: now[0])
    worker.start()
    try:
        worker.submit("first", 0.0)
        assert wait_for(lambda: worker._busy, 2)
        worker.submit("stale", 0.1)  # waits while the worker is stuck for 2 s
        now[0] = 2.0
        gate.set()
        assert wait_for(lambda: worker.stats.dropped_old == 1, 2)
    finally:
        worker.stop()
    assert done == ["first"]


def test_stability_fires_once_per_still_period():
    det = StabilityDetector(threshold=3.0, hold_s=0.5)
    rng = np.random.default_rng(0)
    scene_a = rng.integers(0, 255, (60, 80), dtype=np.uint8)
    scene_b = rng.integers(0, 255, (60, 80), dtype=np.uint8)
    fired = [det.update(t * 0.1, scene_a) for t in range(20)]
    assert fired.count(True) == 1 and fired.index(True) == 5
    assert det.update(2.0, scene_b) is False  # the view moved
    fired = [det.update(2.0 + t * 0.1, scene_b) for t in range(1, 10)]
    assert fired.count(True) == 1


def test_thumbnail():
    thumb = thumbnail(np.zeros((480, 640, 3), np.uint8), 80)
    assert thumb.shape == (60, 80) and thumb.dtype == np.uint8


def test_change_gate_skips_an_unchanged_empty_view_and_never_a_new_code():
    rng = np.random.default_rng(3)
    scene = rng.integers(60, 200, (480, 640, 3), dtype=np.uint8)

    def noisy(img):
        return np.clip(img.astype(np.int16) + rng.normal(0, 2.0, img.shape).astype(np.int16), 0, 255).astype(np.uint8)

    gate = ChangeGate(threshold=3.0, rescan_s=1.0)
    assert gate.wanted(0.0, thumbnail(noisy(scene)))  # no reference yet
    gate.processed(0.0, thumbnail(noisy(scene)), found=False)
    assert not gate.wanted(0.1, thumbnail(noisy(scene)))  # same view, sensor noise only
    with_code = scene.copy()
    with_code[150:330, 230:410] = 0  # a dark square the size of a QR code at a third of the width
    with_code[180:300, 260:380] = 255
    assert gate.wanted(0.2, thumbnail(noisy(with_code)))
    gate.processed(0.2, thumbnail(noisy(with_code)), found=True)
    assert gate.wanted(0.3, thumbnail(noisy(with_code)))  # a code in view is watched every frame
    gate.processed(0.3, thumbnail(noisy(scene)), found=False)
    assert not gate.wanted(0.5, thumbnail(noisy(scene)))
    assert gate.wanted(1.31, thumbnail(noisy(scene)))  # rescan_s passed
    assert gate.skipped == 2
    assert ChangeGate(threshold=0.0).wanted(0.0, thumbnail(scene))


def test_change_gate_undoes_the_sway_of_a_worn_head_but_not_a_new_code():
    rng = np.random.default_rng(5)  # a textured room, wider than the camera's view
    room = cv2.resize(rng.integers(40, 215, (140, 180), dtype=np.uint8), (720, 560), interpolation=cv2.INTER_CUBIC)
    room = np.dstack([cv2.GaussianBlur(room, (0, 0), 3)] * 3)

    def view(dx, dy):  # the camera's crop, shifted by the head's sway (pixels; the sim rig's reach up to ~26)
        return room[40 + dy : 520 + dy, 40 + dx : 680 + dx]

    sway = [(3, 1), (9, -3), (18, 4), (26, -8), (-12, -6)]
    plain, gate = ChangeGate(threshold=3.0, rescan_s=60.0, align=False), ChangeGate(threshold=3.0, rescan_s=60.0)
    for g in (plain, gate):
        g.processed(0.0, thumbnail(view(0, 0)), found=False)
    for i, (dx, dy) in enumerate(sway, 1):
        assert plain.wanted(float(i), thumbnail(view(dx, dy)))  # a plain comparison sees a new view each time
        assert not gate.wanted(float(i), thumbnail(view(dx, dy)))
    assert gate.sway_skipped == len(sway)
    with_code = view(9, -3).copy()
    with_code[150:330, 230:410] = 0  # a QR code at a third of the width, entering while the head sways
    with_code[180:300, 260:380] = 255
    assert gate.wanted(9.0, thumbnail(with_code))
    assert view_change(thumbnail(view(0, 0)), thumbnail(with_code)) > 3 * gate.threshold
