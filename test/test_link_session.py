"""Host session of the co-processor link against the MCU emulator: sync, resets, fuzz, reconnect, pty."""

import random
import time

import numpy as np
import pytest

from glasses_bringup.drivers.link.emulator import EmulatedPort, McuEmulator, PtyMcu
from glasses_bringup.drivers.link.session import LinkSession, Stamped
from glasses_bringup.drivers.power.manager import PackReading
from glasses_bringup.drivers.sensors.imu import ImuBatch


class Bench:
    """Host and emulated MCU on one emulated clock; the host wakes when bytes arrive (as a reader thread does)."""

    def __init__(self, emulator: McuEmulator, seed: int = 0, jitter_s: float = 0.001, start: float = 5000.0):
        self.t = start
        rng = random.Random(seed)
        self.emu = emulator
        self.ports: list[EmulatedPort] = []

        def latency():
            return 0.0003 + rng.random() * jitter_s

        def opener(url, baud):
            port = EmulatedPort(emulator, lambda: self.t, latency, latency)
            self.ports.append(port)
            return port

        self.session = LinkSession("emu://", opener=opener)
        self.out: list = []

    @property
    def port(self) -> EmulatedPort:
        return self.ports[-1]

    def run_until(self, t_end: float, on_item=None, max_step: float = 0.01) -> None:
        while self.t < t_end:
            for item in self.session.poll(self.t):
                self.out.append(item)
                if on_item:
                    on_item(item)
            nxt = self.port.next_arrival() if self.ports else self.t + max_step
            self.t = max(self.t + 1e-6, min(self.t + max_step, nxt))

    def of(self, kind):
        return [x for x in self.out if isinstance(x, kind)]


def test_handshake_data_and_commands_acknowledged():
    b = Bench(McuEmulator(imu_rate_hz=400, imu_batch=8, gauge_rate_hz=10))
    b.session.set_power_mode("saver")
    b.session.set_privacy_led(True)
    b.session.set_brightness(0.35)
    b.session.set_wake_offload(True)
    b.emu.touch("double_tap", "left")
    b.emu.wake_hit("okay_nabu", 0.8)
    b.emu.button("long_press")
    b.emu.hinge("folded")
    b.run_until(b.t + 2.0)
    assert b.session.state == "running" and b.session.hello.firmware.startswith("glasses-mcu-emulator")
    assert b.emu.settings == {"power_mode": 1, "privacy_led": 1, "brightness_permille": 350, "wake_offload": 1}
    assert b.session.commands_pending == 0
    samples = sum(len(x) for x in b.of(ImuBatch))
    assert 780 <= samples <= 800  # 400 Hz for 2 s, in batches of 8
    stamps = np.concatenate([x.stamps for x in b.of(ImuBatch)])
    assert np.all(np.diff(stamps) > 0) and np.median(np.diff(stamps)) == pytest.approx(1 / 400, rel=1e-3)
    gauges = b.of(PackReading)
    assert {g.slot for g in gauges} == {"left", "right"} and len(gauges) >= 38
    assert gauges[0].present and gauges[0].design_capacity_ah == pytest.approx(0.28)
    inputs = [x.frame for x in b.of(Stamped)]
    assert [type(f).__name__ for f in inputs] == ["TouchFrame", "WakeFrame", "ButtonFrame", "HingeFrame"]
    assert inputs[0].gesture == "double_tap" and inputs[1].keyword == "okay_nabu" and inputs[3].state == "folded"
    assert b.session.error_total == 0


def test_time_sync_error_under_1ms_over_an_emulated_hour_at_50ppm():
    emu = McuEmulator(drift_ppm=50.0, imu_rate_hz=5, imu_batch=1, gauge_rate_hz=0.0, status_period_s=10.0, seed=4)
    b = Bench(emu, seed=9, jitter_s=0.002)
    errors = []
    period = 1.0 / emu.imu_rate_hz

    def check(item):
        if isinstance(item, ImuBatch) and b.session.sync.synced:
            index = round((item.stamps[0] - emu.boot_at) * (1 + emu.drift) / period)
            truth = emu.boot_at + index * period / (1 + emu.drift)
            errors.append(item.stamps[0] - truth)

    b.run_until(b.t + 3600.0, check, max_step=0.05)
    err = np.abs(np.array(errors))
    assert len(err) > 0.99 * 3600 * emu.imu_rate_hz
    assert err.max() < 1e-3, f"worst stamp error {err.max() * 1e3:.3f} ms"
    assert b.session.sync.drift_ppm == pytest.approx(-50.0, abs=10.0)  # host per MCU second: the MCU runs fast
    assert b.session.sync.uncertainty_s < 2e-3
    assert b.session.counters["mcu_resets"] == 0 and b.session.error_total == 0


def test_ten_mcu_resets_lose_only_the_frames_in_flight():
    emu = McuEmulator(imu_rate_hz=400, imu_batch=8, gauge_rate_hz=10, seed=2)
    b = Bench(emu, seed=3)
    b.session.set_brightness(0.6)
    b.run_until(b.t + 1.0)
    rng = random.Random(8)
    for _ in range(10):
        b.run_until(b.t + rng.uniform(0.3, 1.5))
        b.port._deliver(b.t, emu.reset(b.t))  # the frame being sent is cut, then the MCU boots again
    b.run_until(b.t + 1.0)
    assert b.session.counters["mcu_resets"] == 10 and emu.resets == 10
    lost = emu.data_frames_sent - b.session.data_frames
    assert 0 <= lost <= 10, f"{lost} data frames lost in 10 resets"  # one cut frame per reset
    assert emu.settings["brightness_permille"] == 600  # re-sent after every boot
    assert b.session.state == "running" and b.session.commands_pending == 0
    stamps = np.concatenate([x.stamps for x in b.of(ImuBatch)])
    assert np.all(np.diff(stamps) > -0.005)  # each boot restarts the tick; host stamps stay in order


