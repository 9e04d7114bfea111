"""What every glasses_stack node shares: described parameters, /diagnostics, event I/O.

Use ``GlassesNode`` (plain) or ``GlassesLifecycleNode`` (heavy nodes the power
policy can park), and ``run_node`` as the body of each node's ``main()``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.node import Node
from rclpy.parameter import Parameter
from std_msgs.msg import String

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.health import Health
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import from_sec, to_sec


class EventPublisher:
    """Publishes validated events as std_msgs/String JSON on a contract topic."""

    def __init__(self, node: GlassesMixin, topic: str, qos_class: str | None = None):
        self.node = node
        self.topic = topic
        profile = gq.profile(qos_class) if qos_class else gq.for_topic(topic)
        self.pub = node.create_publisher(String, topic, profile)

    def publish(self, event: ev.Event) -> None:
        if not event.source:
            event.source = self.node.get_name()
        self.pub.publish(String(data=ev.encode(event)))
        self.node.health.tick(f"out.{self.topic}")


class GlassesMixin:
    """Parameters with descriptors, health -> /diagnostics, and event helpers."""

    health: Health

    def _glasses_init(self) -> None:
        self.health = Health()
        self._param_handlers: dict[str, Callable[[Any], str | None]] = {}
        self.diagnostics_period_s = self.declare(
            "diagnostics_period_s", 1.0, "Period of /diagnostics reports (s).", min=0.05, max=60.0
        )
        self._diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._diag_timer = self.create_timer(self.diagnostics_period_s, self.publish_diagnostics)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.on_change("diagnostics_period_s", self._set_diag_period)

    # -- parameters ---------------------------------------------------------------

    def declare(
        self,
        name: str,
        default: Any,
        description: str,
        *,
        min: float | None = None,
        max: float | None = None,
        choices: tuple | list | None = None,
        read_only: bool = False,
    ) -> Any:
        """Declare a parameter with a descriptor and return its value (validated once here)."""
        desc = ParameterDescriptor(description=description, read_only=read_only)
        if choices:
            desc.additional_constraints = "one of: " + ", ".join(str(c) for c in choices)
        if min is not None and max is not None and not isinstance(default, bool):
            if isinstance(default, int):
                desc.integer_range = [IntegerRange(from_value=int(min), to_value=int(max), step=0)]
            elif isinstance(default, float):
                desc.floating_point_range = [FloatingPointRange(from_value=float(min), to_value=float(max), step=0.0)]
        if default is None:
            raise ValueError(f"parameter {name} needs a typed default")
        value = self.declare_parameter(name, default, desc).value
        if choices and value not in choices:
            raise ValueError(f"parameter {name}={value!r} must be one of {list(choices)}")
        return value

    def on_change(self, name: str, handler: Callable[[Any], str | None]) -> None:
        """Accept run-time changes of ``name``; handler returns an error text to refuse."""
        self._param_handlers[name] = handler

    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        for p in params:
            handler = self._param_handlers.get(p.name)
            if handler is None:
                if self.has_parameter(p.name) and p.name != "use_sim_time":
                    return SetParametersResult(successful=False, reason=f"{p.name} is read at start-up only")
                continue
            error = handler(p.value)
            if error:
                return SetParametersResult(successful=False, reason=error)
        return SetParametersResult(successful=True)

    def _set_diag_period(self, value: float) -> str | None:
        self.diagnostics_period_s = float(value)
        self._diag_timer.cancel()
        self.destroy_timer(self._diag_timer)
        self._diag_timer = self.create_timer(self.diagnostics_period_s, self.publish_diagnostics)
        return None

    # -- time ---------------------------------------------------------------------

    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def now_msg(self):
        return self.get_clock().now().to_msg()

    @staticmethod
    def stamp_s(header) -> float:
        return to_sec(header.stamp)

    @staticmethod
    def stamp_msg(t: float):
        return from_sec(t)

    # -- events -------------------------------------------------------------------

    def event_publisher(self, topic: str, qos_class: str | None = None) -> EventPublisher:
        return EventPublisher(self, topic, qos_class)

    def event_subscription(
        self,
        topic: str,
        schema: type[ev.Event] | None,
        callback: Callable[[ev.Event], None],
        qos_class: str | None = None,
    ):
        """Subscribe to events; malformed ones are counted by reason, logged and dropped."""
        profile = gq.profile(qos_class) if qos_class else gq.for_topic(topic)

        def receive(msg: String) -> None:
            try:
                event = ev.decode(msg.data, schema)
            except ev.EventError as exc:
                self.health.reject(exc.reason, f"on {topic}: {exc.detail}")
                self.get_logger().warning(
                    f"dropped malformed event on {topic}: {exc}", throttle_duration_sec=2.0
                )
                return
            self.health.tick(f"in.{topic}")
            try:
                callback(event)
            except Exception as exc:  # a bad event must never take the node down
                self.health.error(f"{type(exc).__name__} handling {topic}: {exc}")
                self.get_logger().error(f"error handling event on {topic}: {exc!r}")

        return self.create_subscription(String, topic, receive, profile)

    # -- diagnostics --------------------------------------------------------------

    def diagnostics_values(self) -> dict[str, Any]:
        """Override to add node-specific key/values to each report."""
        return {}

    def publish_diagnostics(self) -> None:
        level, message, kv = self.health.status()
        for key, value in self.diagnostics_values().items():
            kv[key] = str(value)
        status = DiagnosticStatus(
            level=bytes([level]),
            name=self.get_fully_qualified_name(),
            message=message,
            hardware_id=str(self.get_parameter_or("hardware_id", Parameter("hardware_id", value="")).value or ""),
            values=[KeyValue(key=k, value=v) for k, v in kv.items()],
        )
        arr = DiagnosticArray()
        arr.header.stamp = self.now_msg()
        arr.status = [status]
        self._diag_pub.publish(arr)


class GlassesNode(GlassesMixin, Node):
    """A plain node of the stack."""

    def __init__(self, default_name: str, **kwargs):
        super().__init__(kwargs.pop("node_name", default_name), **kwargs)
        self._glasses_init()


class GlassesLifecycleNode(GlassesMixin, LifecycleNode):
    """A heavy node the power policy can park: load in configure, stream in activate.

    Subclasses implement ``configure()``, ``activate()``, ``deactivate()`` and
    ``cleanup()`` (plain methods, no transition plumbing) and check ``self.active``
    in their callbacks. With ``autostart`` (default true) the node configures and
    activates itself, so it runs the same under the rig runner and ``ros2 launch``.
    """

    def __init__(self, default_name: str, **kwargs):
        super().__init__(kwargs.pop("node_name", default_name), **kwargs)
        self.active = False
        self._glasses_init()
        self.health.set("lifecycle", "unconfigured")
        self.autostart = self.declare("autostart", True, "Configure and activate at start-up.")

    def start(self) -> None:
        """Autostart: called by run_node / the runner once the node is fully built."""
        if self.autostart:
            self.trigger_configure()
            if self._state_machine.current_state[1] == "inactive":
                self.trigger_activate()

    def configure(self) -> None: ...

    def activate(self) -> None: ...

    def deactivate(self) -> None: ...

    def cleanup(self) -> None: ...

    def _transition(self, name: str, fn, new_state: str, active: bool | None):
        try:
            fn()
        except Exception as exc:
            self.health.error(f"{name} failed: {exc}")
            self.get_logger().error(f"{name} failed: {exc!r}")
            return TransitionCallbackReturn.FAILURE
        if active is not None:
            self.active = active
        self.health.set("lifecycle", new_state)
        self.get_logger().info(f"lifecycle: {new_state}")
        return TransitionCallbackReturn.SUCCESS

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        return self._transition("configure", self.configure, "inactive", False)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        result = self._transition("activate", self.activate, "active", True)
        if result == TransitionCallbackReturn.SUCCESS:
            return super().on_activate(state)
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = False
        result = self._transition("deactivate", self.deactivate, "inactive", False)
        if result == TransitionCallbackReturn.SUCCESS:
            return super().on_deactivate(state)
        return result

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        return self._transition("cleanup", self.cleanup, "unconfigured", False)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = False
        return TransitionCallbackReturn.SUCCESS


def make_executor(kind: str | None = None):
    """EventsExecutor by default (lowest latency and CPU); 'single' or 'multi' on request."""
    kind = kind or os.environ.get("GLASSES_EXECUTOR", "events")
    if kind == "events":
        from rclpy.experimental import EventsExecutor

        return EventsExecutor()
    if kind == "multi":
        from rclpy.executors import MultiThreadedExecutor

        return MultiThreadedExecutor()
    from rclpy.executors import SingleThreadedExecutor

    return SingleThreadedExecutor()


def spin_forever(executor) -> None:
    """Spin until shutdown.

    EventsExecutor.spin() keeps the GIL while it waits, which starves every other
    Python thread of the process (audio callbacks, ASR workers); spin_once with a
    timeout releases it between waits, at no measurable latency cost.
    """
    while rclpy.ok():
        executor.spin_once(timeout_sec=0.1)


def start_node(node) -> None:
    """Post-construction start-up (lifecycle autostart)."""
    if isinstance(node, GlassesLifecycleNode):
        node.start()


def run_node(node_class, args: list[str] | None = None) -> int:
    """Body of a node's main(): init, build, spin on the executor, exit cleanly."""
    rclpy.init(args=args if args is not None else sys.argv)
    node = None
    code = 0
    try:
        node = node_class()
        start_node(node)
        executor = make_executor()
        executor.add_node(node)
        spin_forever(executor)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception as exc:  # cannot start (bad parameter, missing file): say why, exit non-zero
        print(f"{node_class.__name__}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        if node is not None:
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
    return code
