"""Serial IMU line protocol: parser, garbage tolerance (hypothesis), clock mapping, loop:// port."""

import math

import numpy as np
import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.drivers.sensors.imu import (
    ACCEL_LIMIT,
    GYRO_LIMIT,
    ClockMapper,
    ImuLineError,
    LineSplitter,
    SerialDecoder,
    SerialImuSource,
    format_line,
    parse_line,
    raw_covariances,
)

ACCEL = st.floats(-ACCEL_LIMIT * 0.99, ACCEL_LIMIT * 0.99, allow_nan=False)
GYRO = st.floats(-GYRO_LIMIT * 0.99, GYRO_LIMIT * 0.99, allow_nan=False)


def test_parses_a_line_with_and_without_checksum():
    line = format_line(123456, (0.1, -0.2, 9.81), (0.01, 0.02, -0.03))
    assert line.startswith("$IMU,123456,") and "*" in line
    sample = parse_line(line)
    assert sample.t_us == 123456
    assert sample.accel == pytest.approx((0.1, -0.2, 9.81))
    assert sample.gyro == pytest.approx((0.01, 0.02, -0.03))
    assert parse_line("IMU,5,0,0,9.8,0,0,0\r").accel[2] == pytest.approx(9.8)
    assert parse_line("$IMU,5,0,0,9.8,0,0,0*57").t_us == 5  # NMEA-style, as the fuel-gauge link


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", "empty"),
        ("BOOT v1.2 ok", "not_imu"),
        ("$BAT,1,L,1,3900,-120,250,300,AB-1*00", "bad_checksum"),
        ("BAT,1,3.7", "not_imu"),
        ("IMU,1,2,3", "field_count"),
        ("IMU,1,0,0,9.8,0,0,0,7", "field_count"),
        ("IMU,abc,0,0,9.8,0,0,0", "bad_time"),
        ("IMU,-5,0,0,9.8,0,0,0", "bad_time"),
        ("IMU,1,0,x,9.8,0,0,0", "bad_number"),
        ("IMU,1,0,nan,9.8,0,0,0", "not_finite"),
        ("IMU,1,0,inf,9.8,0,0,0", "not_finite"),
        ("IMU,1,0,0,900,0,0,0", "accel_out_of_range"),
        ("IMU,1,0,0,9.8,0,0,99", "gyro_out_of_range"),
        ("IMU,1,0,0,9.8,0,0,0*00", "bad_checksum"),
        ("IMU,1,0,0,9.8,0,0,0*zz", "bad_checksum"),
    ],
)
def test_bad_lines_raise_a_countable_reason(line, reason):
    with pytest.raises(ImuLineError) as info:
        parse_line(line)
    assert info.value.reason == reason


def test_a_flipped_character_fails_the_checksum():
    line = format_line(77, (0.5, 0.25, 9.75), (0.125, 0, 0))
    broken = line.replace("9.75", "9.76")
    with pytest.raises(ImuLineError) as info:
        parse_line(broken)
    assert info.value.reason == "bad_checksum"


@settings(max_examples=150, deadline=None)
@given(t_us=st.integers(0, 2**32 - 1), accel=st.tuples(ACCEL, ACCEL, ACCEL), gyro=st.tuples(GYRO, GYRO, GYRO))
def test_format_then_parse_round_trips(t_us, accel, gyro):
    sample = parse_line(format_line(t_us, accel, gyro))
    assert sample.t_us == t_us
    # format_line writes 6 significant digits
    assert np.allclose(sample.accel, accel, rtol=1e-5, atol=1e-30)
    assert np.allclose(sample.gyro, gyro, rtol=1e-5, atol=1e-30)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_or_raises_line_error(text):
    try:
        sample = parse_line(text)
    except ImuLineError as exc:
        assert exc.reason
    else:
        assert all(math.isfinite(v) for v in (*sample.accel, *sample.gyro))


@settings(max_examples=200, deadline=None)
@given(garbage=st.lists(st.binary(max_size=300), max_size=8), cut=st.integers(1, 50))
def test_decoder_recovers_every_good_line_around_garbage(garbage, cut):
    """Good lines survive any garbage between them, however the bytes are chunked."""
    good = [format_line(1000 * (i + 1), (0, 0, 9.8), (0.01 * i, 0, 0)).encode() for i in range(len(garbage) + 1)]
    stream = b""
    for i, g in enumerate(good):
        stream += g + b"\n"
        if i < len(garbage):
            # Garbage ends in a newline, as a glitch on a line-based link does.
            stream += garbage[i].replace(b"\n", b"").replace(b"\r", b"") + b"\n"
    decoder = SerialDecoder()
    stamps = []
    for k in range(0, len(stream), cut):
        stamps.extend(decoder.decode(stream[k : k + cut], host_s=10.0).stamps.tolist())
    assert decoder.stats.samples >= len(good)
    assert decoder.stats.samples <= len(good) + sum(1 for g in garbage if g.startswith((b"IMU,", b"$IMU,")))
    assert all(math.isfinite(s) for s in stamps)


def test_splitter_drops_overlong_runs_and_resyncs():
    splitter = LineSplitter(max_line=40)
    assert splitter.feed(b"x" * 500) == []
    assert splitter.overlong >= 1
    lines = splitter.feed(b"\nIMU,1,0,0,9.8,0,0,0\r\n")
    assert lines == ["IMU,1,0,0,9.8,0,0,0"]


