"""Sensor and output nodes on real rclpy: what they publish, and how they take bad input."""

import time
from pathlib import Path

import cv2
import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.parameter import Parameter
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Bool, String
from std_srvs.srv import Trigger

from glasses_bringup.drivers.nodes.camera_node import CameraNode
from glasses_bringup.drivers.nodes.display_node import DisplayNode
from glasses_bringup.drivers.nodes.microphone_node import MicrophoneNode
from glasses_bringup.drivers.nodes.scenario_node import ScenarioNode
from glasses_bringup.drivers.nodes.touch_node import TouchNode
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.audio_format import GapDetector
from glasses_bringup.foundation.ros.msgs import audio_samples, image_array, to_sec
from glasses_bringup.foundation.testing import wait_for

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bringup"
SCENARIO = str(FIXTURES / "short.yaml")
NS = "/glasses"


def params(**kw):
    return [Parameter(k, value=v) for k, v in kw.items()]


def test_camera_sim_streams_frames_with_info_and_privacy_led(ros):
    start = time.time() + 0.2
    ros.add(CameraNode(namespace=NS, parameter_overrides=params(
        source="sim", scenario=SCENARIO, scenario_start=start, width=320, height=240, fps=20.0)))
    frames = ros.collect("camera/image_raw", Image)
    infos = ros.collect("camera/camera_info", CameraInfo)
    led = ros.collect("camera/privacy_led", Bool)
    stills = ros.collect("camera/still", CompressedImage)
    assert wait_for(lambda: len(frames) >= 5 and infos and any(m.data for m in led), 15)
    img = image_array(frames[-1])
    assert img.shape == (240, 320, 3) and frames[-1].encoding == "rgb8"
    assert frames[-1].header.frame_id == "camera_optical"
    assert infos[-1].k[0] > 0 and infos[-1].width == 320

    client = ros.probe.create_client(Trigger, f"{NS}/camera/capture")
    assert client.wait_for_service(timeout_sec=5)
    future = client.call_async(Trigger.Request())
    assert wait_for(lambda: future.done(), 5) and future.result().success
    assert wait_for(lambda: stills, 5)
    jpeg = cv2.imdecode(np.frombuffer(stills[0].data, np.uint8), cv2.IMREAD_COLOR)
    assert jpeg.shape == (240, 320, 3)


def test_camera_rate_changes_at_run_time_and_disable_turns_led_off(ros):
    cam = ros.add(CameraNode(namespace=NS, parameter_overrides=params(source="sim", scenario=SCENARIO, width=160, height=120, fps=5.0)))
    led = ros.collect("camera/privacy_led", Bool)
    ros.collect("camera/image_raw", Image)  # a consumer: the camera streams only while someone subscribes
    assert wait_for(lambda: led and led[-1].data, 10)
    assert cam.set_parameters([Parameter("fps", value=25.0)])[0].successful
    assert cam.fps == 25.0
    assert not cam.set_parameters([Parameter("fps", value=500.0)])[0].successful
    assert cam.set_parameters([Parameter("enabled", value=False)])[0].successful
    assert wait_for(lambda: not led[-1].data, 5)


def test_camera_captures_nothing_without_a_subscriber(ros):
    cam = ros.add(CameraNode(namespace=NS, parameter_overrides=params(source="sim", scenario=SCENARIO, width=160,
                                                                       height=120, fps=20.0)))
    led = ros.collect("camera/privacy_led", Bool)
    time.sleep(1.0)
    assert cam.last_frame is None and not any(m.data for m in led)  # no consumer: no capture, LED off
    stills = ros.collect("camera/still", CompressedImage)  # an explicit capture reads the sensor itself
    client = ros.probe.create_client(Trigger, f"{NS}/camera/capture")
    assert client.wait_for_service(timeout_sec=5)
    future = client.call_async(Trigger.Request())
    assert wait_for(lambda: future.done(), 5) and future.result().success and wait_for(lambda: stills, 5)
    frames = ros.collect("camera/image_raw", Image)
    assert wait_for(lambda: len(frames) >= 3 and led and led[-1].data, 10)
    ros.probe.destroy_subscription(list(ros.probe.subscriptions)[-1])  # the only consumer leaves
    assert wait_for(lambda: not led[-1].data, 5)
    stopped = len(frames)
    time.sleep(0.5)
    assert len(frames) <= stopped + 1


def test_camera_missing_device_reports_error_and_keeps_running(ros):
    cam = ros.add(CameraNode(namespace=NS, parameter_overrides=params(source="device", device="/dev/video99", retry_s=0.2)))
    diags = ros.collect("/diagnostics", DiagnosticArray)

    def camera_error():
        for arr in diags:
            for s in arr.status:
                if s.name.endswith("/camera") and s.level == b"\x02" and "does not exist" in s.message:
                    return True
        return False

    assert wait_for(camera_error, 10)
    assert cam.health.errors >= 2  # it keeps retrying


def test_camera_file_source_reads_an_image_folder(ros, tmp_path):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((60, 80, 3), 40 * i, np.uint8))
    ros.add(CameraNode(namespace=NS, parameter_overrides=params(source="file", path=str(tmp_path), width=80, height=60, fps=30.0)))
    frames = ros.collect("camera/image_raw", Image)
    assert wait_for(lambda: len(frames) >= 6, 10)
    values = [int(image_array(f)[0, 0, 0]) for f in frames[:6]]
    assert set(values) == {0, 40, 80}


