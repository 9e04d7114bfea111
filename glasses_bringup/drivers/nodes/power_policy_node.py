"""Power policy node: modes with hysteresis, runtime left, actions on the stack, warnings.

Reads power/battery (combined) and the per-slot states, publishes power/state
(latched) with the mode, runtime left predicted from recent load, the swap state
and per-pack charge. On a mode change it:

- sets the camera's ``fps`` (``<camera_node>/set_parameters``),
- parks or resumes heavy lifecycle nodes (``<node>/change_state``: deactivate /
  activate) listed in ``vision_nodes`` and ``asr_nodes``,
- sets the display's ``brightness``,

and keeps re-applying until each target confirms (drivers/power/node_targets.py): a
node that is not running is a counted diagnostic and a retry every ``retry_period_s``,
never a crash. Wake word, IMU, touch and battery nodes are never touched. Before the
last charge runs out it warns once on power/notice.

The policy writes no wearer-facing text: power/notice carries the facts (battery low,
a request refused, the cost of continuous transcription) and the agent turns them
into cards and speech in the wearer's language (glasses_agent/cards.py).

The wearer's requests win where the packs can carry them: a wake event
(perception/wake) resumes parked full ASR, and an intent that needs the camera
(agent/intent: ``vision_intents``) resumes parked vision, each for
``request_hold_s``; a request the charge cannot carry is refused
with a power/notice.

Continuous transcription (agent/listen_mode: captions, notes or teleprompter on) keeps
full ASR running: when it starts, the policy sends its cost (``listening_extra_w``)
and the runtime left at that load on power/notice, marked not enough when the packs
cannot last ``meeting_h``.
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
from glasses_bringup.drivers.power.node_targets import Target, TargetKeeper, lifecycle_key, param_key
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
        self.notice_pub = self.event_publisher("power/notice")
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
        self.keeper = TargetKeeper()
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
            self.get_logger().warning(f"battery low: {warning.minutes} min left on {warning.packs_present} pack(s)")
            self.notice_pub.publish(ev.PowerNotice(stamp=stamp, kind="battery_low", soc=soc,
                                                   runtime_left_h=max(runtime_h, 0.0),
                                                   packs_present=warning.packs_present))  # fmt: skip
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
        self.health.set("listening_runtime_h", f"{outlook.runtime_h:.2f}")
        if not outlook.enough:
            self.warnings += 1
            self.get_logger().warning(f"continuous transcription: {outlook.runtime_h:.1f} h left, meeting "
                                      f"{outlook.meeting_h:.1f} h")  # fmt: skip
        self.notice_pub.publish(ev.PowerNotice(
            stamp=mode.stamp, kind="listening_cost", runtime_left_h=min(outlook.runtime_h, 1e6),
            extra_w=outlook.extra_w, meeting_h=outlook.meeting_h, enough=outlook.enough, lang=mode.lang))

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
        self.notice_pub.publish(ev.PowerNotice(stamp=stamp, kind="request_refused", group=group,
                                               remaining_wh=self.remaining_wh, extra_w=self.extra_w[group]))

    # -- actions ------------------------------------------------------------------------

    def _plan_targets(self) -> None:
        acts = self.policy.current_actions()
        self.planned_parked = self.policy.parked_now(self.now_s())
        wanted = {
            param_key(self.camera_node, "fps"): ("camera", float(acts.camera_fps)),
            param_key(self.display_node, "brightness"): ("display", float(acts.display_brightness)),
        }
        for group, nodes in self.groups.items():
            for node in nodes:
                wanted[lifecycle_key(node)] = (group, "inactive" if group in self.planned_parked else "active")
        self.keeper.plan(wanted)

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
        for target in self.keeper.due():
            if target.kind == "param":
                self._set_param(target)
            else:
                self._set_lifecycle(target)
        waiting = self.keeper.waiting()
        self.health.set("actions_pending", ",".join(waiting) if waiting else "none")

    def _service_ready(self, client, target: Target) -> bool:
        if client.service_is_ready():
            return True
        attempts = self.keeper.unavailable(target)
        self.health.error(f"{client.srv_name} not available (attempt {attempts}); retrying")
        self.health.drop("actions")
        return False

    def _set_param(self, target: Target) -> None:
        node, name = target.node, target.parameter
        client = self.param_clients.get(node)
        if client is None:
            client = self.param_clients[node] = self.create_client(SetParameters, f"{node}/set_parameters")
        if not self._service_ready(client, target):
            return
        value = ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=float(target.desired))
        req = SetParameters.Request(parameters=[ParameterMsg(name=name, value=value)])
        self.keeper.sent(target)

        def done(future, target=target):
            result = future.result()
            ok = result is not None and bool(result.results) and result.results[0].successful
            if not self.keeper.answered(target, ok):
                return  # superseded by a newer mode
            if ok:
                self.health.tick("actions")
                self.get_logger().info(f"{node}.{name} = {target.desired:g}")
            else:
                reason = result.results[0].reason if (result and result.results) else "no response"
                self.health.error(f"{node} refused {name}={target.desired}: {reason}")

        client.call_async(req).add_done_callback(done)

    def _set_lifecycle(self, target: Target) -> None:
        node = target.node
        clients = self.lifecycle_clients.get(node)
        if clients is None:
            clients = self.lifecycle_clients[node] = (
                self.create_client(GetState, f"{node}/get_state"),
                self.create_client(ChangeState, f"{node}/change_state"),
            )
        get_client, change_client = clients
        if not self._service_ready(get_client, target):
            return
        self.keeper.sent(target)

        def got_state(future, target=target):
            result = future.result()
            state = result.current_state.label if result is not None else None
            if state == target.desired:
                self.keeper.answered(target, True)
                return
            if state not in ("active", "inactive"):
                # no answer, or unconfigured / finalized: not ours to bring up; retry later
                if self.keeper.answered(target, False):
                    self.health.error(f"{node} is {state or 'not answering'}; cannot make it {target.desired}")
                return
            if not self.keeper.current(target):  # superseded while asking: no transition for a void wish
                self.keeper.answered(target, False)
                return
            transition = (
                Transition.TRANSITION_DEACTIVATE if target.desired == "inactive" else Transition.TRANSITION_ACTIVATE
            )
            change_client.call_async(ChangeState.Request(transition=Transition(id=transition))).add_done_callback(
                lambda f: changed(f, target)
            )

        def changed(future, target):
            result = future.result()
            ok = result is not None and result.success
            live = self.keeper.answered(target, ok)
            if ok:
                if live:
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
            "actions_confirmed": self.keeper.confirmed_count(),
            "actions_total": len(self.keeper.targets),
        }


def main(args=None):
    return run_node(PowerPolicyNode, args)