def test_samples_of_one_read_keep_their_device_spacing():
    clock = ClockMapper()
    stamps = clock.stamp_batch([1_000_000, 1_010_000, 1_020_000], host_s=5.0)
    assert stamps == pytest.approx([4.98, 4.99, 5.0])


def test_clock_mapper_keeps_the_smallest_delay_and_unwraps_the_counter():
    clock = ClockMapper()
    # Device samples every 10 ms; host reads arrive with 2-8 ms jitter.
    stamps, hosts = [], []
    rng = np.random.default_rng(0)
    for k in range(500):
        device_us = (2**32 - 2_000_000 + k * 10_000) % 2**32  # wraps after 2 s
        hosts.append(100.0 + k * 0.01 + rng.uniform(0.002, 0.008))
        stamps.extend(clock.stamp_batch([device_us], hosts[-1]))
    steps = np.diff(stamps)
    # Jitter of 6 ms is removed: steps stay within the allowed drift creep of the 10 ms period.
    assert np.abs(steps[20:] - 0.01).max() < 0.001
    assert np.median(steps) == pytest.approx(0.01, abs=2e-6)
    assert clock.resets == 0
    assert np.all(np.array(stamps) <= np.array(hosts) + 1e-12)  # never in the future
    assert np.mean(np.array(hosts) - stamps) < 0.004  # close to the smallest delay (2 ms)


def test_clock_mapper_restarts_when_the_device_resets():
    clock = ClockMapper()
    clock.stamp_batch([50_000_000], 10.0)
    assert clock.stamp_batch([1_000], 10.01) == [pytest.approx(10.01)]
    assert clock.resets == 1
    # A reset inside one read: the samples after it start a new mapping.
    stamps = clock.stamp_batch([11_000, 21_000, 7_000_000_000 % 2**32, 7_000_010_000 % 2**32], 20.0)
    assert clock.resets == 2
    assert stamps[1] - stamps[0] == pytest.approx(0.01)
    assert stamps[3] == pytest.approx(20.0)


def test_duplicate_device_time_is_counted_not_published():
    decoder = SerialDecoder()
    line = (format_line(500, (0, 0, 9.8), (0, 0, 0)) + "\n").encode()
    batch = decoder.decode(line + line, host_s=1.0)
    assert len(batch) == 1 and decoder.stats.bad["duplicate_time"] == 1


def test_serial_source_over_loop_url_reads_samples_and_counts_garbage():
    source = SerialImuSource("loop://", baudrate=115200)
    assert source.poll(now_s=1.0).stamps.size == 0 and source.connected
    lines = [format_line(1_000_000 + 10_000 * k, (0.0, 0.1, 9.81), (0.0, 0.0, 0.2 * k)) for k in range(5)]
    source.port.write(
        ("\n".join(lines[:3]) + "\n\x00\xffgarbage\nIMU,1,2\n" + "\n".join(lines[3:]) + "\n").encode("latin-1")
    )
    batch = source.poll(now_s=2.0)
    assert len(batch) == 5
    assert batch.gyro[:, 2] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    assert np.allclose(np.diff(batch.stamps), 0.01)
    assert source.decoder.stats.bad["not_imu"] == 1 and source.decoder.stats.bad["field_count"] == 1
    source.close()


def test_serial_source_reports_a_missing_device_and_retries_later():
    source = SerialImuSource("/dev/does-not-exist-imu", reconnect_s=5.0)
    assert len(source.poll(now_s=0.0)) == 0
    assert not source.connected and "does-not-exist" in source.last_error
    source.poll(now_s=1.0)
    assert source.open_failures == 1  # no retry before reconnect_s
    source.poll(now_s=6.0)
    assert source.open_failures == 2


def test_raw_covariances_follow_rep_145():
    cov = raw_covariances(0.003, 0.02)
    assert cov["orientation_covariance"][0] == -1.0
    assert cov["angular_velocity_covariance"][0] == pytest.approx(0.003**2)
    assert cov["linear_acceleration_covariance"][8] == pytest.approx(0.02**2)
    assert cov["linear_acceleration_covariance"][1] == 0.0
    assert serial.__version__  # pyserial is the transport


def test_sim_source_hands_out_due_samples_once_whatever_the_tick_pattern():
    from glasses_bringup.drivers.sensors.imu import SimImuSource
    from glasses_bringup.drivers.sim.motion import MotionPlan, SimulatedImu

    plan = MotionPlan(seed=2)
    plan.add_gesture("nod", 0.5)
    source = SimImuSource(plan, 100.0, start_s=1000.0, lookahead=7)
    assert len(source.poll(999.9)) == 0  # before the start
    got = [source.poll(now) for now in (1000.0, 1000.004, 1000.031, 1000.2, 1000.205, 1000.9)]
    stamps = np.concatenate([b.stamps for b in got])
    gyro = np.concatenate([b.gyro for b in got])
    assert np.allclose(stamps, 1000.0 + np.arange(91) / 100.0)
    assert np.array_equal(gyro, SimulatedImu(plan, 100.0).samples(0, 91)[1])
    # A stall longer than max_catchup_s skips the oldest samples and counts them.
    late = source.poll(1010.0)
    assert len(late) == 100 and source.skipped == 901 - 91