def test_microphone_sim_chunks_are_contiguous_and_follow_the_convention(ros):
    ros.add(MicrophoneNode(namespace=NS, parameter_overrides=params(source="sim", scenario=SCENARIO, scenario_start=time.time())))
    chunks = ros.collect("audio/raw", Image)
    assert wait_for(lambda: len(chunks) >= 60, 15)
    gaps = GapDetector()
    for msg in chunks:
        caps, samples = audio_samples(msg)
        assert caps.rate == 16000 and caps.channels == 1 and samples.shape == (320, 1)
        gaps.check(to_sec(msg.header.stamp), msg.width, caps.rate)
    assert gaps.gaps == 0 and gaps.overlaps == 0


def test_microphone_file_source_and_unreadable_file(ros, tmp_path):
    import soundfile as sf

    wav = tmp_path / "tone.wav"
    t = np.arange(8000) / 8000.0
    sf.write(wav, 0.5 * np.sin(2 * np.pi * 440 * t), 8000)  # 8 kHz: resampled to 16 kHz
    ros.add(MicrophoneNode(namespace=NS, parameter_overrides=params(source="file", path=str(wav))))
    chunks = ros.collect("audio/raw", Image)
    assert wait_for(lambda: len(chunks) >= 50, 10)  # 1 s of audio = 50 chunks
    time.sleep(0.3)
    assert len(chunks) == 50  # no loop: the file ended
    (tmp_path / "bad.wav").write_bytes(b"RIFF garbage")
    bad = ros.add(MicrophoneNode(node_name="mic_bad", namespace=NS, parameter_overrides=params(source="file", path=str(tmp_path / "bad.wav"))))
    assert bad.source is None and "cannot read audio" in bad.health.last_error


def test_touch_and_scenario_events_arrive_on_time(ros):
    start = time.time() + 0.3
    ros.add(TouchNode(namespace=NS, parameter_overrides=params(scenario=SCENARIO, scenario_start=start)))
    ros.add(ScenarioNode(namespace=NS, parameter_overrides=params(scenario=SCENARIO, scenario_start=start)))
    touches = ros.collect_events("input/touch", ev.Touch)
    scenario_events = ros.collect_events("sim/scenario", ev.ScenarioEvent)
    assert wait_for(lambda: touches and len(scenario_events) >= 4, 10)
    assert touches[0].gesture == "tap" and abs(touches[0].stamp - (start + 0.5)) < 1e-6
    kinds = [e.kind for e in scenario_events]
    assert kinds[:4] == ["motion", "touch", "say", "show"]


def test_display_renders_cards_and_counts_malformed_ones(ros):
    display = ros.add(DisplayNode(namespace=NS, parameter_overrides=params(width=320, height=200, refresh_hz=5.0)))
    images = ros.collect("display/image", Image)
    cards = ros.publisher("display/card", String)
    assert wait_for(lambda: images, 5)
    blank = image_array(images[-1])
    assert blank.max() == 0
    wait_for(lambda: ros.probe.count_subscribers(f"{NS}/display/card") > 0, 5)
    card = ev.Card(stamp=123.0, card_id="c1", kind="confirm", title="Pay 12.50 CNY", body="to Cafe Lumi")
    cards.publish(String(data=ev.encode(card)))
    cards.publish(String(data='{"schema": "card", "v": 1}'))
    assert wait_for(lambda: any(to_sec(m.header.stamp) == 123.0 for m in images), 5)
    drawn = next(m for m in images if to_sec(m.header.stamp) == 123.0)
    assert image_array(drawn).max() == 255 and drawn.encoding == "mono8"
    assert wait_for(lambda: display.health.rejects["invalid_fields"] == 1, 5)


def test_g1_display_speaks_cards(ros):
    ros.add(DisplayNode(namespace=NS, parameter_overrides=params(variant="g1")))
    says = ros.collect_events("speaker/say", ev.Say)
    images = ros.collect("display/image", Image)
    cards = ros.publisher("display/card", String)
    wait_for(lambda: ros.probe.count_subscribers(f"{NS}/display/card") > 0, 5)
    cards.publish(String(data=ev.encode(ev.Card(stamp=5.0, card_id="c2", kind="info", title="Train station", body="Turn left in 50 m"))))
    assert wait_for(lambda: says, 5)
    assert says[0].text == "Train station. Turn left in 50 m." and says[0].stamp == 5.0
    time.sleep(0.3)
    assert images == []


def test_every_node_reports_diagnostics_with_rates(ros):
    ros.add(CameraNode(namespace=NS, parameter_overrides=params(source="sim", scenario=SCENARIO, width=160, height=120, fps=10.0, diagnostics_period_s=0.2)))
    diags = ros.collect("/diagnostics", DiagnosticArray)
    ros.collect("camera/camera_info", CameraInfo)

    def camera_rate():
        for arr in diags:
            for s in arr.status:
                kv = {v.key: v.value for v in s.values}
                if s.name == "/glasses/camera" and float(kv.get("frames.rate_hz", 0)) > 5:
                    return True
        return False

    assert wait_for(camera_rate, 10)
