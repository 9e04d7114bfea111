"""Ring controller core (no rclpy): BLE gesture notifications, a BLE client thread, the scenario source.

The ring is a BLE peripheral with one notify characteristic (``GESTURE_UUID``):
each notification is one byte, the gesture code of ``CODES``; a second byte, if
present, is the ring's battery in percent. ``parse_notification`` checks it and
raises ``RingError`` with a countable reason. ``BleRingSource`` runs the bleak
client on its own asyncio thread: find the ring (by address or name), connect,
subscribe, and on any failure (no adapter, no ring, link lost) record why and
try again after ``reconnect_s``.
"""

from __future__ import annotations

import queue
import threading
from typing import Literal

from glasses_bringup.foundation.errors import ReasonError

RingGesture = Literal["tap", "double_tap", "long_press", "swipe_forward", "swipe_back"]
CODES: dict[int, str] = {1: "tap", 2: "double_tap", 3: "long_press", 4: "swipe_forward", 5: "swipe_back"}
GESTURE_UUID = "7a1e0002-5e4b-4c1d-9a2f-3c6d8e9f0a1b"


class RingError(ReasonError, ValueError):
    """A ring notification that cannot be read; ``reason`` is countable."""


def parse_notification(data: bytes) -> tuple[str, int | None]:
    """(gesture, battery percent or None) of one notification."""
    if not data:
        raise RingError("empty")
    if len(data) > 2:
        raise RingError("too_long", f"{len(data)} bytes")
    gesture = CODES.get(data[0])
    if gesture is None:
        raise RingError("unknown_code", f"0x{data[0]:02x}")
    battery = data[1] if len(data) == 2 else None
    if battery is not None and battery > 100:
        raise RingError("bad_battery", str(battery))
    return gesture, battery


class BleRingSource:
    """Notifications of a BLE ring on a thread; ``pending()`` hands them to the node."""

    def __init__(self, address: str = "", name: str = "", gesture_uuid: str = GESTURE_UUID,
                 reconnect_s: float = 5.0, scan_s: float = 5.0):
        self.address = address
        self.name = name
        self.gesture_uuid = gesture_uuid
        self.reconnect_s = reconnect_s
        self.scan_s = scan_s
        self.notifications: queue.Queue = queue.Queue(maxsize=100)
        self.connected = False
        self.last_error = ""
        self.attempts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ring_ble", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import asyncio

        while not self._stop.is_set():
            self.attempts += 1
            try:
                asyncio.run(self._session())
            except Exception as exc:  # no adapter, no D-Bus, ring not found, link lost: say why, retry
                self.last_error = f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__
            self.connected = False
            self._stop.wait(self.reconnect_s)

    async def _session(self) -> None:
        import asyncio

        from bleak import BleakClient, BleakScanner

        if self.address:
            device = await BleakScanner.find_device_by_address(self.address, timeout=self.scan_s)
        elif self.name:
            device = await BleakScanner.find_device_by_name(self.name, timeout=self.scan_s)
        else:
            raise RingError("not_configured", "set `address` or `name` of the ring")
        if device is None:
            raise RingError("not_found", self.address or self.name)
        async with BleakClient(device) as client:
            await client.start_notify(self.gesture_uuid, self._on_notify)
            self.connected = True
            self.last_error = ""
            while client.is_connected and not self._stop.is_set():
                await asyncio.sleep(0.2)

    def _on_notify(self, _characteristic, data: bytearray) -> None:
        try:
            self.notifications.put_nowait(bytes(data))
        except queue.Full:
            pass

    def pending(self) -> list[bytes]:
        out = []
        while True:
            try:
                out.append(self.notifications.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
