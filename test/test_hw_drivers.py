"""Device drivers of the jetson rig: GNSS (NMEA and simulated walk), ring controller, mic channel map, speaker."""

import math
import os
import pty
import sys
import textwrap
import types

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from hypothesis import given, settings
from hypothesis import strategies as st
from rclpy.parameter import Parameter
from sensor_msgs.msg import NavSatFix

from glasses_bringup.drivers.nodes.gnss_node import GnssNode
from glasses_bringup.drivers.nodes.ring_node import RingNode
from glasses_bringup.drivers.sensors import gnss, microphone, ring
from glasses_bringup.drivers.sim.scenario import ScenarioError, load
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.testing import latest_status, wait_for

GGA = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"


def nmea(body: str) -> str:
    cs = 0
    for ch in body.encode():
        cs ^= ch
    return f"${body}*{cs:02X}\r\n"



# --- GNSS core ---------------------------------------------------------------------------


def test_nmea_gga_becomes_a_fix_with_hdop_covariance():
    dec = gnss.NmeaDecoder(uere_m=3.0)
    (fix,) = dec.feed((GGA + "\r\n").encode(), 10.0)
    assert fix.status == gnss.STATUS_FIX and fix.service == gnss.SERVICE_GPS and fix.satellites == 8
    assert fix.latitude == pytest.approx(48.1173) and fix.longitude == pytest.approx(11.516667, abs=1e-6)
    assert fix.altitude == pytest.approx(545.4 + 46.9)
    assert fix.covariance[0] == pytest.approx((0.9 * 3.0) ** 2) and fix.covariance[8] == pytest.approx((1.8 * 3) ** 2)
    assert fix.covariance_type == gnss.COVARIANCE_APPROXIMATED and dec.errors == {}


def test_nmea_bad_sentences_are_counted_and_no_fix_is_reported():
    dec = gnss.NmeaDecoder()
    data = (GGA[:-2] + "00\r\n"  # checksum wrong
            + "boot: gnss fw 3.01\r\n"  # not NMEA
            + nmea("GPGGA,123520,,,,,0,00,,,M,,M,,")  # quality 0: no fix
            + nmea("GNGGA,123521,9107.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")  # latitude 91 degrees
            + "$" + "A" * 300 + "\r\n"
            + nmea("GPRMC,123522,V,4807.038,N,01131.000,E,0.0,0.0,010126,,,N")
            + GGA + "\r\n")  # valid GGA, but RMC said the receiver has no valid fix
    fixes = dec.feed(data.encode(), 1.0)
    assert [f.status for f in fixes] == [gnss.STATUS_NO_FIX, gnss.STATUS_NO_FIX]
    assert math.isnan(fixes[0].latitude)
    assert dec.errors["bad_checksum"] == 1 and dec.errors["not_nmea"] == 1
    assert dec.errors["bad_position"] == 1 and dec.errors["overlong"] == 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_nmea_decoder_never_raises(data):
    dec = gnss.NmeaDecoder()
    dec.feed(data, 0.0)
    dec.feed(b"$GPGGA," + data + b"*00\n", 0.0)


def write_walk_scenario(tmp_path):
    path = tmp_path / "walk.yaml"
    path.write_text(textwrap.dedent("""
        name: walk
        duration_s: 120
        seed: 4
        timeline:
          - {at: 2.0, walk: {start: [31.2304, 121.4737], heading_deg: 90, speed_mps: 1.5, duration_s: 100,
                             noise_m: 2.0, dropout_at_s: 30, dropout_s: 10}}
          - {at: 3.0, ring: double_tap}
        """))
    return path


def test_walk_scenario_renders_positions_with_noise_and_a_dropout(tmp_path):
    scenario = load(write_walk_scenario(tmp_path))
    src = gnss.SimGnssSource([(e.at, e.walk) for e in scenario.entries("walk")], 1.0, 100.0, seed=1)
    fixes = [f for t in range(111) for f in src.poll(100.0 + t)]
    assert len(fixes) == 111
    assert len(src.poll(100.0 + 200.0)) == 1  # far behind (process paused): no flood of old fixes
    assert all(f.status == gnss.STATUS_NO_FIX for f in fixes[:2])  # before the walk: no position known
    dropout = [f for f in fixes if 32 <= f.stamp - 100.0 < 42]
    assert len(dropout) == 10 and all(f.status == gnss.STATUS_NO_FIX for f in dropout)
    good = [f for f in fixes if f.status == gnss.STATUS_FIX]
    errors = [gnss.distance_m(f.latitude, f.longitude, *src.truth(f.stamp - 100.0)) for f in good]
    assert 1.0 < float(np.sqrt(np.mean(np.square(errors)))) / math.sqrt(2) < 3.0  # 2 m per axis
    end = src.truth(110.0)
    assert gnss.distance_m(31.2304, 121.4737, *end) == pytest.approx(150.0, rel=1e-3)  # 100 s at 1.5 m/s
    assert end[1] > 121.4737 and end[0] == pytest.approx(31.2304, abs=1e-6)  # due east