def test_fuzzed_wire_never_raises_and_counts_each_error():
    emu = McuEmulator(imu_rate_hz=400, imu_batch=8, gauge_rate_hz=10, seed=5)
    b = Bench(emu, seed=6)
    b.run_until(b.t + 1.0)
    rng = random.Random(12)
    expected = {"replay": 0, "noise": 0, "flip": 0, "truncated": 0}
    last_frames: list[bytes] = []

    def mangle(data: bytes) -> bytes:
        frames = [f + b"\x00" for f in data.split(b"\x00") if f]
        out = bytearray()
        for f in frames:
            r = rng.random()
            if r < 0.05:
                out += bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 50))) + b"\x00"
                expected["noise"] += 1
            elif r < 0.10 and len(f) > 3:
                g = bytearray(f)
                g[rng.randrange(len(g) - 1)] ^= 1 << rng.randrange(8)
                g = g.replace(b"\x00", b"")[: len(f) - 1] + b"\x00" if g.count(0) > 1 else g
                out += g
                expected["flip"] += 1
                continue
            elif r < 0.13:
                out += f[: len(f) // 2] + b"\x00"
                expected["truncated"] += 1
                continue
            elif r < 0.16 and last_frames:
                out += rng.choice(last_frames)  # a frame seen before, sent again
                expected["replay"] += 1
            out += f
            last_frames.append(f)
            del last_frames[:-20]
        return bytes(out)

    b.port.mangle = mangle
    b.run_until(b.t + 20.0)
    b.port.mangle = None
    b.run_until(b.t + 1.0)
    s = b.session
    damaged = sum(expected[k] for k in ("noise", "flip", "truncated"))
    wire_errors = sum(s.decoder.errors.values())
    assert wire_errors >= 0.97 * damaged and wire_errors <= damaged + 2
    assert s.counters["seq_replay"] >= expected["replay"] * 0.95 and s.counters["seq_replay"] <= expected["replay"] + 2
    assert s.counters["frames_lost"] > 0  # the damaged frames leave gaps in the sequence
    assert s.state == "running" and s.counters["mcu_resets"] == 0
    assert sum(len(x) for x in b.of(ImuBatch)) > 0.8 * 400 * 22


def test_pulled_cable_reconnects_and_version_mismatch_is_reported():
    emu = McuEmulator(imu_rate_hz=100, imu_batch=4, seed=7)
    b = Bench(emu)
    b.run_until(b.t + 1.0)
    b.port.close()  # the USB-CDC device disappears: reads fail
    b.run_until(b.t + 0.1)
    assert b.session.state == "closed" and b.session.counters["port_errors"] == 1
    b.run_until(b.t + 3.0)
    assert b.session.state == "running" and len(b.ports) == 2
    b.emu.hung = True  # the firmware stops: the host times out and handshakes again
    b.run_until(b.t + 5.0)
    assert b.session.counters["link_timeouts"] == 1 and b.session.state == "handshake"
    b.emu.hung = False
    b.run_until(b.t + 1.0)
    assert b.session.state == "running"

    old = Bench(McuEmulator(major=2, seed=1))
    old.run_until(old.t + 2.0)
    assert old.session.state == "incompatible" and old.session.counters["version_mismatch"] >= 1
    assert "protocol 2.0" in old.session.last_error and not old.of(ImuBatch)


def test_missing_port_is_retried_without_busy_looping():
    s = LinkSession("/dev/nonexistent-mcu")
    for k in range(100):
        assert s.poll(1000.0 + k * 0.1) == []
    assert s.state == "closed" and s.counters["open_failures"] == 5  # once per reconnect_s (2 s) over 10 s
    assert "cannot open /dev/nonexistent-mcu" in s.last_error


def test_session_over_a_pseudo_terminal_with_unplug_and_replug(tmp_path):
    link = tmp_path / "ttyMCU"
    mcu = PtyMcu(McuEmulator(imu_rate_hz=400, imu_batch=8, gauge_rate_hz=10, seed=3), link_path=link).start()
    session = LinkSession(str(link))
    session.config.reconnect_s = 0.2
    session.set_privacy_led(True)
    samples = 0
    try:
        def run(seconds):
            nonlocal samples
            end = time.time() + seconds
            while time.time() < end:
                session.wait(0.01)
                for item in session.poll(time.time()):
                    if isinstance(item, ImuBatch):
                        samples += len(item)

        run(1.5)
        assert session.state == "running" and samples > 300
        assert mcu.emulator.settings.get("privacy_led") == 1
        mcu.unplug()
        run(0.3)
        assert session.state == "closed" and session.counters["port_errors"] >= 1
        mcu.replug()
        before = samples
        run(1.5)
        assert session.state == "running" and samples - before > 300
        assert session.counters["mcu_resets"] == 1 and mcu.emulator.settings.get("privacy_led") == 1
        assert session.sync.synced and session.sync.uncertainty_s < 0.05
    finally:
        session.close()
        mcu.stop()
