"""Replaying other devices' bags: topic remapping, bag profiles and REP-103/145 checks.

A remapping ``FROM:=TO`` publishes bag topic FROM as TO (a relative TO takes the
replayer's namespace, /glasses in the rigs). A bag profile (config/bag_profiles/NAME.yaml)
is a named set of remappings for one device's recordings, so a third-party glasses bag
(e.g. Project Aria: /aria/imu_right, /aria/camera_rgb/image_raw/compressed) feeds the
orientation filter, the gesture detector and the vision nodes.

``conformance_warnings`` reads the first messages of each remapped topic and says, one
warning per topic, where frame ids or units break REP-103 (SI units, ``_optical``
camera frames) or REP-145 (IMU accelerations in m/s^2, rates in rad/s). Plain Python
(rosbags), no rclpy.
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from glasses_bringup.bag import BagError, topics_and_types
from glasses_bringup.foundation.paths import share_path

GRAVITY = 9.80665


class ProfileError(ValueError):
    """A bag profile or remapping that cannot be used."""


class BagProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    remap: dict[str, str] = Field(description="bag topic -> stack topic")


def available_profiles() -> list[str]:
    return sorted(p.stem for p in share_path("config", "bag_profiles").glob("*.yaml"))


def load_profile(name_or_path: str) -> BagProfile:
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml") or not path.exists():
        path = share_path("config", "bag_profiles", f"{name_or_path}.yaml")
    if not path.exists():
        raise ProfileError(f"no bag profile {name_or_path!r}; available: {', '.join(available_profiles())}")
    try:
        return BagProfile.model_validate(yaml.safe_load(path.read_text()))
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        errs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise ProfileError(f"{path}: {errs}") from None


def parse_remaps(items: list[str] | None) -> dict[str, str]:
    """['FROM:=TO', ...] -> {FROM: TO}; ProfileError on a malformed entry."""
    out: dict[str, str] = {}
    for item in items or []:
        src, sep, dst = item.partition(":=")
        if not sep or not src.strip() or not dst.strip():
            raise ProfileError(f"--remap wants FROM:=TO, got {item!r}")
        out[_absolute(src.strip())] = dst.strip()
    return out


def remap_table(profile: str | None, remaps: list[str] | None) -> dict[str, str]:
    """The profile's remappings, overridden by explicit --remap entries."""
    table = {_absolute(k): v for k, v in load_profile(profile).remap.items()} if profile else {}
    table.update(parse_remaps(remaps))
    return table


def _absolute(topic: str) -> str:
    return topic if topic.startswith("/") else "/" + topic


def output_topic(bag_topic: str, remap: dict[str, str]) -> str:
    return remap.get(bag_topic, bag_topic)


def image_transport_for(topics: list[str]) -> str:
    """'compressed' when the camera comes only as image_transport's JPEG stream, else 'raw'."""
    names = [t.rstrip("/") for t in topics]

    def has(suffix: str) -> bool:
        return any(n == suffix or n.endswith("/" + suffix) for n in names)

    return "compressed" if has("camera/image_raw/compressed") and not has("camera/image_raw") else "raw"


# -- command line ------------------------------------------------------------------------


def add_remap_arguments(parser) -> None:
    """--remap / --profile, shared with `glasses up --rig replay`."""
    parser.add_argument("--remap", nargs="+", action="extend", default=[], metavar="FROM:=TO",
                        help="publish bag topic FROM as TO (repeatable; a relative TO takes the namespace)")
    parser.add_argument("--profile", help="bag profile (config/bag_profiles/NAME.yaml or a path) of remappings")


def prepare_remaps(bag: str, profile: str | None, remaps: list[str], namespace: str, log=print) -> dict[str, str]:
    """The remap table for a bag; warns once per remapped topic that breaks REP-103/145.

    Raises ProfileError (bad profile / --remap) or BagError (no bag)."""
    table = remap_table(profile, remaps)
    if not table:
        return table
    types = topics_and_types(bag)
    if not types and not Path(bag).exists():
        raise BagError(f"no bag at {bag}")
    missing = sorted(t for t in table if t not in types)
    if missing and len(missing) == len(table):
        log(f"warning: none of the remapped topics are in {bag}: {missing}")
    try:
        warnings = conformance_warnings(bag, [t for t in table if t in types])
    except Exception as exc:  # a bag rosbags cannot index: the replay reports the damage itself
        warnings = {}
        log(f"warning: frame and unit checks skipped ({type(exc).__name__}: {exc})")
    for topic, text in sorted(warnings.items()):
        log(f"warning: {topic} -> {output_topic(topic, table)}: {text}")
    return table


