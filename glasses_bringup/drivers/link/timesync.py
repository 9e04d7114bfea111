"""MCU ticks -> host (ROS) time: two-way exchanges, a least-squares line, drift bounded.

The host sends TIME_SYNC_REQUEST at host time ``t0`` and gets TIME_SYNC_REPLY at
``t3`` carrying the MCU's tick at receipt (``rx``) and at sending (``tx``). The
midpoints ``((t0 + t3) / 2, (rx + tx) / 2)`` are one sample of the line
``host = offset + rate * mcu``; its error is half the asymmetry of the round trip.
Only samples whose round trip is in the faster half of the window are fitted
(a delayed reply is mostly queueing, and queueing is asymmetric). The fitted rate
is clamped to ``1 +- max_drift_ppm`` (a crystal cannot be further off; a fit that
says so is noise) and each clamp is counted. Before the first exchange, the tick
a HELLO carries gives a coarse offset.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

WRAP = 1 << 32
HALF = 1 << 31


@dataclass
class SyncSample:
    host_s: float
    mcu_s: float
    rtt_s: float


class TickUnwrapper:
    """u32 ticks -> a monotonic count; a tick slightly older than the newest is placed before it."""

    def __init__(self):
        self.last_raw: int | None = None
        self.last = 0

    def __call__(self, raw: int) -> int:
        if self.last_raw is None:
            self.last_raw, self.last = raw, raw
            return raw
        d = (raw - self.last_raw) % WRAP
        if d >= HALF:
            d -= WRAP
        value = self.last + d
        if d > 0:
            self.last_raw, self.last = raw, value
        return value


class TimeSync:
    def __init__(self, tick_hz: int = 1_000_000, window: int = 64, max_drift_ppm: float = 500.0,
                 rtt_margin_s: float = 0.0005, max_rtt_s: float = 0.1):
        self.tick_hz = tick_hz
        self.window = window
        self.max_drift = max_drift_ppm * 1e-6
        self.rtt_margin_s = rtt_margin_s
        self.max_rtt_s = max_rtt_s
        self.reset()

    def reset(self, tick_hz: int | None = None) -> None:
        """Forget everything (MCU reboot: its tick restarted)."""
        if tick_hz:
            self.tick_hz = tick_hz
        self.unwrap = TickUnwrapper()
        self.samples: deque[SyncSample] = deque(maxlen=self.window)
        self.offset: float | None = None  # host = offset + rate * (mcu - mcu_ref)
        self.rate = 1.0
        self.mcu_ref = 0.0
        self.synced = False
        self.clamped = 0
        self.rejected_rtt = 0
        self.residual_s = float("nan")
        self.min_rtt_s = float("nan")

    @property
    def drift_ppm(self) -> float:
        return (self.rate - 1.0) * 1e6

    @property
    def uncertainty_s(self) -> float:
        """A bound on the stamp error: half the best round trip plus the fit residual."""
        if not self.synced:
            return float("inf")
        return self.min_rtt_s / 2 + (self.residual_s if self.residual_s == self.residual_s else 0.0)

    def mcu_seconds(self, tick: int) -> float:
        return self.unwrap(tick) / self.tick_hz

    def coarse(self, tick: int, host_rx_s: float) -> None:
        """Offset from one tick seen at host_rx_s (one-way latency in it); only before any exchange."""
        if self.synced:
            return
        self.mcu_ref = self.mcu_seconds(tick)
        self.offset = host_rx_s
        self.rate = 1.0

    def add_exchange(self, t0: float, t3: float, rx_tick: int, tx_tick: int) -> bool:
        """One request/reply round trip; False if it was rejected (round trip impossible or too long)."""
        rx, tx = self.mcu_seconds(rx_tick), self.mcu_seconds(tx_tick)
        turnaround = tx - rx
        rtt = (t3 - t0) - turnaround
        if not (0.0 <= rtt <= self.max_rtt_s) or turnaround < 0:
            self.rejected_rtt += 1
            return False
        self.samples.append(SyncSample((t0 + t3) / 2, (rx + tx) / 2, rtt))
        self._fit()
        return True

    def _fit(self) -> None:
        rtts = np.array([s.rtt_s for s in self.samples])
        self.min_rtt_s = float(rtts.min())
        # The faster half of the round trips (or all within rtt_margin_s of the fastest) carries the least queueing.
        limit = max(self.min_rtt_s + self.rtt_margin_s, float(np.median(rtts)))
        good = [s for s in self.samples if s.rtt_s <= limit]
        mcu = np.array([s.mcu_s for s in good])
        host = np.array([s.host_s for s in good])
        ref = float(mcu[-1])
        if len(good) >= 3 and mcu[-1] - mcu[0] > 1e-3:
            rate, offset = np.polyfit(mcu - ref, host, 1)
            if abs(rate - 1.0) > self.max_drift:
                self.clamped += 1
                rate = 1.0 + float(np.clip(rate - 1.0, -self.max_drift, self.max_drift))
                offset = float(np.mean(host - rate * (mcu - ref)))
            self.residual_s = float(np.sqrt(np.mean((host - (offset + rate * (mcu - ref))) ** 2)))
        else:  # too few samples for a slope: keep the last one
            rate = self.rate
            offset = float(np.mean(host - rate * (mcu - ref)))
        self.rate, self.offset, self.mcu_ref = float(rate), float(offset), ref
        self.synced = True

    def to_host(self, mcu_s: float) -> float | None:
        """Host time of an (unwrapped) MCU time in seconds; None before any offset is known."""
        if self.offset is None:
            return None
        return self.offset + self.rate * (mcu_s - self.mcu_ref)

    def stamp(self, tick: int) -> float | None:
        return self.to_host(self.mcu_seconds(tick))
