"""Compressed camera path: JPEG codec, lazy camera/image_raw/compressed, vision on it, small bags."""

import time
from pathlib import Path

import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import CompressedImage, Image

from glasses_bringup.drivers.nodes.camera_node import CameraNode
from glasses_bringup.drivers.sim.scenario import Show
from glasses_bringup.drivers.sim.scene import SceneRenderer
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.image_codec import CodecError, compressed_topic, decode_rgb, encode_jpeg, jpeg_format
from glasses_bringup.foundation.ros.msgs import from_sec
from glasses_bringup.foundation.testing import wait_for
from glasses_perception.nodes.code_reader_node import CodeReaderNode

REPO = Path(__file__).resolve().parents[1]
SCENARIO = str(REPO / "test" / "fixtures" / "bringup" / "short.yaml")
PAY = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"
NS = "/glasses"


def params(**kw):
    return [Parameter(k, value=v) for k, v in kw.items()]


def test_jpeg_round_trip_keeps_the_picture_and_bad_data_is_a_clear_error():
    rgb = SceneRenderer(320, 240, seed=1).render(1.0, [Show(kind="qr", text=PAY, size=0.5)])
    data = encode_jpeg(rgb, 80)
    assert data[:2] == b"\xff\xd8" and len(data) < rgb.nbytes / 5
    back = decode_rgb(data, jpeg_format("rgb8"))
    assert back.shape == rgb.shape
    assert np.abs(back.astype(int) - rgb.astype(int)).mean() < 6  # red stays red: RGB order kept
    assert len(encode_jpeg(rgb, 30)) < len(encode_jpeg(rgb, 95))
    assert compressed_topic("camera/image_raw") == "camera/image_raw/compressed"
    for bad, fmt in ((b"", "jpeg"), (b"not a jpeg", "jpeg"), (data, "h264")):
        with pytest.raises(CodecError):
            decode_rgb(bad, fmt)


def test_camera_encodes_the_compressed_stream_only_while_someone_listens(ros):
    cam = ros.add(CameraNode(namespace=NS, parameter_overrides=params(
        source="sim", scenario=SCENARIO, scenario_start=time.time(), width=320, height=240, fps=20.0,
        jpeg_quality=70)))
    raw = ros.collect("camera/image_raw", Image)
    assert wait_for(lambda: len(raw) >= 5, 15)
    assert cam.compressed_published == 0  # nobody subscribed: no frame was encoded
    compressed = ros.collect("camera/image_raw/compressed", CompressedImage)
    assert wait_for(lambda: len(compressed) >= 3, 15)
    msg = compressed[-1]
    assert "jpeg" in msg.format and msg.header.frame_id == "camera_optical"
    assert decode_rgb(msg.data, msg.format).shape == (240, 320, 3)
    assert cam.set_parameters([Parameter("jpeg_quality", value=20)])[0].successful
    assert not cam.set_parameters([Parameter("jpeg_quality", value=0)])[0].successful


def test_code_reader_decodes_a_qr_from_the_compressed_stream(ros):
    ros.add(CodeReaderNode(namespace=NS, parameter_overrides=params(image_transport="compressed")))
    codes = ros.collect_events("perception/codes", ev.Code)
    pub = ros.publisher("camera/image_raw/compressed", CompressedImage)
    renderer = SceneRenderer(640, 480, seed=3)
    t = 100.0
    deadline = time.monotonic() + 10
    bad = CompressedImage(format="jpeg", data=b"\x00garbage")
    pub.publish(bad)  # a corrupt frame is skipped, not fatal
    while not codes and time.monotonic() < deadline:
        t += 0.1
        msg = CompressedImage(format=jpeg_format(), data=encode_jpeg(renderer.render(t, [Show(kind="qr", text=PAY, size=0.4)])))
        msg.header.stamp = from_sec(t)
        pub.publish(msg)
        time.sleep(0.1)
    assert codes and codes[0].text == PAY and codes[0].kind == "payment"


def test_recorder_stores_the_jpeg_stream_in_zstd_chunks_unless_raw_is_asked(ros, tmp_path):
    from mcap.reader import make_reader

    from glasses_bringup.bag import summarize
    from glasses_bringup.recorder import Recorder

    ros.add(CameraNode(namespace=NS, parameter_overrides=params(
        source="sim", scenario=SCENARIO, scenario_start=time.time(), width=320, height=240, fps=15.0)))
    default = ros.add(Recorder(tmp_path / "small", discovery_s=0.1))
    raw = ros.add(Recorder(tmp_path / "raw", discovery_s=0.1, raw_images=True))
    assert wait_for(lambda: default.written >= 30 and raw.written >= 30, 20)
    default.close()
    raw.close()
    small, full = summarize(tmp_path / "small"), summarize(tmp_path / "raw")
    assert "/glasses/camera/image_raw/compressed" in small["topics"]
    assert "/glasses/camera/image_raw" not in small["topics"]
    assert "/glasses/camera/image_raw" in full["topics"] and small["error"] is None
    with open(next((tmp_path / "small").glob("*.mcap")), "rb") as fh:
        chunks = make_reader(fh).get_summary().chunk_indexes
    assert chunks and all(c.compression == "zstd" for c in chunks)