# -- REP-103 / REP-145 ------------------------------------------------------------------


def _norm(v) -> float:
    return math.sqrt(v.x * v.x + v.y * v.y + v.z * v.z)


def _check_imu(msgs) -> list[str]:
    problems = []
    accel = sorted(_norm(m.linear_acceleration) for m in msgs)
    rates = [_norm(m.angular_velocity) for m in msgs]
    median = accel[len(accel) // 2]
    if 0.5 < median < 1.5:
        problems.append(f"linear_acceleration is about {median:.2f}: in g, REP-145 wants m/s^2")
    elif not 0.5 * GRAVITY < median < 1.6 * GRAVITY:
        problems.append(f"median |linear_acceleration| {median:.2f} m/s^2 is not gravity (9.81) at rest")
    if max(rates) > 35.0:
        problems.append(f"angular_velocity up to {max(rates):.0f}: likely deg/s, REP-145 wants rad/s")
    return problems


def _check_mag(msgs) -> list[str]:
    field = sorted(_norm(m.magnetic_field) for m in msgs)[len(msgs) // 2]
    if not 1e-6 < field < 1e-3:
        return [f"|magnetic_field| {field:.3g} is not in tesla (Earth's field is 25-65 uT = 2.5e-5..6.5e-5 T)"]
    return []


def _check_pressure(msgs) -> list[str]:
    p = sorted(m.fluid_pressure for m in msgs)[len(msgs) // 2]
    if 300.0 < p < 1100.0:
        return [f"fluid_pressure {p:.1f} looks like hPa; REP-103 wants pascals"]
    if not 3e4 < p < 1.2e5:
        return [f"fluid_pressure {p:.4g} Pa is not an air pressure"]
    return []


def _check_camera(msgs) -> list[str]:
    frame = msgs[0].header.frame_id
    if frame and "optical" not in frame:
        return [f"frame_id {frame!r} is not an optical frame (REP-103: camera data in a *_optical frame, z forward)"]
    return []


CHECKS = {
    "sensor_msgs/msg/Imu": _check_imu,
    "sensor_msgs/msg/MagneticField": _check_mag,
    "sensor_msgs/msg/FluidPressure": _check_pressure,
    "sensor_msgs/msg/CompressedImage": _check_camera,
    "sensor_msgs/msg/Image": _check_camera,
    "sensor_msgs/msg/CameraInfo": _check_camera,
}


def conformance_warnings(bag: str | Path, topics: list[str], sample: int = 50) -> dict[str, str]:
    """bag topic -> one warning for each of ``topics`` whose frame id or units break REP-103/145."""
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import Stores, get_typestore

    path = Path(bag)
    bag_dir = path if path.is_dir() else path.parent
    samples: dict[str, list] = {}
    warnings: dict[str, str] = {}
    with AnyReader([bag_dir], default_typestore=get_typestore(Stores.ROS2_KILTED)) as reader:
        conns = [c for c in reader.connections if c.topic in topics and c.msgtype in CHECKS]
        types = {c.topic: c.msgtype for c in conns}
        for conn, _stamp, data in reader.messages(connections=conns):
            bucket = samples.setdefault(conn.topic, [])
            if len(bucket) < sample:
                try:
                    bucket.append(reader.deserialize(data, conn.msgtype))
                except Exception as exc:  # a malformed message is a finding, not a crash
                    warnings[conn.topic] = f"message does not deserialize as {conn.msgtype}: {exc}"
            if all(len(samples.get(t, ())) >= sample for t in types):
                break
    for topic, msgs in samples.items():
        if topic in warnings or not msgs:
            continue
        problems = []
        if not msgs[0].header.frame_id:
            problems.append("empty header.frame_id")
        problems += CHECKS[types[topic]](msgs)
        if problems:
            warnings[topic] = "; ".join(problems)
    return warnings
