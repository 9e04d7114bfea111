"""Agent node: perception and input events -> dialogue manager -> intents, actions, HUD cards, speech.

Subscribes perception/transcript (final ones), perception/wake, input/touch
(double_tap = confirm), input/head_gesture (nod = confirm, shake = cancel),
perception/codes, perception/product, perception/text. Publishes agent/intent,
agent/action, agent/response, agent/metrics (latched), display/card (S1) and
speaker/say (every reply on G1; prompts, confirmations and results on S1). Every
output carries the stamp of the sensor data it answers.
"""

from __future__ import annotations

import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal

from glasses_agent import intents
from glasses_agent.backends import make_services
from glasses_agent.dialogue import AgentConfig, DialogueManager, Step
from glasses_agent.skills.pay import Limits
from glasses_bringup import events as ev
from glasses_bringup.ros.node_base import GlassesNode, run_node


class AgentNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("agent", **kwargs)
        self.variant = self.declare("variant", "s1", "s1 renders cards (and speaks prompts); g1 speaks every reply.",
                                    choices=("s1", "g1"))  # fmt: skip
        backend = self.declare("backend", "sqlite", "Service back-end: sqlite sandbox or http services.",
                               choices=("sqlite", "http"))  # fmt: skip
        db_path = self.declare("db_path", "", "SQLite sandbox file; empty = ~/.local/share/glasses_stack/agent.sqlite.")
        services_url = self.declare("services_url", "", "Base URL of the HTTP services (backend=http).")
        speed = self.declare("sandbox_speed", 1.0, "Sandbox clock speed for order/ride status (demo: 60).",
                             min=0.1, max=3600.0)  # fmt: skip
        intent_backend = self.declare("intent_backend", "offline", "offline parser, or llm with offline fall-back.",
                                      choices=("offline", "llm"))  # fmt: skip
        llm_url = self.declare("llm_url", "", "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1.")
        llm_model = self.declare("llm_model", "qwen2.5-7b-instruct", "Model name sent to the LLM endpoint.")
        llm_key_env = self.declare("llm_api_key_env", "GLASSES_LLM_API_KEY", "Environment variable holding the key.")
        llm_timeout = self.declare("llm_timeout_s", 3.0, "LLM time-out before the offline fall-back (s).",
                                   min=0.1, max=30.0)  # fmt: skip
        intent_model = self.declare("intent_model", "", "Intent model file (make intents); empty = the one shipped.")
        config = AgentConfig(
            confirm_timeout_s=self.declare("confirm_timeout_s", 15.0, "Time to confirm a spending request (s).",
                                           min=2.0, max=120.0),  # fmt: skip
            view_memory_s=self.declare("view_memory_s", 10.0, "A code/product seen this recently is in view (s).",
                                       min=0.5, max=120.0),  # fmt: skip
            await_timeout_s=self.declare("await_timeout_s", 12.0, "\"pay\" waits this long for a code (s).",
                                         min=1.0, max=120.0),  # fmt: skip
            min_gesture_confidence=self.declare("min_gesture_confidence", 0.6, "Ignore weaker head gestures.",
                                                min=0.0, max=1.0),  # fmt: skip
            limits=Limits(
                per_payment=Decimal(str(self.declare("per_payment_limit", 500.0, "Largest single payment.",
                                                     min=0.0, max=1e6))),  # fmt: skip
                daily=Decimal(str(self.declare("daily_limit", 2000.0, "Spending limit per calendar day.",
                                               min=0.0, max=1e7))),  # fmt: skip
            ),
            default_currency=self.declare("default_currency", "CNY", "Currency when neither code nor wearer says."),
            default_lang=self.declare("default_lang", "en", "Language of replies before anything was said.",
                                      choices=("en", "zh")),  # fmt: skip
            recovery_max_age_s=self.declare("recovery_max_age_s", 900.0, "A payment a crash left half done is "
                                            "finished at start when younger than this (s), else undone.",
                                            min=0.0, max=86400.0),  # fmt: skip
        )
        self.recovery_retry_s = self.declare("recovery_retry_s", 30.0, "Retry period of a start-up recovery that "
                                             "found the database busy or a service down (s).", min=1.0, max=3600.0)  # fmt: skip
        tick_s = self.declare("tick_period_s", 0.5, "Period of time-out and status checks (s).", min=0.05, max=10.0)

        self.backend_services = make_services(backend, db_path, services_url, speed)
        intents.use_model(intent_model or None)
        intents.warm_up()  # load the model now, not on the first transcript
        self.llm = None
        if intent_backend == "llm":
            if not llm_url:
                raise ValueError("intent_backend llm needs llm_url")
            from glasses_agent.llm import LlmIntentParser

            self.llm = LlmIntentParser(llm_url, llm_model, llm_key_env, llm_timeout)
            # The endpoint is asked on a worker thread, so nods, taps and time-outs are handled
            # while it thinks; answers come back in order as executor tasks (every executor,
            # the EventsExecutor included, takes a task from another thread; it has no guard
            # conditions), and the tick drains anything left should no executor be attached.
            self._llm_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agent_llm")
            self._parsed: queue.SimpleQueue = queue.SimpleQueue()
        self.dialogue = DialogueManager(self.backend_services, config, intents.parse)
        self.health.set("backend", backend)
        self.health.set("intent_backend", intent_backend)

        self.pub_intent = self.event_publisher("agent/intent")
        self.pub_action = self.event_publisher("agent/action")
        self.pub_response = self.event_publisher("agent/response")
        self.pub_metrics = self.event_publisher("agent/metrics")
        self.pub_card = self.event_publisher("display/card")
        self.pub_say = self.event_publisher("speaker/say")
        self.event_subscription("perception/transcript", ev.Transcript, self.on_transcript)
        self.event_subscription("perception/wake", ev.Wake, self.on_wake)
        self.event_subscription("input/touch", ev.Touch, self.on_touch)
        self.event_subscription("input/head_gesture", ev.HeadGesture, self.on_head_gesture)
        self.event_subscription("perception/codes", ev.Code, self.on_code)
        self.event_subscription("perception/product", ev.Product, self.on_product)
        self.event_subscription("perception/text", ev.Text, self.on_text)
        self.timer = self.create_timer(tick_s, self.on_tick)
        self._metrics_sent: dict | None = None
        self._recovery_due = 0.0  # monotonic time of the next recovery attempt; None once settled
        self.recover()
        self.publish_metrics(self.now_s(), force=True)

    def recover(self) -> None:
        """Finish or undo the money tasks a crash left half done; retried while the back-end cannot answer."""
        try:
            steps = self.dialogue.recover(self.now_s())
        except Exception as exc:  # services down at start: the rows stay and recovery is retried
            self.health.error(f"recovery of half-done payments failed: {exc}")
            self.get_logger().error(f"recovery of half-done payments failed: {exc!r}", throttle_duration_sec=30.0)
            self._recovery_due = time.monotonic() + self.recovery_retry_s
            return
        self.publish(steps)
        deferred = sum(1 for st in steps for _, status, _ in st.actions if status == "recovery_deferred")
        self.health.set("recovery_deferred", deferred)
        self._recovery_due = time.monotonic() + self.recovery_retry_s if deferred else None

    # -- inputs -------------------------------------------------------------------------

    def on_transcript(self, msg: ev.Transcript) -> None:
        if not msg.final:
            return
        if not msg.text.strip():
            self.health.reject("empty_transcript")
            return
        started = time.perf_counter()
        if self.llm is not None:
            future = self._llm_worker.submit(self.llm, msg.text, msg.lang or None)
            future.add_done_callback(lambda f, m=msg, t=started: self._llm_done(f, m, t))
            return
        self.publish(self.dialogue.on_transcript(msg.text, msg.lang or None, msg.stamp, self.now_s()))
        self.health.set("last_turn_ms", f"{(time.perf_counter() - started) * 1000:.2f}")

    def _llm_done(self, future: Future, msg: ev.Transcript, started: float) -> None:
        self._parsed.put((future, msg, started))
        executor = self.executor
        if executor is not None:
            executor.create_task(self._on_parsed)

    def _on_parsed(self) -> None:
        while True:
            try:
                future, msg, started = self._parsed.get_nowait()
            except queue.Empty:
                return
            try:
                result = future.result()
            except Exception as exc:  # the client falls back by itself; this is a bug guard
                self.health.error(f"llm parser raised {type(exc).__name__}: {exc}")
                result = intents.parse(msg.text, msg.lang or None)
            self.publish(self.dialogue.on_parsed(result, msg.text, msg.stamp, self.now_s()))
            self.health.set("last_turn_ms", f"{(time.perf_counter() - started) * 1000:.2f}")

    def on_wake(self, msg: ev.Wake) -> None:
        if self.variant == "s1":
            self.publish(self.dialogue.on_wake(msg.stamp, self.now_s()))

    def on_touch(self, msg: ev.Touch) -> None:
        self.publish(self.dialogue.on_touch(msg.gesture, msg.stamp, self.now_s()))

    def on_head_gesture(self, msg: ev.HeadGesture) -> None:
        self.publish(self.dialogue.on_head_gesture(msg.gesture, msg.confidence, msg.stamp, self.now_s()))

    def on_code(self, msg: ev.Code) -> None:
        self.publish(self.dialogue.on_code(msg.text, msg.kind, msg.stamp, self.now_s()))

    def on_product(self, msg: ev.Product) -> None:
        self.publish(self.dialogue.on_product(msg.product_id, msg.name, msg.accepted, msg.stamp, self.now_s()))

    def on_text(self, msg: ev.Text) -> None:
        self.publish(self.dialogue.on_text([line.text for line in msg.lines], msg.stamp, self.now_s()))

    def on_tick(self) -> None:
        if self.llm is not None:
            self._on_parsed()
        if self._recovery_due is not None and time.monotonic() >= self._recovery_due:
            self.recover()
        try:
            self.publish(self.dialogue.tick(self.now_s()))
        except Exception as exc:  # a back-end hiccup must not stop time-outs from firing next tick
            self.health.error(f"tick: {type(exc).__name__}: {exc}")
            self.get_logger().error(f"tick failed: {exc!r}", throttle_duration_sec=5.0)

    # -- outputs ------------------------------------------------------------------------

    def publish(self, steps: list[Step]) -> None:
        for step in steps:
            stamp = max(0.0, step.stamp)
            if step.intent is not None:
                r = step.intent
                self.pub_intent.publish(ev.Intent(stamp=stamp, intent=r.intent, slots=r.slots, confidence=r.confidence,
                                                  utterance=r.text, lang=r.lang, backend=r.backend,
                                                  turn_id=step.turn_id))  # fmt: skip
                self.health.tick(f"intent.{r.intent}")
            for action, status, details in step.actions:
                self.pub_action.publish(ev.Action(stamp=stamp, action=action, status=status, details=details,
                                                  turn_id=step.turn_id))  # fmt: skip
                if status in ("refused", "failed", "expired"):
                    self.health.tick(f"{action}.{status}")
            for reply in step.replies:
                self.pub_response.publish(ev.Response(stamp=stamp, text=reply.speech, lang=reply.lang,
                                                      turn_id=step.turn_id))  # fmt: skip
                if self.variant == "s1":
                    # a confirm card stays up exactly as long as the confirmation is accepted
                    ttl = self.dialogue.config.confirm_timeout_s if reply.kind == "confirm" else reply.ttl_s
                    self.pub_card.publish(ev.Card(stamp=stamp, card_id=reply.card_id, kind=reply.kind, title=reply.title,
                                                  body=reply.body, lines=reply.lines, ttl_s=ttl,
                                                  priority=reply.priority, lang=reply.lang))  # fmt: skip
                if (self.variant == "g1" or reply.speak) and reply.speech:
                    self.pub_say.publish(ev.Say(stamp=stamp, text=reply.speech, lang=reply.lang, priority=reply.priority,
                                                interrupt=reply.kind == "confirm"))  # fmt: skip
        if steps:
            self.publish_metrics(max(s.stamp for s in steps))

    def publish_metrics(self, stamp: float, force: bool = False) -> None:
        metrics = self.dialogue.metrics()
        if force or metrics != self._metrics_sent:
            self._metrics_sent = metrics
            self.pub_metrics.publish(ev.AgentMetrics(stamp=max(0.0, stamp), **metrics))
            for key, value in metrics.items():
                self.health.set(key, value)

    def diagnostics_values(self) -> dict:
        values = {"pending_confirmation": self.dialogue.pending is not None, "tracked": len(self.dialogue.tracked)}
        llm = self.llm
        if llm is not None:
            values["llm_calls"] = llm.calls
            values.update({f"llm_fallback.{k}": v for k, v in llm.fallbacks.items()})
        return values

    def destroy_node(self):
        if self.llm is not None:
            self._llm_worker.shutdown(wait=True, cancel_futures=True)
        close = getattr(self.backend_services, "close", None)
        if close is not None:
            close()
        return super().destroy_node()


def main(args=None):
    return run_node(AgentNode, args)
