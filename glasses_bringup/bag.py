"""Reading rosbag2 bags (MCAP or SQLite) robustly, and `glasses bag-info`.

``raw_messages`` yields CDR bytes in bag order and, when a bag is truncated or
corrupt, yields everything readable before the damage and then records the error
in ``BagStream.error`` instead of raising: a tester gets what the bag still holds
and a clear message of what it does not. Damage that stops a reader early without
an exception is found by counting: the messages read are checked against the
counts the bag's metadata.yaml (or a lone file's MCAP summary) promises.

A path may be a bag directory or one .mcap file; a file is read on its own, never
as the folder around it (which may hold another bag), unless that folder's
metadata.yaml describes exactly this one file.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class BagError(RuntimeError):
    """A bag that cannot be opened at all."""


@dataclass
class BagStream:
    """Iterator of (topic, msgtype, timestamp_ns, cdr_bytes) with an error slot for damage."""

    path: Path
    topics: set[str] | None = None
    error: str | None = None
    count: int = 0
    msgdefs: dict[str, str] = field(default_factory=dict)  # msgtype -> definition text

    expected: int | None = None  # messages of the wanted topics the bag says it holds, if it says

    def __iter__(self) -> Iterator[tuple[str, str, int, bytes]]:
        yield from self._iterate()
        self._check_count()

    def _iterate(self):
        mcaps = mcap_files(self.path)
        counts = expected_counts(self.path)
        if counts is not None:
            self.expected = sum(n for topic, n in counts.items() if self._wanted(topic))
        try:
            yield from self._rosbags()
            return
        except _Unopenable as exc:
            if not mcaps:
                raise BagError(str(exc)) from None
            reason = str(exc)
        # rosbags could not open it (e.g. a truncated MCAP has no summary), or it is a lone
        # file: stream what is there.
        for f in mcaps:
            yield from self._mcap_stream(f)
        if self.error is None and reason:
            self.error = f"bag index unreadable ({reason}); replayed by scanning the file"

    def _check_count(self) -> None:
        if self.expected is None or self.count == self.expected:
            return
        if self.count < self.expected:
            what = f"read {self.count} of {self.expected} messages ({self.expected - self.count} lost)"
        else:
            what = f"read {self.count} messages where the bag lists {self.expected}"
        self.error = f"bag damaged: {what}" + (f"; {self.error}" if self.error else "")

    def _wanted(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics

    def _rosbags(self):
        from rosbags.rosbag2 import Reader

        bag_dir = rosbag_dir(self.path)
        if bag_dir is None:
            raise _Unopenable("")  # a lone .mcap file: scanned on its own
        try:
            reader = Reader(bag_dir)
            reader.open()
        except Exception as exc:
            raise _Unopenable(f"{type(exc).__name__}: {exc}") from None
        try:
            conns = [c for c in reader.connections if self._wanted(c.topic)]
            for c in conns:
                self.msgdefs.setdefault(c.msgtype, c.msgdef.data if hasattr(c.msgdef, "data") else "")
            try:
                for conn, stamp, data in reader.messages(connections=conns):
                    self.count += 1
                    yield conn.topic, conn.msgtype, stamp, bytes(data)
            except Exception as exc:
                self.error = f"bag damaged after {self.count} messages: {type(exc).__name__}: {exc}"
        finally:
            try:
                reader.close()
            except Exception:
                pass

    def _mcap_stream(self, file: Path):
        from mcap.records import Channel, Message, Schema
        from mcap.stream_reader import StreamReader

        schemas: dict[int, str] = {}
        channels: dict[int, tuple[str, str]] = {}
        with open(file, "rb") as fh:
            try:
                for record in StreamReader(fh, skip_magic=False).records:
                    if isinstance(record, Schema):
                        schemas[record.id] = record.name
                        self.msgdefs.setdefault(record.name, record.data.decode(errors="replace"))
                    elif isinstance(record, Channel):
                        channels[record.id] = (record.topic, schemas.get(record.schema_id, ""))
                    elif isinstance(record, Message):
                        topic, msgtype = channels.get(record.channel_id, ("", ""))
                        if topic and self._wanted(topic):
                            self.count += 1
                            yield topic, msgtype, record.log_time, bytes(record.data)
            except Exception as exc:
                self.error = (f"{file.name} is truncated or corrupt after {self.count} messages "
                              f"({type(exc).__name__}: {exc}); replayed what was readable")


class _Unopenable(Exception):
    pass


def rosbag_dir(path: Path) -> Path | None:
    """The rosbag2 directory that ``path`` names, or None for a file to be read on its own."""
    path = Path(path)
    if path.is_dir():
        return path
    listed = _metadata(path.parent).get("relative_file_paths")
    return path.parent if listed == [path.name] else None


def _metadata(bag_dir: Path) -> dict:
    import yaml

    try:
        doc = yaml.safe_load((bag_dir / "metadata.yaml").read_text())
        info = doc["rosbag2_bagfile_information"]
        return info if isinstance(info, dict) else {}
    except Exception:
        return {}


def expected_counts(path: Path) -> dict[str, int] | None:
    """topic -> message count the bag promises: metadata.yaml, or a lone MCAP file's summary."""
    path = Path(path)
    bag_dir = rosbag_dir(path)
    if bag_dir is not None:
        try:
            return {t["topic_metadata"]["name"]: int(t["message_count"])
                    for t in _metadata(bag_dir)["topics_with_message_count"]}  # fmt: skip
        except Exception:
            return None
    from mcap.reader import make_reader

    try:
        with open(path, "rb") as fh:
            summary = make_reader(fh).get_summary()
        counts = summary.statistics.channel_message_counts
        return {summary.channels[cid].topic: int(n) for cid, n in counts.items()}
    except Exception:
        return None


