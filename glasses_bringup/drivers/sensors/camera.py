"""Camera frame sources (pure Python + OpenCV): simulated scene, video file / image folder, device.

Every source returns RGB uint8 frames of the configured size from ``read(t)``,
where ``t`` is scenario time (s); live sources ignore ``t``. A source that
fails raises CameraError with a message a hardware engineer can act on.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


class CameraError(RuntimeError):
    """A camera source that cannot deliver frames (missing device, unreadable file, ...)."""


def fit(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to (width, height) when needed; grey/BGRA inputs become 3-channel."""
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    elif frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_RGBA2RGB)
    if frame.shape[1] != width or frame.shape[0] != height:
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    return frame


class SimCameraSource:
    """Frames rendered from the scenario's `show` entries over a simulated scene."""

    def __init__(self, scenario, width: int, height: int):
        from glasses_bringup.drivers.sim.scene import SceneRenderer

        self.scenario = scenario
        self.renderer = SceneRenderer(width, height, seed=scenario.seed, scenario=scenario)

    def read(self, t: float) -> np.ndarray:
        shows = [show for _, show in self.scenario.shows_at(t)]
        return self.renderer.render(t, shows)

    def close(self) -> None:
        pass


class FileCameraSource:
    """Frames from a video file or a folder of images, looping when asked."""

    def __init__(self, path: str, width: int, height: int, loop: bool = True):
        self.path = Path(path)
        self.width, self.height, self.loop = width, height, loop
        self.images: list[Path] = []
        self.index = 0
        self.capture = None
        if self.path.is_dir():
            self.images = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self.images:
                raise CameraError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in folder {self.path}")
        elif self.path.is_file():
            self.capture = cv2.VideoCapture(str(self.path))
            if not self.capture.isOpened():
                raise CameraError(f"cannot open video file {self.path} (unsupported codec or not a video)")
        else:
            raise CameraError(f"camera path does not exist: {self.path}")
        self.exhausted = False

    def read(self, t: float) -> np.ndarray | None:
        if self.exhausted:
            return None
        if self.images:
            if self.index >= len(self.images):
                if not self.loop:
                    self.exhausted = True
                    return None
                self.index = 0
            path = self.images[self.index]
            self.index += 1
            bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if bgr is None:
                raise CameraError(f"unreadable image {path}")
            return fit(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self.width, self.height)
        ok, bgr = self.capture.read()
        if not ok:
            if not self.loop:
                self.exhausted = True
                return None
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, bgr = self.capture.read()
            if not ok:
                raise CameraError(f"video file {self.path} yields no frames")
        return fit(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self.width, self.height)

    def close(self) -> None:
        if self.capture is not None:
            self.capture.release()


class DeviceCameraSource:
    """A V4L2 device (/dev/videoN or index) or a GStreamer pipeline string through OpenCV."""

    def __init__(self, device: str, width: int, height: int, fps: float):
        self.device, self.width, self.height = device, width, height
        if "!" in device:  # a GStreamer pipeline ending in appsink
            self.capture = cv2.VideoCapture(device, cv2.CAP_GSTREAMER)
            hint = "this OpenCV build may lack GStreamer (opencv-python-headless from PyPI has none)"
        else:
            target = int(device) if device.isdigit() else device
            if isinstance(target, str) and not Path(target).exists():
                raise CameraError(f"camera device {device} does not exist (is the camera connected?)")
            self.capture = cv2.VideoCapture(target, cv2.CAP_V4L2)
            hint = "check permissions (video group) and that no other process holds the device"
        if not self.capture.isOpened():
            raise CameraError(f"cannot open camera {device!r}: {hint}")
        self.capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self.capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.capture.set(cv2.CAP_PROP_FPS, fps)

    def read(self, t: float) -> np.ndarray:
        ok, bgr = self.capture.read()
        if not ok or bgr is None:
            raise CameraError(f"camera {self.device!r} stopped delivering frames")
        return fit(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self.width, self.height)

    def close(self) -> None:
        self.capture.release()


def camera_matrix(width: int, height: int, hfov_deg: float) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) of an ideal pinhole with the given horizontal field of view."""
    fx = (width / 2.0) / np.tan(np.radians(hfov_deg) / 2.0)
    return fx, fx, (width - 1) / 2.0, (height - 1) / 2.0


def open_source(kind: str, *, scenario=None, path: str = "", device: str = "", width: int, height: int,
                fps: float, loop: bool = True):
    if kind == "sim":
        if scenario is None:
            raise CameraError("source 'sim' needs the `scenario` parameter")
        return SimCameraSource(scenario, width, height)
    if kind == "file":
        return FileCameraSource(path, width, height, loop)
    if kind == "device":
        return DeviceCameraSource(device, width, height, fps)
    raise CameraError(f"unknown camera source {kind!r} (sim, file, device)")
