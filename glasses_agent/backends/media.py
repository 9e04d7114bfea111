"""Media folder of the glasses: photos and video clips, written only on a capture request (no rclpy).

``MediaStore`` is the one place in the stack that writes camera pixels to disk. A
photo is the camera's JPEG still written as it came (full resolution of the still,
no re-encoding) plus a small thumbnail for the HUD card; a clip is the camera frames
received while recording, written with OpenCV's VideoWriter (Motion-JPEG in AVI,
which every OpenCV build can write) and a thumbnail of its first frame.

A capture is refused before anything is written when the folder's free space is
below ``min_free_mb`` or the power policy is in ``critical`` mode. Files are written
to a temporary name and renamed, so a crash never leaves a half photo under its
final name.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from glasses_agent.backends.base import BackendError

MEDIA_SUFFIXES = (".jpg", ".jpeg", ".png", ".avi", ".mp4", ".mkv", ".npy", ".ppm", ".bmp", ".webp")


class MediaError(BackendError):
    """A capture or a media file operation refused or failed."""


@dataclass
class MediaFile:
    kind: str  # photo, video
    path: str
    thumbnail: str
    bytes: int
    width: int
    height: int
    frames: int = 1
    duration_s: float = 0.0


def _name(prefix: str, when: float, request_id: str, suffix: str) -> str:
    safe = "".join(c for c in request_id if c.isalnum() or c in "-_")[:24] or "x"
    return f"{prefix}_{time.strftime('%Y%m%d_%H%M%S', time.localtime(when))}_{safe}{suffix}"


class Recording:
    """A clip being written; frames of any size are scaled to the first one's."""

    def __init__(self, path: Path, fps: float, request_id: str, started: float, max_s: float):
        self.path, self.fps, self.request_id, self.started, self.max_s = path, fps, request_id, started, max_s
        self.tmp = path.with_name(path.stem + ".part.avi")
        self.writer: cv2.VideoWriter | None = None
        self.size: tuple[int, int] | None = None
        self.frames = 0
        self.first: np.ndarray | None = None
        self.first_stamp: float | None = None
        self.last_stamp: float | None = None

    def add(self, rgb: np.ndarray, stamp: float) -> None:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise MediaError("bad_frame", f"shape {rgb.shape}")
        if self.writer is None:
            self.size = (rgb.shape[1], rgb.shape[0])
            self.writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*"MJPG"), self.fps, self.size)
            if not self.writer.isOpened():
                raise MediaError("video_writer", f"cannot open {self.tmp}")
            self.first, self.first_stamp = rgb.copy(), stamp
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if (bgr.shape[1], bgr.shape[0]) != self.size:
            bgr = cv2.resize(bgr, self.size)
        self.writer.write(bgr)
        self.frames += 1
        self.last_stamp = stamp

    @property
    def duration_s(self) -> float:
        if self.first_stamp is None or self.last_stamp is None:
            return 0.0
        return max(0.0, self.last_stamp - self.first_stamp) + 1.0 / self.fps


