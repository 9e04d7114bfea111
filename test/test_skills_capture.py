"""Photo and video: the media store and recorder (the only writer of camera pixels), the
capture skill through the dialogue, and the nodes on rclpy with a scan of the run
directory: no frame on disk without a capture request."""

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import Image
from std_msgs.msg import String

from glasses_agent.backends.media import MediaError, MediaRecorder, MediaStore
from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.intents import ParseResult
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.testing import wait_for

SCENARIO = str(Path(__file__).resolve().parent / "fixtures" / "bringup" / "short.yaml")


def frame(w=320, h=240, shade=90):
    rgb = np.full((h, w, 3), shade, np.uint8)
    cv2.putText(rgb, "glasses", (20, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (250, 250, 250), 2)
    return rgb


def jpeg(rgb):
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return data.tobytes()


def pixel_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` holding an image or a clip, by content (JPEG, PNG, AVI / RIFF, MP4, NumPy)."""
    found = []
    for p in folder.rglob("*"):
        if p.is_file():
            head = p.read_bytes()[:12]
            if head[:3] == b"\xff\xd8\xff" or head[:8] == b"\x89PNG\r\n\x1a\n" or head[:4] == b"RIFF" or \
                    head[4:8] == b"ftyp" or head[:6] == b"\x93NUMPY":  # fmt: skip
                found.append(p)
    return sorted(found)


# -- store and recorder (no ROS) -----------------------------------------------------------


def test_photo_is_the_still_as_received_plus_a_thumbnail(tmp_path):
    store = MediaStore(tmp_path / "media", thumb_px=64)
    still = jpeg(frame(640, 480))
    saved = store.save_photo(still, "r1")
    assert Path(saved.path).read_bytes() == still  # not re-encoded
    assert (saved.width, saved.height, saved.bytes) == (640, 480, len(still))
    thumb = cv2.imread(saved.thumbnail)
    assert max(thumb.shape[:2]) == 64
    assert not list((tmp_path / "media").rglob("*.part"))
    with pytest.raises(MediaError) as err:
        store.save_photo(b"not a jpeg", "r2")
    assert err.value.reason == "bad_still" and len(store.files()) == 2


def test_capture_refused_when_storage_low_or_battery_critical(tmp_path):
    assert MediaStore(tmp_path, min_free_mb=200, free_bytes=lambda p: 50_000_000).refusal() == "storage_low"
    assert MediaStore(tmp_path, free_bytes=lambda p: 10**12).refusal("critical") == "battery_critical"
    assert MediaStore(tmp_path, free_bytes=lambda p: 10**12).refusal("saver") is None
    recorder = MediaRecorder(MediaStore(tmp_path / "m", free_bytes=lambda p: 1))
    recorder.on_led(True)
    assert recorder.request("photo", "r", 0.0)[0]["reason"] == "storage_low"
    assert recorder.request("video_start", "v", 0.0)[0]["status"] == "refused" and not recorder.wants_frames
    assert pixel_files(tmp_path) == []


def test_video_clip_holds_the_frames_recorded(tmp_path):
    store = MediaStore(tmp_path / "media", video_fps=10.0)
    assert store.add_frame(frame(), 0.0) is False  # not recording: dropped
    store.start_video("v1")
    for k in range(12):
        store.add_frame(frame(shade=40 + 10 * k), k / 10.0)
    clip = store.stop_video()
    cap = cv2.VideoCapture(clip.path)
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    assert clip.frames == count == 12 and (clip.width, clip.height) == (320, 240)
    assert clip.duration_s == pytest.approx(1.2) and Path(clip.thumbnail).exists()
    with pytest.raises(MediaError):
        store.stop_video()
    store.start_video("v2")
    with pytest.raises(MediaError) as err:
        store.stop_video()  # no frame came
    assert err.value.reason == "no_frames"


def test_recorder_keeps_pixels_only_on_request(tmp_path):
    recorder = MediaRecorder(MediaStore(tmp_path / "media", free_bytes=lambda p: 10**12), still_timeout_s=1.0)
    assert recorder.on_still(jpeg(frame()), 0.0) == []  # a still nobody asked for
    assert recorder.on_frame(frame(), 0.0) == []
    assert recorder.request("photo", "p0", 0.0)[0]["reason"] == "camera_off"  # LED off: no frames leave the sensor
    assert pixel_files(tmp_path) == []
    recorder.on_led(True)
    assert recorder.request("photo", "p1", 1.0) == [] and recorder.photo is not None
    saved = recorder.on_still(jpeg(frame()), 1.1)[0]
    assert saved["status"] == "saved" and Path(saved["path"]).exists() and Path(saved["thumbnail"]).exists()
    recorder.request("photo", "p2", 2.0)
    assert recorder.tick(3.5)[0] == {"request_id": "p2", "action": "photo", "status": "failed", "reason": "no_still",
                                     "path": ""}  # fmt: skip
    started = recorder.request("video_start", "v1", 4.0)[0]
    assert started["status"] == "recording" and recorder.wants_frames
    assert recorder.request("video_start", "v2", 4.1)[0]["reason"] == "already_recording"
    for k in range(5):
        recorder.on_frame(frame(), 4.0 + k / 15)
    stopped = recorder.on_led(False)[0]  # the camera went off: the clip is closed and kept
    assert (stopped["status"], stopped["reason"], stopped["frames"]) == ("saved", "camera_off", 5)
    assert not recorder.wants_frames and recorder.on_frame(frame(), 5.0) == []
    recorder.on_led(True)
    recorder.request("video_start", "v3", 6.0)
    recorder.on_frame(frame(), 6.0)
    assert recorder.on_power("critical")[0]["reason"] == "battery_critical"
    assert recorder.request("video_stop", "x", 7.0)[0]["reason"] == "not_recording"
    assert len(pixel_files(tmp_path)) == 6  # one photo, two clips, three thumbnails


# -- the skill through the dialogue ----------------------------------------------------------


@pytest.fixture
def dialogue(tmp_path):
    sandbox = SqliteSandbox(tmp_path / "agent.sqlite")
    yield DialogueManager(sandbox)
    sandbox.close()


def intent(d, name, t, lang="en"):
    return d.on_parsed(ParseResult(name, {}, 0.9, lang, name), name, t, t)[0]


def test_take_photo_card_comes_only_from_the_saved_result(dialogue, tmp_path):
    d = dialogue
    step = intent(d, "take_photo", 1.0)
    (topic, request), = step.outbox
    assert topic == "media/request" and request.action == "photo"
    assert step.actions[0][:2] == ("take_photo", "requested")
    assert not any(r.message_id == "photo_saved" for r in step.replies)
    thumb = tmp_path / "t.jpg"
    thumb.write_bytes(jpeg(frame(80, 60)))
    saved = ev.MediaResult(stamp=1.2, request_id=request.request_id, action="photo", status="saved",
                           path=str(tmp_path / "IMG_1.jpg"), thumbnail=str(thumb), bytes=1000, width=640, height=480)  # fmt: skip
    done = d.on_media_result(saved, 1.2)[0]
    card = done.replies[0]
    assert (card.message_id, card.title, card.image) == ("photo_saved", "Photo saved", str(thumb))
    assert "640×480" in card.body and done.turn_id == step.turn_id and d.metrics()["completions"] == 1
    refused = ev.MediaResult(stamp=2.0, request_id=intent(d, "take_photo", 2.0).outbox[0][1].request_id,
                             action="photo", status="refused", reason="storage_low")  # fmt: skip
    card = d.on_media_result(refused, 2.0)[0].replies[0]
    assert card.message_id == "capture_refused" and card.body == "storage is almost full"
    assert d.metrics()["failures"] == 1


def test_video_by_voice_and_the_touch_gesture(dialogue):
    d = dialogue
    assert intent(d, "stop_video", 1.0).replies[0].message_id == "capture_refused"  # nothing recording
    start = intent(d, "record_video", 2.0).outbox[0][1]
    assert start.action == "video_start"
    rec = d.on_media_result(ev.MediaResult(stamp=2.1, request_id=start.request_id, action="video_start",
                                           status="recording"), 2.1)[0]  # fmt: skip
    assert rec.replies[0].title == "● Recording"
    stop = d.on_touch("tap", 5.0, 5.0)[0].outbox[0][1]  # a tap while recording stops the clip
    assert stop.action == "video_stop"
    saved = d.on_media_result(ev.MediaResult(stamp=5.1, request_id=start.request_id, action="video_stop",
                                             status="saved", path="/m/VID_1.avi", frames=45, duration_s=3.0), 5.1)[0]  # fmt: skip
    assert saved.replies[0].title == "Video saved" and saved.actions[0][:2] == ("stop_video", "saved")
    assert d.capture.recording is None
    assert d.on_touch("tap", 6.0, 6.0)[0].outbox[0][1].action == "photo"  # and a tap otherwise takes a photo


def test_chinese_capture_cards(dialogue):
    d = dialogue
    request = intent(d, "take_photo", 1.0, lang="zh").outbox[0][1]
    card = d.on_media_result(ev.MediaResult(stamp=1.1, request_id=request.request_id, action="photo",
                                            status="refused", reason="battery_critical"), 1.1)[0].replies[0]  # fmt: skip
    assert (card.title, card.body, card.lang) == ("无法拍照", "电量严重不足", "zh")


# -- nodes on rclpy: camera -> media recorder <- agent -----------------------------------------


def test_no_frame_on_disk_without_a_capture_request(ros, tmp_path):
    from glasses_agent.nodes.agent_node import AgentNode
    from glasses_agent.nodes.media_node import MediaRecorderNode
    from glasses_bringup.drivers.nodes.camera_node import CameraNode

    run = tmp_path / "run"
    run.mkdir()

    def params(**kw):
        return [Parameter(k, value=v) for k, v in kw.items()]

    cards = ros.collect_events("display/card")
    results = ros.collect_events("media/result")
    touch = ros.publisher("input/touch", String)
    media = ros.publisher("media/request", String)
    ros.collect("camera/image_raw", Image)  # a consumer, as the vision nodes are: the camera streams
    ros.add(CameraNode(namespace=ros.namespace, parameter_overrides=params(source="sim", scenario=SCENARIO, width=320,
                                                                           height=240, fps=15.0)))  # fmt: skip
    recorder = ros.add(MediaRecorderNode(namespace=ros.namespace, parameter_overrides=params(
        media_dir=str(run / "media"), min_free_mb=0.0)))  # fmt: skip
    ros.add(AgentNode(namespace=ros.namespace, parameter_overrides=params(db_path=str(run / "agent.sqlite"), nav_area="")))
    assert wait_for(lambda: recorder.recorder.led_on and touch.get_subscription_count() > 0, 15)
    time.sleep(1.5)  # frames flow (the LED is on) but nobody asked for a capture
    assert pixel_files(run) == [] and recorder.frames_sub is None

    touch.publish(String(data=ev.encode(ev.Touch(stamp=time.time(), gesture="tap"))))
    assert wait_for(lambda: any(c.title == "Photo saved" for c in cards), 15)
    photo = next(r for r in results if r.status == "saved")
    card = next(c for c in cards if c.title == "Photo saved")
    assert card.image == photo.thumbnail and Path(photo.path).exists() and (photo.width, photo.height) == (320, 240)

    def request(action, rid):
        media.publish(String(data=ev.encode(ev.MediaRequest(stamp=time.time(), request_id=rid, action=action))))

    request("video_start", "clip1")
    assert wait_for(lambda: any(r.status == "recording" for r in results), 10) and recorder.frames_sub is not None
    time.sleep(1.0)
    request("video_stop", "clip1")
    assert wait_for(lambda: any(r.action == "video_stop" and r.status == "saved" for r in results), 10)
    clip = next(r for r in results if r.action == "video_stop")
    assert clip.frames >= 5 and Path(clip.path).exists() and recorder.frames_sub is None
    time.sleep(1.0)  # frames keep flowing after the clip: none of them is kept
    kept = pixel_files(run)
    assert kept == sorted(Path(p) for p in (photo.path, photo.thumbnail, clip.path, clip.thumbnail))


@pytest.mark.slow
def test_capture_scenario_through_the_sim_rig(tmp_path):
    """The sim rig (every node) streams for 5 s: nothing on disk; a tap: one photo and its thumbnail."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    bag = tmp_path / "bag"
    media_dir = tmp_path / "media"
    env = dict(os.environ, PYTHONPATH=str(repo), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    cmd = [sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", "sim", "--scenario",
           str(repo / "config" / "scenarios" / "capture.yaml"), "--record", str(bag),
           "--set", f"agent.db_path={tmp_path / 'agent.sqlite'}", "--set", f"media_recorder.media_dir={media_dir}",
           "--set", "media_recorder.min_free_mb=0.0"]  # fmt: skip
    proc = subprocess.run(cmd, env=env, cwd=repo, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    kept = [p for p in pixel_files(tmp_path) if bag not in p.parents]  # the bag is the tester's own recording
    photos = sorted(media_dir.glob("IMG_*.jpg"))
    assert len(photos) == 1 and kept == sorted([photos[0], media_dir / "thumbs" / f"{photos[0].stem}_thumb.jpg"])
    from glasses_bringup.bag import read_messages

    results = [ev.decode(m.data, ev.MediaResult) for _, _, _, m in read_messages(bag, topics=["/glasses/media/result"])]
    cards = [ev.decode(m.data, ev.Card) for _, _, _, m in read_messages(bag, topics=["/glasses/display/card"])]
    assert [(r.action, r.status) for r in results] == [("photo", "saved")]
    assert any(c.title == "Photo saved" and c.image.endswith("_thumb.jpg") for c in cards)
