"""`glasses replay BAG`: publish a bag's raw CDR bytes with the original timing.

No deserialization on the way: bytes read from the bag go straight to
``publisher.publish(bytes)`` (the fastest correct path measured with rclpy).
Publishers are reliable and keep every unacknowledged message (KEEP_ALL), so
a reliable subscriber receives every message even at ``--rate 0``: when it
falls behind, publish blocks or fails and the replayer retries (back-pressure)
instead of overwriting messages it has not taken yet. A subscriber that stays
stuck for ``STUCK_S`` costs that one message, counted as dropped on
/diagnostics. Latched topics keep their latched depth. Supports a rate factor
(0 = as fast as possible), looping, a start offset, a topic filter and /clock
for nodes running with use_sim_time. A truncated or corrupt bag replays what
is readable and then reports the damage.

Player controls (rosbag2's player is the model): ``--paused`` start, the services
``~/pause``, ``~/resume``, ``~/toggle_paused`` (std_srvs/Trigger), ``~/set_paused``
(std_srvs/SetBool), ``~/play_next`` (one message) and ``~/burst`` (``burst_size``
messages, as fast as possible) while paused; ``--burst N`` plays N messages and
stays paused; ``--start``/``--duration`` cut a window of the bag; ``--loop``;
``--clock``; ``--wait-for-subscribers S`` holds playback until every replayed topic
has a subscriber (at most S seconds), so the first messages are not lost.
"""

from __future__ import annotations

import sys
import threading
import time

from rclpy._rclpy_pybind11 import RCLError
from rclpy.qos import DurabilityPolicy, HistoryPolicy
from rosgraph_msgs.msg import Clock
from std_srvs.srv import SetBool, Trigger

from glasses_bringup.bag import BagError, raw_messages, topics_and_types
from glasses_bringup.bag_profiles import ProfileError, add_remap_arguments, output_topic, prepare_remaps
from glasses_bringup.foundation.interfaces import lookup
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import from_sec
from glasses_bringup.foundation.ros.node_base import GlassesNode
from glasses_bringup.playback import PlaybackControl
from glasses_bringup.recorder import message_class


def topic_matches(bag_topic: str, wanted: list[str]) -> bool:
    """A relative filter entry matches a bag topic in any namespace (camera/image_raw ~ /glasses/camera/image_raw)."""
    for w in wanted:
        if bag_topic == w or (not w.startswith("/") and bag_topic.endswith("/" + w)):
            return True
    return False


def message_type_installed(msgtype: str) -> bool:
    try:
        message_class(msgtype)
        return True
    except (ImportError, AttributeError, ValueError):
        return False


STUCK_S = 2.0  # a reliable subscriber that takes nothing for this long costs one message