class MediaStore:
    def __init__(self, folder: str | Path, min_free_mb: float = 200.0, thumb_px: int = 160, video_fps: float = 15.0,
                 max_video_s: float = 120.0, clock: Callable[[], float] = time.time,
                 free_bytes: Callable[[Path], int] | None = None):  # fmt: skip
        self.folder = Path(folder).expanduser()
        self.min_free_mb, self.thumb_px, self.video_fps, self.max_video_s = min_free_mb, thumb_px, video_fps, max_video_s
        self.clock = clock
        self._free = free_bytes or (lambda p: shutil.disk_usage(p).free)
        self.recording: Recording | None = None

    # -- checks -------------------------------------------------------------------------

    def refusal(self, power_mode: str = "normal") -> str | None:
        """Why a capture may not start now (None = it may): battery_critical, storage_low."""
        if power_mode == "critical":
            return "battery_critical"
        probe = self.folder if self.folder.exists() else next((p for p in self.folder.parents if p.exists()), Path("/"))
        if self._free(probe) < self.min_free_mb * 1e6:
            return "storage_low"
        return None

    # -- photo --------------------------------------------------------------------------

    def save_photo(self, jpeg: bytes, request_id: str) -> MediaFile:
        """Write a JPEG still as received and its thumbnail; MediaError if it is not a decodable JPEG."""
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR) if jpeg else None
        if image is None:
            raise MediaError("bad_still", "not a decodable JPEG")
        now = self.clock()
        path = self.folder / _name("IMG", now, request_id, ".jpg")
        self._write_atomic(path, jpeg)
        thumb = self._thumbnail(image, path)
        return MediaFile("photo", str(path), str(thumb), len(jpeg), image.shape[1], image.shape[0])

    # -- video --------------------------------------------------------------------------

    def start_video(self, request_id: str) -> Path:
        if self.recording is not None:
            raise MediaError("already_recording", self.recording.request_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        now = self.clock()
        path = self.folder / _name("VID", now, request_id, ".avi")
        self.recording = Recording(path, self.video_fps, request_id, now, self.max_video_s)
        return path

    def add_frame(self, rgb: np.ndarray, stamp: float) -> bool:
        """Add a frame to the clip being recorded; False when none is (the frame is dropped)."""
        if self.recording is None:
            return False
        self.recording.add(rgb, stamp)
        return True

    def over_time(self) -> bool:
        rec = self.recording
        return rec is not None and self.clock() - rec.started >= rec.max_s

    def stop_video(self) -> MediaFile:
        rec, self.recording = self.recording, None
        if rec is None:
            raise MediaError("not_recording")
        if rec.writer is None or rec.frames == 0:
            raise MediaError("no_frames", "the camera sent no frame while recording")
        rec.writer.release()
        os.replace(rec.tmp, rec.path)
        thumb = self._thumbnail(cv2.cvtColor(rec.first, cv2.COLOR_RGB2BGR), rec.path)
        return MediaFile("video", str(rec.path), str(thumb), rec.path.stat().st_size, rec.size[0], rec.size[1],
                         rec.frames, round(rec.duration_s, 3))  # fmt: skip

    def abort_video(self) -> None:
        rec, self.recording = self.recording, None
        if rec is not None and rec.writer is not None:
            rec.writer.release()
            rec.tmp.unlink(missing_ok=True)

    # -- files --------------------------------------------------------------------------

    def files(self) -> list[Path]:
        return sorted(p for p in self.folder.rglob("*") if p.suffix.lower() in MEDIA_SUFFIXES) if self.folder.exists() else []

    def _thumbnail(self, bgr: np.ndarray, of: Path) -> Path:
        h, w = bgr.shape[:2]
        scale = self.thumb_px / max(h, w)
        small = cv2.resize(bgr, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            raise MediaError("thumbnail", str(of))
        path = self.folder / "thumbs" / f"{of.stem}_thumb.jpg"
        self._write_atomic(path, data.tobytes())
        return path

    @staticmethod
    def _write_atomic(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


@dataclass
class PendingPhoto:
    request_id: str
    deadline: float


class MediaRecorder:
    """Capture requests -> media files, with the checks; the media node only wires ROS to it.

    Every method returns the results to publish (dicts with the fields of the
    ``media_result`` event). ``wants_stills`` / ``wants_frames`` tell the node whether
    to ask the camera for a still and to subscribe to its frames: outside a request it
    does neither, so frames never even reach this process.
    """

    def __init__(self, store: MediaStore, still_timeout_s: float = 3.0):
        self.store = store
        self.still_timeout_s = still_timeout_s
        self.led_on = False  # the camera's privacy LED: on while frames leave the sensor
        self.power_mode = "normal"
        self.photo: PendingPhoto | None = None
        self.video_id: str | None = None
        self.photos = 0
        self.videos = 0
        self.refused = 0

    @property
    def wants_frames(self) -> bool:
        return self.video_id is not None

    def request(self, action: str, request_id: str, now: float) -> list[dict]:
        if action == "video_stop":
            return [self._stop(request_id, "")]
        if action == "video_start" and self.video_id is not None:
            return [self._result(request_id, action, "refused", reason="already_recording")]
        reason = self.store.refusal(self.power_mode) or (None if self.led_on else "camera_off")
        if reason is not None:
            self.refused += 1
            return [self._result(request_id, action, "refused", reason=reason)]
        if action == "photo":
            if self.photo is not None:
                return [self._result(request_id, action, "refused", reason="busy")]
            self.photo = PendingPhoto(request_id, now + self.still_timeout_s)
            return []  # the node asks the camera for a still; on_still finishes it
        path = self.store.start_video(request_id)
        self.video_id = request_id
        return [self._result(request_id, action, "recording", path=str(path))]

    def on_still(self, jpeg: bytes, now: float) -> list[dict]:
        pending, self.photo = self.photo, None
        if pending is None:
            return []  # a still nobody here asked for is not kept
        try:
            saved = self.store.save_photo(jpeg, pending.request_id)
        except (MediaError, OSError) as exc:
            return [self._result(pending.request_id, "photo", "failed", reason=getattr(exc, "reason", "write_failed"))]
        self.photos += 1
        return [self._result(pending.request_id, "photo", "saved", file=saved)]

    def on_still_refused(self, message: str) -> list[dict]:
        pending, self.photo = self.photo, None
        return [self._result(pending.request_id, "photo", "failed", reason=message[:80] or "no_still")] if pending else []

    def on_frame(self, rgb: np.ndarray, stamp: float) -> list[dict]:
        if self.video_id is None:
            return []
        try:
            self.store.add_frame(rgb, stamp)
        except MediaError as exc:
            return [self._stop(self.video_id, exc.reason)]
        if self.store.over_time():
            return [self._stop(self.video_id, "max_duration")]
        return []

    def on_led(self, on: bool) -> list[dict]:
        self.led_on = bool(on)
        if not on and self.video_id is not None:
            return [self._stop(self.video_id, "camera_off")]  # the clip ends with the frames
        return []

    def on_power(self, mode: str) -> list[dict]:
        self.power_mode = mode
        if mode == "critical" and self.video_id is not None:
            return [self._stop(self.video_id, "battery_critical")]
        return []

    def tick(self, now: float) -> list[dict]:
        if self.photo is not None and now > self.photo.deadline:
            pending, self.photo = self.photo, None
            return [self._result(pending.request_id, "photo", "failed", reason="no_still")]
        return []

    def _stop(self, request_id: str, reason: str) -> dict:
        if self.video_id is None:
            return self._result(request_id, "video_stop", "refused", reason="not_recording")
        video_id, self.video_id = self.video_id, None
        try:
            saved = self.store.stop_video()
        except MediaError as exc:
            self.store.abort_video()
            return self._result(video_id, "video_stop", "failed", reason=exc.reason)
        self.videos += 1
        return self._result(video_id, "video_stop", "saved", reason=reason, file=saved)

    @staticmethod
    def _result(request_id: str, action: str, status: str, reason: str = "", path: str = "",
                file: MediaFile | None = None) -> dict:  # fmt: skip
        out = {"request_id": request_id, "action": action, "status": status, "reason": reason, "path": path}
        if file is not None:
            out.update(path=file.path, thumbnail=file.thumbnail, bytes=file.bytes, width=file.width, height=file.height,
                       frames=file.frames, duration_s=file.duration_s)  # fmt: skip
        return out
