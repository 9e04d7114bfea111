"""Frame scheduling for vision: always work on the newest frame, never queue stale ones.

A camera delivers 15-30 frames per second; a decoder may take longer than a frame
period now and then. ``FrameWorker`` keeps one slot: a new frame replaces a frame
that has not been started yet (counted as dropped), and a worker thread always
takes the newest. The subscriber callback therefore returns at once and latency
stays bounded by one decode, whatever the camera rate.

``StabilityDetector`` tells when the view has been still for a while (the wearer
is looking at something), which is when on-demand work such as OCR is worth doing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np


@dataclass
class FrameStats:
    received: int = 0
    processed: int = 0
    dropped_replaced: int = 0  # replaced by a newer frame before processing started
    dropped_old: int = 0  # older than max_age_s when the worker got to it
    errors: int = 0
    busy_s: float = 0.0  # time spent processing
    last_error: str = ""


class FrameWorker:
    """Runs ``process(item, stamp)`` on its own thread, always on the newest submitted frame."""

    def __init__(self, process: Callable[[Any, float], None], max_age_s: float = 1.0,
                 name: str = "frame-worker", clock: Callable[[], float] = time.monotonic,
                 on_error: Callable[[BaseException], None] | None = None):
        self.process = process
        self.max_age_s = max_age_s
        self.name = name
        self.clock = clock
        self.on_error = on_error
        self.stats = FrameStats()
        self._cond = threading.Condition()
        self._item: tuple[Any, float, float] | None = None
        self._running = False
        self._busy = False
        self._thread: threading.Thread | None = None

    # -- producer side (subscriber callback) ---------------------------------------------

    def submit(self, item: Any, stamp: float) -> bool:
        """Offer a frame; returns False when it replaced one that was still waiting."""
        with self._cond:
            self.stats.received += 1
            replaced = self._item is not None
            if replaced:
                self.stats.dropped_replaced += 1
            self._item = (item, stamp, self.clock())
            self._cond.notify()
        return not replaced

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            if self._running:
                return
            self._running = True
            self._item = None
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and join; a frame waiting in the slot is discarded (counted as dropped)."""
        with self._cond:
            self._running = False
            if self._item is not None:
                self.stats.dropped_replaced += 1
                self._item = None
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._running

    def idle(self) -> bool:
        """True when nothing is waiting and nothing is being processed."""
        with self._cond:
            return self._item is None and not self._busy

    # -- worker -------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._running and self._item is None:
                    self._cond.wait(0.5)
                if not self._running:
                    return
                item, stamp, received_at = self._item
                self._item = None
                if self.clock() - received_at > self.max_age_s:
                    self.stats.dropped_old += 1
                    continue
                self._busy = True
            start = time.perf_counter()
            try:
                self.process(item, stamp)
                self.stats.processed += 1
            except Exception as exc:  # one bad frame must not stop the worker
                self.stats.errors += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"[:300]
                if self.on_error is not None:
                    self.on_error(exc)
            finally:
                self.stats.busy_s += time.perf_counter() - start
                with self._cond:
                    self._busy = False