class Replayer(GlassesNode):
    def __init__(self, bag: str, topics: list[str] | None = None, rate: float = 1.0, loop: bool = False,
                 start_offset_s: float = 0.0, clock: bool = False, start_at: float | None = None,
                 namespace: str | None = None, remap: dict[str, str] | None = None, paused: bool = False,
                 duration_s: float | None = None, burst: int = 0, wait_for_subscribers: float = 0.0,
                 **kwargs):
        if namespace:  # relative remapping targets resolve in it
            kwargs["namespace"] = namespace
        super().__init__("replayer", **kwargs)
        self.bag = bag
        self.remap = dict(remap or {})
        self.filter = topics
        self.rate = rate
        self.loop = loop
        self.start_offset_ns = int(start_offset_s * 1e9)
        self.clock = clock
        self.start_at = start_at
        self.duration_ns = int(duration_s * 1e9) if duration_s else None
        self.wait_for_subscribers_s = wait_for_subscribers
        self.control = PlaybackControl(paused=paused or burst > 0)
        self.initial_burst = burst
        self.burst_size = self.declare("burst_size", 100, "Messages the burst service plays while paused.",
                                       min=1, max=1_000_000)
        self.on_change("burst_size", self._set_burst_size)
        self.create_service(Trigger, "~/pause", self._srv_pause)
        self.create_service(Trigger, "~/resume", self._srv_resume)
        self.create_service(Trigger, "~/toggle_paused", self._srv_toggle)
        self.create_service(SetBool, "~/set_paused", self._srv_set_paused)
        self.create_service(Trigger, "~/play_next", self._srv_play_next)
        self.create_service(Trigger, "~/burst", self._srv_burst)
        self.publishers_by_topic: dict[str, object] = {}
        self.clock_pub = self.create_publisher(Clock, "/clock", 10) if clock else None
        self.published = 0
        self.dropped = 0
        self.publish_retries = 0
        self.skipped_topics: dict[str, str] = {}
        self.error: str | None = None
        self.done = False
        self.done_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play, daemon=True)
        # Publishers exist before playback starts, so subscribers (and recorders) match in time.
        for topic, msgtype in topics_and_types(bag).items():
            if self._wanted(topic):
                self._publisher(topic, msgtype)
            elif not message_type_installed(msgtype):  # listed even when filtered out
                self.skipped_topics[topic] = f"message type {msgtype} is not installed"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.control.close()
        self._thread.join(timeout=5)

    def destroy_node(self):
        if self._thread.is_alive():  # never publish from a node being destroyed
            self.stop()
        return super().destroy_node()

    # -- pause / resume / step / burst services (std_srvs), as rosbag2's player offers --------

    def _set_burst_size(self, value: int) -> str | None:
        self.burst_size = int(value)
        return None

    def _srv_pause(self, _request, response):
        response.success = self.control.pause()
        response.message = "paused" if response.success else "already paused"
        return response

    def _srv_resume(self, _request, response):
        response.success = self.control.resume()
        response.message = "playing" if response.success else "already playing"
        return response

    def _srv_toggle(self, _request, response):
        response.success, response.message = True, "paused" if self.control.toggle() else "playing"
        return response

    def _srv_set_paused(self, request, response):
        (self.control.pause if request.data else self.control.resume)()
        response.success, response.message = True, "paused" if self.control.paused else "playing"
        return response

    def _step_response(self, n: int, response):
        if not self.control.paused:
            response.success, response.message = False, "not paused: pause first, then step"
            return response
        went = self.control.step(n, wait_s=5.0)
        response.success = went > 0
        response.message = f"played {went} message(s)" + ("" if went == n else " (end of bag)")
        return response

    def _srv_play_next(self, _request, response):
        return self._step_response(1, response)

    def _srv_burst(self, _request, response):
        return self._step_response(self.burst_size, response)

    def wait_for_subscribers(self, timeout_s: float) -> list[str]:
        """Block until every replayed topic has a subscriber (or the time-out); returns those without."""
        deadline = time.monotonic() + timeout_s
        while True:
            lonely = sorted(output_topic(t, self.remap) for t, pub in self.publishers_by_topic.items()
                            if pub.get_subscription_count() == 0)
            if not lonely or time.monotonic() >= deadline or self._stop.is_set():
                return lonely
            time.sleep(0.02)

    def diagnostics_values(self):
        return {"published": self.published, "dropped": self.dropped, "publish_retries": self.publish_retries,
                "skipped_topics": len(self.skipped_topics)}

    def exit_code(self) -> int:
        return 1 if self.error or self.dropped else 0

    def _wanted(self, bag_topic: str) -> bool:
        """The topic filter applies to the published (remapped) names."""
        return not self.filter or topic_matches(output_topic(bag_topic, self.remap), self.filter)

    def _publisher(self, topic: str, msgtype: str):
        """The publisher of bag topic ``topic`` (on its remapped name); None when its type is missing."""
        pub = self.publishers_by_topic.get(topic)
        if pub is None and topic not in self.skipped_topics:
            try:
                cls = message_class(msgtype)
            except (ImportError, AttributeError, ValueError):
                reason = f"message type {msgtype} is not installed"
                self.skipped_topics[topic] = reason
                self.get_logger().warning(f"not replaying {topic}: {reason}")
                return None
            # Reliable: a reliable subscriber (recorder, test, tester) gets every message;
            # best-effort consumers still match. KEEP_ALL gives back-pressure instead of loss;
            # latched topics stay latched (a late joiner gets the last state, not the whole bag).
            name = output_topic(topic, self.remap)
            contract = lookup(name)
            qos = gq.profile(contract.qos if contract else "default", depth=1000, reliable=True)
            if qos.durability != DurabilityPolicy.TRANSIENT_LOCAL:
                qos.history = HistoryPolicy.KEEP_ALL
            pub = self.publishers_by_topic[topic] = self.create_publisher(cls, name, qos)
        return pub

    def _play(self) -> None:
        if self.wait_for_subscribers_s > 0:
            lonely = self.wait_for_subscribers(self.wait_for_subscribers_s)
            if lonely:
                self.get_logger().warning(f"no subscriber after {self.wait_for_subscribers_s:g} s on {lonely}; playing")
        if self.initial_burst:
            self.control.step(self.initial_burst)
        try:
            while not self._stop.is_set():
                self._play_once()
                if not self.loop or self.error:
                    break
        except BagError as exc:
            self.error = str(exc)
        finally:
            if self.error:
                self.health.error(self.error)
                print(f"glasses replay: {self.error}", file=sys.stderr, flush=True)
            self.control.close()  # a step waiting at the end of the bag returns
            self.done = True
            self.done_at = time.time()

    def _play_once(self) -> None:
        if self.start_at is not None:
            while time.time() < self.start_at and not self._stop.is_set():
                time.sleep(0.01)
        stream = raw_messages(self.bag)
        t0_bag = None
        t0_wall = time.monotonic()
        last_clock = 0
        publishers: dict[str, object] = {}  # per-topic lookups hoisted out of the hot loop
        for topic, msgtype, stamp, data in stream:
            pub = publishers.get(topic)
            if pub is None:
                pub = publishers[topic] = (self._publisher(topic, msgtype) if self._wanted(topic) else None) or False
            if pub is False:
                continue
            if t0_bag is None:
                t0_bag = stamp + self.start_offset_ns
            if stamp < t0_bag:
                continue
            if self.duration_ns is not None and stamp > t0_bag + self.duration_ns:
                break
            go, held = self.control.gate()
            if not go:
                return
            if held:  # after a pause or a step the next message plays now, the rest keep their spacing
                t0_wall = time.monotonic() - (stamp - t0_bag) * 1e-9 / self.rate if self.rate > 0 else t0_wall
                if self.control.paused:  # a step or burst: now, whatever the recorded timing
                    if self.clock_pub is not None:
                        self.clock_pub.publish(Clock(clock=from_sec(stamp * 1e-9)))
                    if self._publish(pub, topic, data):
                        self.published += 1
                    self.control.stepped()
                    continue
            if self.rate > 0:
                delay = t0_wall + (stamp - t0_bag) * 1e-9 / self.rate - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
            elif self._stop.is_set():
                return
            if self.clock_pub is not None and stamp - last_clock >= 10_000_000:
                self.clock_pub.publish(Clock(clock=from_sec(stamp * 1e-9)))
                last_clock = stamp
            if self._publish(pub, topic, data):
                self.published += 1
            elif self._stop.is_set():
                return
        self.error = stream.error

    def _publish(self, pub, topic: str, data: bytes) -> bool:
        """Publish with back-pressure: retry while a reliable subscriber catches up."""
        give_up = None
        while True:
            try:
                pub.publish(data)
                return True
            except RCLError as exc:
                now = time.monotonic()
                give_up = give_up or now + STUCK_S
                if now >= give_up or self._stop.is_set():
                    self.dropped += 1
                    self.health.error(f"{topic}: a subscriber took nothing for {STUCK_S:.0f} s; "
                                      f"message dropped ({exc})")
                    return False
                self.publish_retries += 1
                self._stop.wait(0.001)


