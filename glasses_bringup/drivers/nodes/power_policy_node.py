"""Power policy node: modes with hysteresis, runtime left, actions on the stack, warnings.

Reads power/battery (combined) and the per-slot states, publishes power/state
(latched) with the mode, runtime left predicted from recent load, the swap state
and per-pack charge. On a mode change it:

- sets the camera's ``fps`` (``<camera_node>/set_parameters``),
- parks or resumes heavy lifecycle nodes (``<node>/change_state``: deactivate /
  activate) listed in ``vision_nodes`` and ``asr_nodes``,
- sets the display's ``brightness``,

and keeps re-applying until each target confirms: a node that is not running is
a counted diagnostic and a retry every ``retry_period_s``, never a crash. Wake
word, IMU, touch and battery nodes are never touched. Before the last charge runs
out it warns once on display/card and speaker/say.

The wearer's requests win where the packs can carry them: a wake event
(perception/wake) resumes parked full ASR, and an intent that needs the camera
(agent/intent: ``vision_intents``) resumes parked vision, each for
``request_hold_s``; a request the charge cannot carry is refused on
display/card and speaker/say with the reason.

Continuous transcription (agent/listen_mode: captions, notes or teleprompter on) keeps
full ASR running: when it starts, the policy shows its cost (``listening_extra_w``)
and the runtime left at that load, as a warning (also spoken) when the packs cannot
last ``meeting_h``.
"""

from __future__ import annotations

import math
import time

from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from sensor_msgs.msg import BatteryState

from glasses_bringup.drivers.power.manager import SLOTS
from glasses_bringup.drivers.power.policy import (
    DEFAULT_ACTIONS,
    ModeActions,
    PowerPolicy,
    Thresholds,
    listening_outlook,
)
from glasses_bringup.drivers.power.runtime import RuntimePredictor
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.health import WARN
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node

PARK_GROUPS = ("vision", "asr")


class Target:
    """One thing the policy wants in a state, until its service confirms."""

    def __init__(self, key: str, desired):
        self.key = key
        self.desired = desired
        self.confirmed = False
        self.pending = False
        self.attempts = 0


class PowerPolicyNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("power_policy", **kwargs)
        th = Thresholds(
            saver_enter=self.declare("saver_enter", 0.30, "Enter saver at or below this charge.", min=0.0, max=1.0),
            saver_exit=self.declare("saver_exit", 0.35, "Leave saver at or above this charge.", min=0.0, max=1.0),
            critical_enter=self.declare("critical_enter", 0.10, "Enter critical at or below.", min=0.0, max=1.0),
            critical_exit=self.declare("critical_exit", 0.15, "Leave critical at or above.", min=0.0, max=1.0),
            min_dwell_s=self.declare(
                "min_dwell_s", 10.0, "Hold a mode this long before recovering (s).", min=0.0, max=3600.0
            ),
        )
        actions = {}
        for mode, d in DEFAULT_ACTIONS.items():
            actions[mode] = ModeActions(
                camera_fps=self.declare(
                    f"{mode}.camera_fps", d.camera_fps, f"Camera fps in {mode}.", min=0.1, max=120.0
                ),
                display_brightness=self.declare(
                    f"{mode}.display_brightness",
                    d.display_brightness,
                    f"Display brightness in {mode}.",
                    min=0.0,
                    max=1.0,
                ),
                parked=tuple(
                    self.declare(
                        f"{mode}.parked", list(d.parked) or [""], f"Node groups parked in {mode} (vision, asr)."
                    )
                ),
            )
            actions[mode] = ModeActions(
                actions[mode].camera_fps, actions[mode].display_brightness, tuple(g for g in actions[mode].parked if g)
            )
            unknown = set(actions[mode].parked) - set(PARK_GROUPS)
            if unknown:
                raise ValueError(f"{mode}.parked names unknown groups {sorted(unknown)}; known: {PARK_GROUPS}")
        self.policy = PowerPolicy(
            thresholds=th,
            actions=actions,
            warn_runtime_s=self.declare(
                "warn_runtime_s", 600.0, "Warn this long before empty (s).", min=0.0, max=36000.0
            ),
            warn_soc=self.declare("warn_soc", 0.08, "Warn at or below this charge too.", min=0.0, max=1.0),
        )
        self.predictor = RuntimePredictor(
            tau_s=self.declare("load_tau_s", 120.0, "Smoothing of the load for runtime left (s).", min=1.0, max=3600.0)
        )
        self.camera_node = self.declare("camera_node", "camera", "Camera node (its fps parameter is set).")
        self.display_node = self.declare("display_node", "display", "Display node (its brightness is set).")
        self.groups = {
            "vision": [
                n
                for n in self.declare(
                    "vision_nodes", ["code_reader", "text_reader", "product_recognizer"], "Lifecycle vision nodes."
                )
                if n
            ],
            "asr": [n for n in self.declare("asr_nodes", ["asr"], "Lifecycle full-ASR nodes.") if n],
        }
        self.retry_period_s = self.declare(
            "retry_period_s", 2.0, "Retry of unconfirmed actions (s).", min=0.1, max=600.0
        )
        self.request_hold_s = self.declare(
            "request_hold_s", 60.0, "How long a wearer's request resumes a parked group (s).", min=1.0, max=3600.0
        )
        self.extra_w = {
            "vision": self.declare("vision_extra_w", 0.25, "Extra draw of running vision (W).", min=0.0, max=10.0),
            "asr": self.declare("asr_extra_w", 0.30, "Extra draw of running full ASR (W).", min=0.0, max=10.0),
        }
        self.listening_extra_w = self.declare(
            "listening_extra_w", 0.30, "Extra draw of continuous transcription for captions / notes (W).", min=0.0, max=10.0
        )
        self.meeting_h = self.declare("meeting_h", 1.0, "Meeting length the packs should last when captions or "
                                      "notes start (h).", min=0.05, max=24.0)  # fmt: skip
        self.listening = False
        self.outlooks = 0
        self.vision_intents = set(
            self.declare(
                "vision_intents", ["pay", "compare_price", "buy", "what_is_this"], "Intents that need the vision nodes."
            )
        )
        self.battery_timeout_s = self.declare(
            "battery_timeout_s", 10.0, "No power/battery for this long is a WARN diagnostic (s).", min=0.5, max=3600.0
        )
        self.last_battery_wall = time.monotonic()  # start-up counts as the last sign of life
        self.battery_seen = False
        self.nominal_v = self.declare(
            "nominal_cell_v", 3.8, "Mean cell voltage for energy estimates (V).", min=2.5, max=4.5
        )
        self.state_pub = self.event_publisher("power/state")
        self.card_pub = self.event_publisher("display/card")
        self.say_pub = self.event_publisher("speaker/say")
        self.slots: dict[str, BatteryState | None] = dict.fromkeys(SLOTS)
        for slot in SLOTS:
            self.create_subscription(
                BatteryState,
                f"power/battery/{slot}",
                lambda m, s=slot: self._on_slot(s, m),
                gq.for_topic("power/battery/left"),
            )
        self.create_subscription(BatteryState, "power/battery", self._on_combined, gq.for_topic("power/battery"))
        self.event_subscription("perception/wake", ev.Wake, lambda e: self._on_request("asr", e.stamp, "wake"))
        self.event_subscription("agent/intent", ev.Intent, self._on_intent)
        self.event_subscription("agent/listen_mode", ev.ListenMode, self._on_listen_mode)
        self.remaining_wh = 0.0
        self.load_w = 0.0
        self.refusals = 0
        self.param_clients = {}
        self.lifecycle_clients = {}
        self.targets: dict[str, Target] = {}
        self.planned_parked: tuple[str, ...] = ()
        self.last_reason = "start"
        self.mode_changes = 0
        self.warnings = 0
        self._plan_targets()
        self.create_timer(self.retry_period_s, self._apply_targets)

    # -- inputs -------------------------------------------------------------------------

    def _on_slot(self, slot: str, msg: BatteryState) -> None:
        self.slots[slot] = msg

    def _on_combined(self, msg: BatteryState) -> None:
        self.last_battery_wall = time.monotonic()
        self.battery_seen = True
        stamp = self.stamp_s(msg.header)
        soc = float(msg.percentage)
        if msg.present and not (math.isnan(soc) or 0.0 <= soc <= 1.0):
            self.health.reject("bad_percentage", f"{soc}")
            return
        if not msg.present:
            soc = math.nan
        discharge_a = -float(msg.current) if math.isfinite(msg.current) else math.nan
        load_w = discharge_a * float(msg.voltage) if math.isfinite(msg.voltage) and math.isfinite(discharge_a) else None
        self.predictor.update(stamp, discharge_a, load_w)
        remaining_ah = float(msg.charge) if math.isfinite(msg.charge) else 0.0
        self.remaining_wh = remaining_ah * self.nominal_v
        self.load_w = load_w if load_w is not None else self.load_w
        runtime_h = self.predictor.runtime_h(remaining_ah)
        change = self.policy.update(stamp, soc)
        if change is not None:
            self.mode_changes += 1
            self.last_reason = change.reason
            self.get_logger().warning(f"power mode {change.old} -> {change.new}: {change.reason}")
            self._plan_targets()
            self._apply_targets()
        present = [s for s, m in self.slots.items() if m is not None and m.present]
        warning = self.policy.check_warning(stamp, soc, runtime_h, len(present))
        if warning is not None:
            self.warnings += 1
            self.get_logger().warning(warning.text)
            self.card_pub.publish(
                ev.Card(
                    stamp=stamp,
                    card_id=f"power-low-{self.warnings}",
                    kind="warning",
                    title="Battery low",
                    body=warning.text,
                    ttl_s=10.0,
                    priority=8,
                )
            )
            self.say_pub.publish(ev.Say(stamp=stamp, text=warning.text, priority=8))
        packs = [
            ev.PackState(
                slot=s,
                present=bool(m is not None and m.present),
                soc=float(m.percentage) if (m is not None and m.present and 0.0 <= m.percentage <= 1.0) else None,
            )
            for s, m in self.slots.items()
        ]
        swap_state = {(True, True): "both", (True, False): "left_only", (False, True): "right_only"}.get(
            tuple(p.present for p in packs), "none"
        )
        self.state_pub.publish(
            ev.PowerState(
                stamp=stamp,
                mode=self.policy.mode,
                soc=0.0 if math.isnan(soc) else min(max(soc, 0.0), 1.0),
                runtime_left_h=max(runtime_h, 0.0),
                load_w=max(load_w or 0.0, 0.0),
                swap_state=swap_state,
                packs=packs,
                reason=self.last_reason,
            )
        )
        self.health.set("runtime_left_h", f"{runtime_h:.2f}")

    def _on_intent(self, intent: ev.Intent) -> None:
        if intent.intent in self.vision_intents:
            self._on_request("vision", intent.stamp, f"intent {intent.intent}")

    def _on_listen_mode(self, mode: ev.ListenMode) -> None:
        listening = mode.captions or mode.notes or mode.teleprompter
        started, self.listening = listening and not self.listening, listening
        if not started or not self.battery_seen:
            return
        outlook = listening_outlook(self.remaining_wh, self.load_w, self.listening_extra_w, self.meeting_h)
        self.outlooks += 1
        title, body = outlook.text(mode.lang)
        self.health.set("listening_runtime_h", f"{outlook.runtime_h:.2f}")
        self.card_pub.publish(ev.Card(stamp=mode.stamp, card_id=f"power-listening-{self.outlooks}",
                                      kind="info" if outlook.enough else "warning", title=title, body=body,
                                      ttl_s=8.0, priority=5 if outlook.enough else 8, lang=mode.lang))  # fmt: skip
        if not outlook.enough:
            self.warnings += 1
            self.get_logger().warning(f"{title}: {body}")
            self.say_pub.publish(ev.Say(stamp=mode.stamp, text=f"{title}. {body}", lang=mode.lang, priority=7))

    def _on_request(self, group: str, stamp: float, why: str) -> None:
        if not self.groups.get(group):
            return
        granted, reason = self.policy.request(
            self.now_s(), group, self.request_hold_s, self.remaining_wh, self.load_w, self.extra_w[group]
        )
        if group not in self.policy.current_actions().parked:
            return
        if granted:
            self.get_logger().info(f"{why}: {reason}")
            self._plan_targets()
            self._apply_targets()
            return
        self.refusals += 1
        self.get_logger().warning(f"{why}: refused, {reason}")
        text = f"Battery too low for that: {reason}. Swap a pack to continue."
        self.card_pub.publish(
            ev.Card(
                stamp=stamp, card_id=f"power-refused-{self.refusals}", kind="warning", title="Battery low", body=text
            )
        )
        self.say_pub.publish(ev.Say(stamp=stamp, text=text, priority=7))

    # -- actions ------------------------------------------------------------------------

    def _plan_targets(self) -> None:
        acts = self.policy.current_actions()
        self.planned_parked = self.policy.parked_now(self.now_s())
        wanted = {
            f"param:{self.camera_node}:fps": Target("camera", float(acts.camera_fps)),
            f"param:{self.display_node}:brightness": Target("display", float(acts.display_brightness)),
        }
        for group, nodes in self.groups.items():
            for node in nodes:
                wanted[f"lifecycle:{node}"] = Target(group, "inactive" if group in self.planned_parked else "active")
        # A target already confirmed (or on its way) with the same wish is kept, not re-sent.
        for key, old in self.targets.items():
            if key in wanted and wanted[key].desired == old.desired:
                wanted[key] = old
        self.targets = wanted

    def _check_battery_feed(self) -> None:
        silent = time.monotonic() - self.last_battery_wall
        if silent > self.battery_timeout_s:
            what = "power/battery" if self.battery_seen else "power/battery since start-up"
            self.health.set_level(WARN, f"no {what} for {silent:.0f} s; holding mode {self.policy.mode}")
        else:
            self.health.clear_level()

    def _apply_targets(self) -> None:
        self._check_battery_feed()
        if self.policy.parked_now(self.now_s()) != self.planned_parked:
            self._plan_targets()  # a request hold ran out
        for key, target in self.targets.items():
            if target.confirmed or target.pending:
                continue
            kind, _, rest = key.partition(":")
            if kind == "param":
                node, _, name = rest.partition(":")
                self._set_param(key, target, node, name)
            else:
                self._set_lifecycle(key, target, rest)
        waiting = [k for k, t in self.targets.items() if not t.confirmed]
        self.health.set("actions_pending", ",".join(waiting) if waiting else "none")

    def _service_ready(self, client, key: str, target: Target) -> bool:
        if client.service_is_ready():
            return True
        target.attempts += 1
        self.health.error(f"{client.srv_name} not available (attempt {target.attempts}); retrying")
        self.health.drop("actions")
        return False

    def _set_param(self, key: str, target: Target, node: str, name: str) -> None:
        client = self.param_clients.get(node)
        if client is None:
            client = self.param_clients[node] = self.create_client(SetParameters, f"{node}/set_parameters")
        if not self._service_ready(client, key, target):
            return
        value = ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=float(target.desired))
        req = SetParameters.Request(parameters=[ParameterMsg(name=name, value=value)])
        target.pending = True

        def done(future, key=key, target=target):
            target.pending = False
            if self.targets.get(key) is not target:
                return  # superseded by a newer mode
            result = future.result()
            if result is not None and result.results and result.results[0].successful:
                target.confirmed = True
                self.health.tick("actions")
                self.get_logger().info(f"{node}.{name} = {target.desired:g}")
            else:
                reason = result.results[0].reason if (result and result.results) else "no response"
                self.health.error(f"{node} refused {name}={target.desired}: {reason}")

        client.call_async(req).add_done_callback(done)

    def _set_lifecycle(self, key: str, target: Target, node: str) -> None:
        clients = self.lifecycle_clients.get(node)
        if clients is None:
            clients = self.lifecycle_clients[node] = (
                self.create_client(GetState, f"{node}/get_state"),
                self.create_client(ChangeState, f"{node}/change_state"),
            )
        get_client, change_client = clients
        if not self._service_ready(get_client, key, target):
            return
        target.pending = True

        def got_state(future, key=key, target=target):
            result = future.result()
            if self.targets.get(key) is not target:
                target.pending = False
                return
            if result is None:
                target.pending = False
                self.health.error(f"{node}/get_state gave no answer")
                return
            state = result.current_state.label
            if state == target.desired:
                target.pending, target.confirmed = False, True
                return
            if state not in ("active", "inactive"):
                target.pending = False  # unconfigured / finalized: not ours to bring up; retry later
                self.health.error(f"{node} is {state}; cannot make it {target.desired}")
                return
            transition = (
                Transition.TRANSITION_DEACTIVATE if target.desired == "inactive" else Transition.TRANSITION_ACTIVATE
            )
            change_client.call_async(ChangeState.Request(transition=Transition(id=transition))).add_done_callback(
                lambda f: changed(f, key, target)
            )

        def changed(future, key, target):
            target.pending = False
            result = future.result()
            if result is not None and result.success:
                target.confirmed = self.targets.get(key) is target
                self.health.tick("actions")
                self.get_logger().info(f"{node} -> {target.desired}")
            else:
                self.health.error(f"{node} refused to become {target.desired}")

        get_client.call_async(GetState.Request()).add_done_callback(got_state)

    def diagnostics_values(self) -> dict:
        return {
            "mode": self.policy.mode,
            "mode_changes": self.mode_changes,
            "warnings": self.warnings,
            "requests_refused": self.refusals,
            "parked": ",".join(self.planned_parked) or "none",
            "actions_confirmed": sum(t.confirmed for t in self.targets.values()),
            "actions_total": len(self.targets),
        }


def main(args=None):
    return run_node(PowerPolicyNode, args)