def test_walk_action_is_validated(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nduration_s: 5\ntimeline: [{at: 1, walk: {start: [95, 0], duration_s: 3}}]\n")
    with pytest.raises(ScenarioError, match="latitude"):
        load(path)


def test_gnss_node_sim_and_nmea_sources(ros, tmp_path):
    scenario = write_walk_scenario(tmp_path)
    now = ros.probe.get_clock().now().nanoseconds * 1e-9
    sim = ros.add(GnssNode(node_name="gnss_sim", namespace="/glasses", parameter_overrides=[
        Parameter("source", value="sim"), Parameter("scenario", value=str(scenario)),
        Parameter("scenario_start", value=now - 5.0), Parameter("rate_hz", value=5.0)]))
    fixes = ros.collect("gnss/fix", NavSatFix)
    assert wait_for(lambda: any(m.status.status == 0 for m in fixes), 5)
    m = [m for m in fixes if m.status.status == 0][-1]
    assert m.latitude == pytest.approx(31.2304, abs=1e-3) and m.header.frame_id == "gnss"
    assert m.position_covariance_type == NavSatFix.COVARIANCE_TYPE_APPROXIMATED
    assert sim.fixes > 0
    sim.destroy_node()
    ros.nodes.remove(sim)

    master, slave = pty.openpty()
    try:
        node = ros.add(GnssNode(namespace="/glasses", parameter_overrides=[
            Parameter("source", value="nmea"), Parameter("port", value=os.ttyname(slave)),
            Parameter("diagnostics_period_s", value=0.2)]))
        diags = ros.collect("/diagnostics", DiagnosticArray)
        assert wait_for(lambda: node.serial is not None, 5)
        count = len(fixes)
        os.write(master, (GGA + "\r\n" + "noise\r\n").encode())
        assert wait_for(lambda: len(fixes) > count and fixes[-1].latitude == pytest.approx(48.1173), 5)
        assert wait_for(lambda: latest_status(diags, "/gnss")[1].get("rejected.not_nmea") == "1", 5)
    finally:
        os.close(master)
        os.close(slave)


def test_gnss_node_without_its_port_reports_an_error(ros):
    ros.add(GnssNode(namespace="/glasses", parameter_overrides=[
        Parameter("source", value="nmea"), Parameter("port", value="/dev/glasses-no-gnss"),
        Parameter("diagnostics_period_s", value=0.2)]))
    diags = ros.collect("/diagnostics", DiagnosticArray)
    assert wait_for(lambda: latest_status(diags, "/gnss")[0] is not None and latest_status(diags, "/gnss")[0].level == b"\x02", 5)
    assert "/dev/glasses-no-gnss" in latest_status(diags, "/gnss")[0].message


# --- ring controller ---------------------------------------------------------------------


def test_ring_notifications():
    assert ring.parse_notification(b"\x01") == ("tap", None)
    assert ring.parse_notification(b"\x04\x55") == ("swipe_forward", 85)
    for data, reason in [(b"", "empty"), (b"\x09", "unknown_code"), (b"\x01\xff", "bad_battery"), (b"\x01\x02\x03", "too_long")]:
        with pytest.raises(ring.RingError) as err:
            ring.parse_notification(data)
        assert err.value.reason == reason


def test_ring_node_sim_and_ble_without_an_adapter(ros, tmp_path):
    scenario = write_walk_scenario(tmp_path)
    now = ros.probe.get_clock().now().nanoseconds * 1e-9
    ros.add(RingNode(namespace="/glasses", parameter_overrides=[
        Parameter("source", value="sim"), Parameter("scenario", value=str(scenario)),
        Parameter("scenario_start", value=now - 2.5)]))
    got = ros.collect_events("input/ring", ev.Touch)
    assert wait_for(lambda: got, 5)
    assert got[0].gesture == "double_tap" and got[0].side == "ring" and got[0].stamp == pytest.approx(now + 0.5)

    ble = ros.add(RingNode(node_name="ring_ble", namespace="/glasses", parameter_overrides=[
        Parameter("source", value="ble"), Parameter("address", value="AA:BB:CC:DD:EE:FF"),
        Parameter("reconnect_s", value=30.0), Parameter("diagnostics_period_s", value=0.2)]))
    diags = ros.collect("/diagnostics", DiagnosticArray)
    assert wait_for(lambda: latest_status(diags, "ring_ble")[0] is not None and latest_status(diags, "ring_ble")[0].level == b"\x02", 15)
    assert "ring not connected" in latest_status(diags, "ring_ble")[0].message
    assert not ble.ble.connected


# --- microphone array channel map ----------------------------------------------------------


def test_alsa_source_publishes_the_mapped_channels(monkeypatch):
    opened = {}

    class FakeStream:
        def __init__(self, **kwargs):
            opened.update(kwargs)

        def start(self):
            pass

        def stop(self):
            pass

        def close(self):
            pass

    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(InputStream=FakeStream))
    src = microphone.AlsaMicrophoneSource("hw:1,0", 16000, 2, 320, device_channels=4, channel_map=[2, 0])
    assert opened["channels"] == 4 and opened["device"] == "hw:1,0"
    block = np.arange(320 * 4, dtype=np.float32).reshape(320, 4)
    opened["callback"](block, 320, None, types.SimpleNamespace(input_overflow=False))
    (out,) = src.pending()
    assert out.shape == (320, 2) and np.array_equal(out[:, 0], block[:, 2]) and np.array_equal(out[:, 1], block[:, 0])
    with pytest.raises(microphone.MicrophoneError, match="no \\[4\\]"):
        microphone.AlsaMicrophoneSource("", 16000, 2, 320, device_channels=4, channel_map=[0, 4])
    with pytest.raises(microphone.MicrophoneError, match="entries"):
        microphone.channel_selection(4, [0, 1, 2], 2)