def add_arguments(parser) -> None:
    parser.add_argument("bag", help="bag directory (rosbag2, MCAP or SQLite) or .mcap file")
    parser.add_argument("--rate", type=float, default=1.0, help="playback rate factor; 0 = as fast as possible")
    parser.add_argument("--loop", action="store_true", help="start again at the end")
    parser.add_argument("--start", type=float, default=0.0, help="skip this many seconds from the bag start")
    parser.add_argument("--topics", nargs="+", help="replay only these topics (relative names match any namespace)")
    parser.add_argument("--clock", action="store_true", help="publish /clock from bag time (for use_sim_time)")
    parser.add_argument("--duration", type=float, help="play only this many seconds of the bag (after --start)")
    parser.add_argument("--paused", action="store_true",
                        help="start paused (resume, step or burst with the replayer's services)")
    parser.add_argument("--burst", type=int, default=0, metavar="N", help="play N messages at once, then stay paused")
    parser.add_argument("--wait-for-subscribers", type=float, default=0.0, metavar="S",
                        help="before playing, wait up to S seconds until every replayed topic has a subscriber")
    add_remap_arguments(parser)
    parser.add_argument("--namespace", default="/glasses", help="namespace of relative remapping targets")


def run(args) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException

    from glasses_bringup.foundation.ros.node_base import make_executor

    try:
        remap = prepare_remaps(args.bag, args.profile, args.remap, args.namespace)
    except (ProfileError, BagError) as exc:
        print(f"glasses replay: {exc}", file=sys.stderr)
        return 2
    rclpy.init(args=[])
    node = Replayer(args.bag, topics=args.topics, rate=args.rate, loop=args.loop,
                    start_offset_s=args.start, clock=args.clock, start_at=time.time() + 0.5,
                    namespace=args.namespace, remap=remap, paused=args.paused, duration_s=args.duration,
                    burst=max(0, args.burst), wait_for_subscribers=args.wait_for_subscribers)
    if args.paused or args.burst:
        name = node.get_fully_qualified_name()
        print(f"paused: ros2 service call {name}/resume std_srvs/srv/Trigger (also pause, toggle_paused, "
              f"play_next, burst; set_paused is std_srvs/srv/SetBool)", flush=True)
    executor = make_executor()
    executor.add_node(node)
    node.start()
    try:
        while rclpy.ok() and not (node.done and time.time() > node.done_at + 0.3):
            executor.spin_once(timeout_sec=0.05)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.stop()
        node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
    print(f"replayed {node.published} messages from {args.bag}"
          + (f"; dropped {node.dropped} (a subscriber stopped taking them)" if node.dropped else "")
          + (f"; skipped {len(node.skipped_topics)} topics" if node.skipped_topics else ""))
    for topic, reason in sorted(node.skipped_topics.items()):
        print(f"  skipped {topic}: {reason}")
    return node.exit_code()
