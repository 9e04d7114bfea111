"""Generated bag fixtures: a small Project Aria-style recording (no download, no /work/shared).

The bag has the topic names and message types of an Aria glasses ROS 2 export:
/aria/imu_right (sensor_msgs/Imu, 100 Hz, a head nod at 3 s), /aria/camera_rgb/image_raw/compressed
(JPEG CompressedImage, 10 Hz, a payment QR code in view from 1 s to 7 s),
/aria/magnetometer (MagneticField, tesla), /aria/barometer (FluidPressure, Pa) and
/aria/eye_gaze of a message type this machine does not have (projectaria_msgs/msg/EyeGaze).
Frame ids are Aria's ("imu-right", "camera-rgb"): the camera's is not a REP-103 optical frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from glasses_bringup.drivers.sim.motion import MotionPlan, SimulatedImu
from glasses_bringup.drivers.sim.scenario import Show
from glasses_bringup.drivers.sim.scene import SceneRenderer
from glasses_bringup.foundation.image_codec import encode_jpeg

ARIA_PAY = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=A2001"
EYE_GAZE_MSG = "std_msgs/Header header\nfloat32 yaw\nfloat32 pitch\nfloat32 depth\n"
T0_NS = 1_700_000_000_000_000_000


def aria_typestore():
    store = get_typestore(Stores.ROS2_KILTED)
    store.register(get_types_from_msg(EYE_GAZE_MSG, "projectaria_msgs/msg/EyeGaze"))
    return store


def write_aria_bag(path: Path, duration_s: float = 8.0, nod_at_s: float = 3.0, mag_scale: float = 1.0,
                   pressure_scale: float = 1.0) -> Path:
    """Write the bag into ``path`` (a new directory); mag/pressure scales fake wrong units."""
    store = aria_typestore()
    T = store.types
    Header, Time = T["std_msgs/msg/Header"], T["builtin_interfaces/msg/Time"]
    Vec, Quat = T["geometry_msgs/msg/Vector3"], T["geometry_msgs/msg/Quaternion"]

    def header(t_s: float, frame: str):
        ns = T0_NS + int(t_s * 1e9)
        return Header(stamp=Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000), frame_id=frame)

    messages: list[tuple[int, str, object]] = []
    plan = MotionPlan(seed=5)
    plan.add_gesture("nod", nod_at_s)
    n_imu = int(duration_s * 100)
    t, gyro, accel, _ = SimulatedImu(plan, 100.0).samples(0, n_imu)
    cov = np.zeros(9)
    for i in range(n_imu):
        msg = T["sensor_msgs/msg/Imu"](
            header=header(float(t[i]), "imu-right"), orientation=Quat(x=0.0, y=0.0, z=0.0, w=1.0),
            orientation_covariance=np.array([-1.0] + [0.0] * 8),
            angular_velocity=Vec(x=float(gyro[i, 0]), y=float(gyro[i, 1]), z=float(gyro[i, 2])),
            angular_velocity_covariance=cov,
            linear_acceleration=Vec(x=float(accel[i, 0]), y=float(accel[i, 1]), z=float(accel[i, 2])),
            linear_acceleration_covariance=cov)
        messages.append((float(t[i]), "/aria/imu_right", msg))
    renderer = SceneRenderer(640, 480, seed=7)
    qr = [Show(kind="qr", text=ARIA_PAY, size=0.4, tilt_deg=8)]
    for k in range(int(duration_s * 10)):
        ts = k / 10.0
        pixels = renderer.render(ts, qr if 1.0 <= ts < 7.0 else [])
        data = np.frombuffer(encode_jpeg(pixels, 80), np.uint8)
        messages.append((ts, "/aria/camera_rgb/image_raw/compressed",
                         T["sensor_msgs/msg/CompressedImage"](header=header(ts, "camera-rgb"), format="jpeg", data=data)))
    for k in range(int(duration_s * 10)):
        ts = k / 10.0
        field = Vec(x=2.1e-5 * mag_scale, y=-0.4e-5 * mag_scale, z=-4.3e-5 * mag_scale)
        messages.append((ts, "/aria/magnetometer", T["sensor_msgs/msg/MagneticField"](
            header=header(ts, "magnetometer"), magnetic_field=field, magnetic_field_covariance=cov)))
        messages.append((ts, "/aria/barometer", T["sensor_msgs/msg/FluidPressure"](
            header=header(ts, "barometer"), fluid_pressure=101_250.0 * pressure_scale, variance=0.0)))
        messages.append((ts, "/aria/eye_gaze", T["projectaria_msgs/msg/EyeGaze"](
            header=header(ts, "camera-et"), yaw=0.01, pitch=-0.02, depth=1.2)))
    messages.sort(key=lambda m: m[0])
    writer = Writer(path, version=9, storage_plugin=StoragePlugin.MCAP)
    with writer:
        conns = {}
        for _, topic, msg in messages:
            if topic not in conns:
                conns[topic] = writer.add_connection(topic, msg.__msgtype__, typestore=store)
        for ts, topic, msg in messages:
            writer.write(conns[topic], T0_NS + int(ts * 1e9), store.serialize_cdr(msg, msg.__msgtype__))
    return path
