"""Vision benchmark: decode rates on real photos and rendered scenes, node latency, OCR and products.

Figures (bench/results/vision.json):

- real photos (../shared/data/barcodes when present): how many of the images
  zxing-cpp alone reads, how many the code reader reads, wrong decodes;
- rendered scenes: detection rate per difficulty (easy / medium / hard), one
  frame per scene, for the node's default reader and with the fallback passes;
- node latency: frame stamp -> perception/codes event at 640x480 while a
  publisher in the same process streams at 15 fps, p50 / p99, and its ratio to
  the zxing-cpp decode time of the same frames, timed inside the node during the
  run (so both see the same machine load); the "_offline" ratio compares with a
  plain zxing-cpp call (all formats) on the frames after the run;
- OCR on rendered price tags (English and Chinese), the text reader's request ->
  answer time while the camera streams, and product recognition on rendered packaging.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="bench_vision_roslog_"))

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from glasses_bringup.foundation.ros.domain import claim_free_domain  # noqa: E402 - before rclpy

os.environ.setdefault("ROS_DOMAIN_ID", str(claim_free_domain(101, 100)))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import zxingcpp  # noqa: E402

from bench.common import SpinThread, percentile, write_result  # noqa: E402
from glasses_bringup.drivers.sim.scenario import Show  # noqa: E402
from glasses_bringup.drivers.sim.scene import SceneRenderer  # noqa: E402
from glasses_perception.vision.codes import CodeReader  # noqa: E402

BARCODES = REPO.parent / "shared" / "data" / "barcodes"
PAY = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"

# difficulty -> ranges of the Show knobs (uniformly drawn per scene)
DIFFICULTY = {
    "easy": {"size": (0.30, 0.45), "tilt_deg": (0, 15), "rotate_deg": (-10, 10), "blur": (0.0, 0.5),
             "glare": (0.0, 0.0), "noise": (1.0, 3.0)},
    "medium": {"size": (0.20, 0.30), "tilt_deg": (15, 35), "rotate_deg": (-30, 30), "blur": (0.5, 1.2),
               "glare": (0.0, 0.3), "noise": (3.0, 8.0)},
    "hard": {"size": (0.12, 0.20), "tilt_deg": (30, 50), "rotate_deg": (-60, 60), "blur": (1.2, 2.0),
             "glare": (0.3, 0.6), "noise": (8.0, 15.0)},
}
PAYLOADS = {
    "qr": [PAY, "glasspay://pay?payee=kiosk-7&name=Kiosk&currency=EUR", "https://example.com/menu?table=12",
           "WIFI:T:WPA;S:cafe;P:secret;;"],
    "ean13": ["6901234567892", "6901234567908", "4006381333931", "5000112013009", "9780201379624"],
    "upca": ["012345678905", "036000291452", "042100005264"],
}


def norm(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def real_photos() -> dict:
    if not BARCODES.is_dir():
        print("bench vision: ../shared/data/barcodes not found; real-photo figures skipped")
        return {}
    reader_node = CodeReader(channel_order="bgr")
    reader_full = CodeReader(channel_order="bgr", fallback=True)
    rows = []
    for png in sorted(BARCODES.glob("*/*.png")):
        expected = norm(png.with_suffix(".txt").read_text(encoding="utf-8"))
        bgr = cv2.imread(str(png))
        raw = [norm(b.text) for b in zxingcpp.read_barcodes(bgr)]
        node = [norm(c.gtin or c.text) for c in reader_node.decode(bgr)]
        full = [norm(c.gtin or c.text) for c in reader_full.decode(bgr)]
        rows.append((png.relative_to(BARCODES).as_posix(), expected in raw, expected in node, expected in full,
                     sum(t != expected for t in raw), sum(t != expected for t in full + node)))
    print("\n| image | zxing-cpp alone | reader (node default) | reader + fallback |")
    print("|---|---|---|---|")
    for name, raw_ok, node_ok, full_ok, _, _ in rows:
        print(f"| {name} | {'yes' if raw_ok else 'no'} | {'yes' if node_ok else 'no'} | {'yes' if full_ok else 'no'} |")
    n = len(rows)
    return {
        "real_images": n,
        "real_decoded_zxingcpp": sum(r[1] for r in rows),
        "real_decoded_reader_default": sum(r[2] for r in rows),
        "real_decoded_reader_fallback": sum(r[3] for r in rows),
        "real_wrong_decodes_zxingcpp": sum(r[4] for r in rows),
        "real_wrong_decodes_reader": sum(r[5] for r in rows),
    }


def sim_scenes(per_difficulty: int = 60) -> dict:
    figures = {}
    readers = {"": CodeReader(), "_fallback": CodeReader(fallback=True), "_one_pass": CodeReader(fallback_1d=False)}
    kinds = list(PAYLOADS)
    for level, ranges in DIFFICULTY.items():
        rng = np.random.default_rng(1000 + list(DIFFICULTY).index(level))
        hits = {suffix: 0 for suffix in readers}
        kind_hits = {kind: 0 for kind in kinds}
        wrong = 0
        times = []
        for i in range(per_difficulty):
            kind = kinds[i % len(kinds)]
            text = PAYLOADS[kind][int(rng.integers(len(PAYLOADS[kind])))]
            knobs = {k: float(rng.uniform(*v)) for k, v in ranges.items()}
            center = (float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7)))
            show = Show(kind=kind, text=text, center=center, **knobs)
            frame = SceneRenderer(640, 480, seed=int(rng.integers(1 << 30))).render(float(i), [show])
            expected = "0" + text if kind == "upca" else text
            for suffix, reader in readers.items():
                start = time.perf_counter()
                codes = reader.decode(frame)
                if suffix == "":
                    times.append((time.perf_counter() - start) * 1000)
                got = [c.gtin or c.text for c in codes]
                hits[suffix] += expected in got
                if suffix == "":
                    kind_hits[kind] += expected in got
                wrong += sum(g != expected for g in got)
        for suffix in readers:
            figures[f"sim_detect_rate_{level}{suffix}"] = hits[suffix] / per_difficulty
        for kind in kinds:
            figures[f"sim_detect_rate_{level}_{kind}"] = kind_hits[kind] / (per_difficulty // len(kinds))
        figures[f"sim_wrong_decodes_{level}"] = wrong
        figures[f"sim_decode_ms_p50_{level}"] = percentile(times, 50)
    figures["sim_scenes_per_difficulty"] = per_difficulty
    # what a frame without any code costs (most of a stream): every fallback pass runs on it
    empty = [SceneRenderer(640, 480, seed=900 + i).render(float(i), [Show(kind="text", text="Cafe\n$3.99")] if i % 2
                                                           else []) for i in range(30)]
    for suffix, reader in readers.items():
        times, false_codes = [], 0
        for frame in empty:
            start = time.perf_counter()
            false_codes += len(reader.decode(frame))
            times.append((time.perf_counter() - start) * 1000)
        figures[f"empty_frame_decode_p50_ms{suffix or '_default'}"] = percentile(times, 50)
        figures[f"empty_frame_false_codes{suffix or '_default'}"] = false_codes
    return figures


def node_latency(duration_s: float = 20.0, fps: float = 15.0) -> dict:
    """Camera publisher + code reader in one process; latency = event arrival - frame stamp."""
    import rclpy
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image
    from std_msgs.msg import String

    from glasses_bringup.foundation import events as ev
    from glasses_bringup.foundation.ros import qos as gq
    from glasses_bringup.foundation.ros.msgs import from_sec, image_msg
    from glasses_bringup.foundation.ros.node_base import make_executor, start_node
    from glasses_perception.nodes.code_reader_node import CodeReaderNode

    renderer = SceneRenderer(640, 480, seed=21)
    scenes = [
        [Show(kind="qr", text=PAY, size=0.35, tilt_deg=12)],
        [Show(kind="ean13", text="6901234567892", size=0.4, tilt_deg=8)],
        [Show(kind="qr", text="https://example.com/menu?table=12", size=0.25, tilt_deg=20, blur=0.6)],
    ]
    frames = [renderer.render(i / fps, scenes[i % len(scenes)]) for i in range(45)]

    rclpy.init()
    camera = Node("bench_camera", namespace="/glasses")
    probe = Node("bench_probe", namespace="/glasses")
    # hold_s 0: every frame's code is an event, so every frame gives a latency sample
    reader = CodeReaderNode(namespace="/glasses", parameter_overrides=[Parameter("hold_s", value=0.0)])
    start_node(reader)
    # time zxing-cpp inside the node, on exactly the frames it decodes, while the camera streams
    import glasses_perception.vision.codes as codes_module

    raw_in_node_ms: list[float] = []
    real_read = codes_module.zxingcpp.read_barcodes

    class TimedZxing:
        def __getattr__(self, name):
            return getattr(zxingcpp, name)

        @staticmethod
        def read_barcodes(*args, **kwargs):
            t = time.perf_counter()
            try:
                return real_read(*args, **kwargs)
            finally:
                raw_in_node_ms.append((time.perf_counter() - t) * 1000)

    codes_module.zxingcpp = TimedZxing()
    from rclpy.logging import LoggingSeverity

    reader.get_logger().set_level(LoggingSeverity.WARN)  # one INFO line per frame would be measured too
    pub = camera.create_publisher(Image, "camera/image_raw", gq.for_topic("camera/image_raw"))
    sent: dict[float, int] = {}
    latencies: list[float] = []
    index = [0]

    def publish_frame():
        i = index[0]
        index[0] += 1
        stamp = camera.get_clock().now().nanoseconds * 1e-9
        msg = image_msg(frames[i % len(frames)], "rgb8", from_sec(stamp), "camera_optical")
        sent[round(stamp, 6)] = i % len(frames)
        pub.publish(msg)

    def on_code(msg: String):
        now = probe.get_clock().now().nanoseconds * 1e-9
        event = ev.decode(msg.data, ev.Code)
        latencies.append((now - event.stamp) * 1000.0)

    probe.create_subscription(String, "perception/codes", on_code, gq.for_topic("perception/codes"))
    executor = make_executor()
    for node in (camera, probe, reader):
        executor.add_node(node)
    spinner = SpinThread(executor)
    time.sleep(1.0)  # discovery
    cpu0, wall0 = time.process_time(), time.perf_counter()
    timer = camera.create_timer(1.0 / fps, publish_frame)
    time.sleep(duration_s)
    timer.cancel()
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    time.sleep(0.5)
    stats = reader.worker.stats
    spinner.stop()
    for node in (camera, probe, reader):
        node.destroy_node()
    rclpy.shutdown()
    codes_module.zxingcpp = zxingcpp

    # raw zxing-cpp on the same frames: a plain call (all formats) and the reader's own decode
    raw_ms, raw_same_ms, reader_ms = [], [], []
    plain = CodeReader()
    for _ in range(3):
        for frame in frames:
            t = time.perf_counter()
            zxingcpp.read_barcodes(frame)
            raw_ms.append((time.perf_counter() - t) * 1000)
            gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
            t = time.perf_counter()
            zxingcpp.read_barcodes(gray, formats=plain.formats)
            raw_same_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            plain.decode(frame)
            reader_ms.append((time.perf_counter() - t) * 1000)
    p50 = percentile(latencies, 50)
    return {
        "code_latency_p50_ms": p50,
        "code_latency_p99_ms": percentile(latencies, 99),
        "code_latency_max_ms": max(latencies) if latencies else float("nan"),
        "code_events": len(latencies),
        "frames_published": index[0],
        "frames_received": stats.received,
        "frames_processed": stats.processed,
        "frames_dropped": stats.dropped_replaced + stats.dropped_old,
        "camera_fps": fps,
        "raw_zxing_decode_p50_ms": percentile(raw_ms, 50),
        "raw_zxing_same_formats_decode_p50_ms": percentile(raw_same_ms, 50),
        "reader_decode_p50_ms": percentile(reader_ms, 50),
        "raw_zxing_in_node_p50_ms": percentile(raw_in_node_ms, 50),
        "node_to_raw_decode_ratio": p50 / percentile(raw_in_node_ms, 50),
        "node_overhead_p50_ms": p50 - percentile(raw_in_node_ms, 50),
        "node_to_raw_decode_ratio_offline": p50 / percentile(raw_ms, 50),
        "process_cpu_percent": 100.0 * cpu / wall,
    }


def ocr_request_latency(requests: int = 6, fps: float = 15.0) -> dict:
    """Text reader on request: TextRequest sent -> Text answer, while the camera streams a price tag."""
    import rclpy
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image
    from std_msgs.msg import String

    from glasses_bringup.foundation import events as ev
    from glasses_bringup.foundation.ros import qos as gq
    from glasses_bringup.foundation.ros.msgs import from_sec, image_msg
    from glasses_bringup.foundation.ros.node_base import make_executor, start_node
    from glasses_perception.nodes.text_reader_node import TextReaderNode

    frame = SceneRenderer(640, 480, seed=33).render(0.0, [Show(kind="text", text="Oolong Tea\n$3.99", size=0.45)])
    rclpy.init()
    camera = Node("bench_camera", namespace="/glasses")
    probe = Node("bench_probe", namespace="/glasses")
    reader = TextReaderNode(namespace="/glasses", parameter_overrides=[Parameter("trigger", value="request")])
    start_node(reader)
    pub = camera.create_publisher(Image, "camera/image_raw", gq.for_topic("camera/image_raw"))
    ask = probe.create_publisher(String, "perception/text_request", gq.for_topic("perception/text_request"))
    asked: dict[str, float] = {}
    answered: dict[str, float] = {}
    correct = [0]
    ocr_ms: list[float] = []

    def on_text(msg: String):
        text = ev.decode(msg.data, ev.Text)
        answered[text.request_id] = time.perf_counter()
        ocr_ms.append(text.latency_ms)
        correct[0] += [(p.amount, p.currency) for p in text.prices] == [(3.99, "USD")]

    probe.create_subscription(String, "perception/text", on_text, gq.for_topic("perception/text"))
    camera.create_timer(1.0 / fps, lambda: pub.publish(
        image_msg(frame, "rgb8", from_sec(camera.get_clock().now().nanoseconds * 1e-9), "camera_optical")))
    executor = make_executor()
    for node in (camera, probe, reader):
        executor.add_node(node)
    spinner = SpinThread(executor)
    time.sleep(1.5)
    for i in range(requests):
        request_id = f"r{i}"
        asked[request_id] = time.perf_counter()
        ask.publish(String(data=ev.encode(ev.TextRequest(stamp=reader.now_s(), request_id=request_id))))
        deadline = time.monotonic() + 5.0
        while request_id not in answered and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
    spinner.stop()
    for node in (camera, probe, reader):
        node.destroy_node()
    rclpy.shutdown()
    waits = [(answered[k] - asked[k]) * 1000 for k in asked if k in answered]
    return {"ocr_requests": requests, "ocr_requests_answered": len(waits), "ocr_requests_price_correct": correct[0],
            "ocr_request_to_text_p50_ms": percentile(waits, 50), "ocr_request_to_text_max_ms": max(waits, default=0.0),
            "ocr_request_ocr_only_p50_ms": percentile(ocr_ms, 50)}


def ocr_tags() -> dict:
    from glasses_perception.vision.ocr import OcrEngine

    tags = [("Oolong Tea\n$3.99", "3.99", "USD"), ("Jasmine Rice 1 kg\n€2,49", "2.49", "EUR"),
            ("A5 Notebook\n¥12.50", "12.50", "CNY"), ("Light Soy Sauce\n£1.20", "1.20", "GBP"),
            ("Dark Chocolate\n5.80 CNY", "5.80", "CNY"), ("Notebook\nHK$ 35", "35", "HKD")]
    engine = OcrEngine()
    t = time.perf_counter()
    engine.load()
    load_ms = (time.perf_counter() - t) * 1000
    ok, times = 0, []
    for i, (tag, amount, currency) in enumerate(tags * 2):
        tilt = 5.0 if i < len(tags) else 25.0
        frame = SceneRenderer(640, 480, seed=40 + i).render(0.0, [Show(kind="text", text=tag, size=0.4, tilt_deg=tilt)])
        result = engine.read_text(frame)
        times.append(result.latency_ms)
        ok += [(str(p.amount), p.currency) for p in result.prices] == [(amount, currency)]
    # Chinese tags: the committed fixtures, plus freshly rendered tilted ones where a CJK font is installed
    from glasses_bringup.drivers.sim.scene import cjk_font_path

    zh = [("乌龙茶 500ml\n¥6.50", "6.50", "zh_tag_oolong.jpg"), ("特价\n12.50元", "12.50", "zh_tag_special.jpg"),
          ("茉莉香米 1kg\n售价 ￥29.90", "29.90", "zh_tag_rice.jpg")]
    zh_frames = []
    for tag, amount, fixture in zh:
        bgr = cv2.imread(str(REPO / "test" / "fixtures" / "vision" / fixture))
        zh_frames.append((cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), amount))
        if cjk_font_path():
            show = Show(kind="text", text=tag, size=0.4, tilt_deg=25)
            zh_frames.append((SceneRenderer(640, 480, seed=70 + len(zh_frames)).render(0.0, [show]), amount))
    zh_ok = 0
    for frame, amount in zh_frames:
        result = engine.read_text(frame)
        times.append(result.latency_ms)
        zh_ok += [(str(p.amount), p.currency) for p in result.prices] == [(amount, "CNY")]
    return {"ocr_price_tags": len(tags) * 2, "ocr_price_correct": ok, "ocr_zh_price_tags": len(zh_frames),
            "ocr_zh_price_correct": zh_ok, "ocr_latency_p50_ms": percentile(times, 50),
            "ocr_latency_max_ms": max(times), "ocr_load_ms": load_ms}


def products() -> dict:
    from glasses_perception.vision.products import ProductGallery, ProductMatcher, demo_catalog_dir

    gallery = ProductGallery(":memory:")
    gallery.add_catalog_dir(demo_catalog_dir())
    matcher = ProductMatcher(gallery.items())
    ids = [item.product_id for item in matcher.items]
    rng = np.random.default_rng(5)
    top1, accepted_right, false_accepts, times = 0, 0, 0, []
    trials = 0
    for pid in ids:
        for _ in range(8):
            show = Show(kind="product", text=pid, size=float(rng.uniform(0.18, 0.4)),
                        tilt_deg=float(rng.uniform(0, 35)), rotate_deg=float(rng.uniform(-25, 25)),
                        blur=float(rng.uniform(0, 1.5)), glare=float(rng.uniform(0, 0.3)),
                        noise=float(rng.uniform(1, 6)),
                        center=(float(rng.uniform(0.35, 0.65)), float(rng.uniform(0.35, 0.65))))
            match = matcher.recognize(SceneRenderer(640, 480, seed=int(rng.integers(1 << 30))).render(0.0, [show]))
            trials += 1
            times.append(match.latency_ms)
            top1 += match.product_id == pid
            accepted_right += match.accepted and match.product_id == pid
            false_accepts += match.accepted and match.product_id != pid
    negatives = 0
    for seed in range(20):
        shows = [[], [Show(kind="text", text="Cafe\n$3.99")], [Show(kind="qr", text="hello")]][seed % 3]
        match = matcher.recognize(SceneRenderer(640, 480, seed=500 + seed).render(0.0, shows))
        negatives += 1
        false_accepts += match.accepted
    return {"product_trials": trials, "product_top1": top1, "product_accepted_correct": accepted_right,
            "product_negatives": negatives, "product_false_accepts": false_accepts,
            "product_match_p50_ms": percentile(times, 50)}


def main() -> int:
    figures = {}
    figures.update(real_photos())
    figures.update(sim_scenes())
    figures.update(node_latency())
    figures.update(ocr_tags())
    figures.update(ocr_request_latency())
    figures.update(products())
    write_result("vision", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