def mcap_files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_file():
        return [path] if path.suffix == ".mcap" else []
    if not path.is_dir():
        return []
    listed = _metadata(path).get("relative_file_paths")
    if isinstance(listed, list) and listed and all(isinstance(f, str) for f in listed):
        return [path / f for f in listed if (path / f).suffix == ".mcap" and (path / f).is_file()]
    return sorted(path.glob("*.mcap"))


def raw_messages(path: str | Path, topics: list[str] | None = None) -> BagStream:
    path = Path(path)
    if not path.exists():
        raise BagError(f"no bag at {path}")
    return BagStream(path, set(topics) if topics else None)


def topics_and_types(path: str | Path) -> dict[str, str]:
    """topic -> msgtype of a bag, from its index, or by scanning a damaged MCAP file."""
    from rosbags.rosbag2 import Reader

    path = Path(path)
    bag_dir = rosbag_dir(path)
    if bag_dir is not None:
        try:
            with Reader(bag_dir) as reader:
                return {c.topic: c.msgtype for c in reader.connections}
        except Exception:
            pass
    from mcap.records import Channel, Schema
    from mcap.stream_reader import StreamReader

    schemas: dict[int, str] = {}
    out: dict[str, str] = {}
    for f in mcap_files(path):
        with open(f, "rb") as fh:
            try:
                for record in StreamReader(fh, skip_magic=False).records:
                    if isinstance(record, Schema):
                        schemas[record.id] = record.name
                    elif isinstance(record, Channel):
                        out[record.topic] = schemas.get(record.schema_id, "")
            except Exception:
                pass
    return out


def read_messages(path: str | Path, topics: list[str] | None = None):
    """Deserialized messages: yields (topic, msgtype, timestamp_ns, msg) via rosbags' typestore."""
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import Stores, get_typestore

    path = Path(path)
    bag_dir = rosbag_dir(path)
    store = get_typestore(Stores.ROS2_KILTED)
    if bag_dir is None:  # a lone .mcap file
        for topic, msgtype, stamp, data in raw_messages(path, topics):
            yield topic, msgtype, stamp, store.deserialize_cdr(data, msgtype)
        return
    with AnyReader([bag_dir], default_typestore=store) as reader:
        conns = [c for c in reader.connections if topics is None or c.topic in topics]
        for conn, stamp, data in reader.messages(connections=conns):
            yield conn.topic, conn.msgtype, stamp, reader.deserialize(data, conn.msgtype)


def summarize(path: str | Path) -> dict:
    """Per-topic counts and rates, events by schema, and any damage found."""
    stream = raw_messages(path)
    counts: Counter[str] = Counter()
    types: dict[str, str] = {}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    events: dict[str, list] = defaultdict(list)
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    for topic, msgtype, stamp, data in stream:
        counts[topic] += 1
        types[topic] = msgtype
        first.setdefault(topic, stamp)
        last[topic] = stamp
        if msgtype == "std_msgs/msg/String" and len(events[topic]) < 200:
            try:
                text = store.deserialize_cdr(data, msgtype).data
                events[topic].append(json.loads(text))
            except Exception:
                events[topic].append({"malformed": True})
    topics = {}
    for topic in sorted(counts):
        span = (last[topic] - first[topic]) * 1e-9
        topics[topic] = {
            "type": types[topic],
            "count": counts[topic],
            # a rate needs messages spread over time: a latched state re-sent at start has none
            "rate_hz": round((counts[topic] - 1) / span, 2) if span >= 1.0 and counts[topic] >= 3 else None,
        }
    start = min(first.values()) if first else 0
    end = max(last.values()) if last else 0
    return {
        "path": str(path),
        "messages": sum(counts.values()),
        "duration_s": round((end - start) * 1e-9, 3),
        "start_ns": start,
        "topics": topics,
        "events": dict(events),
        "expected_messages": stream.expected,
        "error": stream.error,
    }


def add_arguments(parser) -> None:
    parser.add_argument("bag", help="bag directory or .mcap file")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args) -> int:
    try:
        info = summarize(args.bag)
    except BagError as exc:
        print(f"glasses bag-info: {exc}")
        return 1
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        print(f"{info['path']}: {info['messages']} messages over {info['duration_s']} s")
        for topic, t in info["topics"].items():
            rate = f"{t['rate_hz']:8.2f} Hz" if t["rate_hz"] is not None else "         -"
            print(f"  {topic:40s} {t['type']:36s} {t['count']:7d} {rate}")
    if info["error"]:
        print(f"warning: {info['error']}")
        return 1
    return 0