def thumbnail(image: np.ndarray, width: int = 80) -> np.ndarray:
    """A small grayscale copy of a frame for cheap motion checks."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape[:2]
    height = max(1, round(h * width / w))
    return cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)


class StabilityDetector:
    """Fires once when the view has stayed still for ``hold_s`` (mean abs change below threshold).

    It fires again only after the view has moved, so a wearer who keeps looking at
    one price tag gets one OCR pass, not one per frame.
    """

    def __init__(self, threshold: float = 4.0, hold_s: float = 0.6):
        self.threshold = threshold
        self.hold_s = hold_s
        self._previous: np.ndarray | None = None
        self._still_since: float | None = None
        self._fired = False
        self.last_change = 0.0

    def update(self, stamp: float, thumb: np.ndarray) -> bool:
        if self._previous is None or self._previous.shape != thumb.shape:
            self._previous = thumb
            self._still_since = stamp
            return False
        self.last_change = float(cv2.absdiff(thumb, self._previous).mean())
        self._previous = thumb
        if self.last_change > self.threshold:
            self._still_since = stamp
            self._fired = False
            return False
        if self._still_since is None or stamp < self._still_since:
            self._still_since = stamp
        if not self._fired and stamp - self._still_since >= self.hold_s:
            self._fired = True
            return True
        return False

    def reset(self) -> None:
        self._previous = None
        self._still_since = None
        self._fired = False


SWAY_BLUR_PX = 5  # Gaussian kernel on the 80 px thumbnail: a sub-pixel shift of fine texture is not a change
SWAY_MARGIN_PX = 6  # border left out of the comparison (what the shift moved in or out)


def view_change(reference: np.ndarray, thumb: np.ndarray) -> float:
    """Mean grey-level change between two thumbnails once the shift between them is undone."""
    a = cv2.GaussianBlur(reference, (SWAY_BLUR_PX, SWAY_BLUR_PX), 0).astype(np.float32)
    b = cv2.GaussianBlur(thumb, (SWAY_BLUR_PX, SWAY_BLUR_PX), 0).astype(np.float32)
    (dx, dy), _ = cv2.phaseCorrelate(a, b)
    back = cv2.warpAffine(b, np.float32([[1, 0, -dx], [0, 1, -dy]]), (b.shape[1], b.shape[0]), flags=cv2.INTER_LINEAR)
    m = SWAY_MARGIN_PX
    if a.shape[0] <= 2 * m or a.shape[1] <= 2 * m:
        return float(np.abs(back - a).mean())
    return float(np.abs(back[m:-m, m:-m] - a[m:-m, m:-m]).mean())


class ChangeGate:
    """Skips a frame that shows what the last fruitless frame showed (no work without a change).

    ``wanted(stamp, thumb)`` is True when the view differs from the reference (the
    last processed frame that found nothing) by more than ``threshold`` mean grey
    levels on the thumbnail, when ``rescan_s`` has passed since that frame, or when
    there is no reference (the last processed frame found something: keep watching
    it). ``threshold`` 0 processes every frame. A code entering the view changes
    far more than the threshold (a QR at a third of the width: about 13 levels);
    sensor noise averages out on the thumbnail (about 0.3).

    A worn head is never quite still: postural sway shifts the view by a few pixels,
    which on a textured scene changes the thumbnail by 8-21 levels within seconds
    (the sim rig's worn idle). With ``align`` a view that differs by more than the
    threshold is compared again after undoing that shift (phase correlation on
    blurred thumbnails, ``view_change``): the sway then stays under 3.4 levels over
    36 s of idle wear, while a new object in view still counts in full.
    """

    def __init__(self, threshold: float = 3.0, rescan_s: float = 1.0, align: bool = True):
        self.threshold = threshold
        self.rescan_s = rescan_s
        self.align = align
        self._reference: np.ndarray | None = None
        self._reference_stamp = 0.0
        self.skipped = 0
        self.sway_skipped = 0  # skipped only once the shift of the view was undone

    def wanted(self, stamp: float, thumb: np.ndarray) -> bool:
        ref = self._reference
        if self.threshold <= 0 or ref is None or ref.shape != thumb.shape:
            return True
        if stamp - self._reference_stamp >= self.rescan_s or stamp < self._reference_stamp:
            return True
        if float(cv2.absdiff(thumb, ref).mean()) > self.threshold:
            if not self.align or view_change(ref, thumb) > self.threshold:
                return True
            self.sway_skipped += 1
        self.skipped += 1
        return False

    def processed(self, stamp: float, thumb: np.ndarray, found: bool) -> None:
        self._reference = None if found else thumb
        self._reference_stamp = stamp

    def reset(self) -> None:
        self._reference = None

