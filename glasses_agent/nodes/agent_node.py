"""Agent node: perception and input events -> dialogue manager -> intents, actions, HUD cards, speech.

Subscribes perception/transcript (final ones), perception/wake, input/touch
(double_tap = confirm; tap pauses an open teleprompter, else takes a photo; swipes move the
teleprompter), input/head_gesture (nod = confirm, shake = cancel), perception/codes,
perception/product, perception/text, perception/caption (continuous transcript: notes,
subtitles, teleprompter), camera/still (the capture a "what is this" asked for),
gnss/fix (sensor_msgs/NavSatFix: turn-by-turn guidance) and imu/data (orientation yaw:
the wearer's heading; subscribed only while a route is asked for or followed), both with
the sensor-data QoS. Publishes agent/intent,
agent/action, agent/response, agent/metrics (latched), agent/listen_mode (latched: what
the captions node must transcribe), display/card (S1) and speaker/say (every reply on
G1; prompts, confirmations and results on S1). Every output carries the stamp of the
sensor data it answers.

Call audio: while the phone link's call is active (answered), audio/raw is subscribed and
sent up the link, and the far end's voice is published on speaker/call (audio chunks,
F32LE mono 16 kHz, every ``call_audio_block_ms``); before the answer and after the hang-up
neither the subscription nor the timer exists.

Meeting notes go to ``notes_db_path`` (SQLite, one commit per segment). With
``llm_url`` set, summaries, translations (and with ``vision_url`` "what is this") use
those endpoints on a worker thread; offline fall-backs answer otherwise. Setting the
``teleprompter_script`` parameter at run time (``set_parameters`` service) loads and
shows that script.
"""

from __future__ import annotations

import math
import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from sensor_msgs.msg import CompressedImage, Image
from std_srvs.srv import Trigger

from glasses_agent import intents
from glasses_agent.backends import make_services
from glasses_agent.dialogue import AgentConfig, DialogueManager, Step
from glasses_agent.llm import LlmError
from glasses_agent.notes import LlmSummarizer, NotesError, NotesStore
from glasses_agent.skills.guidance import GuidanceConfig
from glasses_agent.skills.meeting import MeetingConfig, MeetingSkill
from glasses_agent.skills.navigate import Heading, MapProvider, NavConfig, NavigateSkill
from glasses_agent.skills.pay import Limits
from glasses_agent.teleprompter import TeleprompterConfig
from glasses_agent.translate import LlmTranslator, Translator
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


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
            capture_gesture=self.declare("capture_gesture", "tap", "Touch that takes a photo (stops a clip); empty = none.",
                                         choices=("", "tap", "swipe_forward", "swipe_back")),  # fmt: skip
            recovery_max_age_s=self.declare("recovery_max_age_s", 900.0, "A payment a crash left half done is "
                                            "finished at start when younger than this (s), else undone.",
                                            min=0.0, max=86400.0),  # fmt: skip
        )
        self.recovery_retry_s = self.declare("recovery_retry_s", 30.0, "Retry period of a start-up recovery that "
                                             "found the database busy or a service down (s).", min=1.0, max=3600.0)  # fmt: skip
        tick_s = self.declare("tick_period_s", 0.5, "Period of time-out and status checks (s).", min=0.05, max=10.0)
        notes_db = self.declare("notes_db_path", "", "Meeting notes SQLite file; empty = "
                                "~/.local/share/glasses_stack/notes.sqlite.")  # fmt: skip
        script = self.declare("teleprompter_script", "", "Teleprompter script file (text or a notes export); "
                              "setting it at run time loads and shows it.")  # fmt: skip
        prompter = TeleprompterConfig(
            mode=self.declare("teleprompter_mode", "follow", "follow the wearer's speech, or scroll at a fixed speed.",
                              choices=("follow", "fixed")),  # fmt: skip
            fixed_wpm=self.declare("teleprompter_wpm", 130.0, "Fixed-speed scrolling (words per minute).",
                                   min=20.0, max=400.0),  # fmt: skip
            idle_fallback_s=self.declare("teleprompter_idle_fallback_s", 0.0, "In follow mode, scroll at the fixed "
                                         "speed after this much silence (0 = never).", min=0.0, max=60.0),  # fmt: skip
        )
        speech_translate = self.declare("speech_translate_offline", False, "The captions node has a multilingual "
                                        "Whisper model (speech -> English offline).")  # fmt: skip
        vision_url = self.declare("vision_url", "", "Vision-capable OpenAI-compatible base URL for \"what is this\".")
        vision_model = self.declare("vision_model", "qwen2.5-vl-7b-instruct", "Vision model name.")
        navigator = self._declare_navigation(db_path, backend)

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
        city = self.declare("weather_city", "Helsinki", "City of \"what's the weather\" when none is said.")
        # Seeded trips announce delays unasked: only a simulated rig may invent them.
        sandbox_trips = self.declare("sandbox_trips", False, "Seed the sandbox with a flight and a train whose "
                                     "status changes (simulated rigs and demos only).")  # fmt: skip
        self._daily_store = None
        daily = None
        if backend == "sqlite":
            from glasses_agent.backends import default_db_path
            from glasses_agent.backends.daily import DailyStore, SandboxWeather
            from glasses_agent.skills.daily import DailySkill

            self._daily_store = DailyStore(db_path or default_db_path(), seed_trips=sandbox_trips, now=self.now_s())
            daily = DailySkill(self._daily_store, SandboxWeather(), city)
        ring_s = self.declare("sandbox_incoming_call_s", 0.0, "Sandbox phone: a call rings this long after start "
                              "(0 = none).", min=0.0, max=86400.0)  # fmt: skip
        caller = self.declare("sandbox_caller", "Anna", "Sandbox phone: who that call is from.")
        self._phone = None
        phone = None
        if backend == "sqlite":
            from glasses_agent.backends.phone import SandboxPhone
            from glasses_agent.skills.phone import PhoneSkill

            recordings = self.declare("sandbox_call_recordings", "", "Sandbox phone: folder where the uplink of each "
                                      "call is written as a WAV file when it ends (empty = kept in memory only).")  # fmt: skip
            self._phone = SandboxPhone(db_path or default_db_path(), recordings_dir=recordings or None)
            if ring_s > 0:
                self._phone.ring_at(caller, self.now_s() + ring_s)
            phone = PhoneSkill(self._phone)
        self._setup_call_audio()
        try:
            self.notes = NotesStore(notes_db or None)
        except NotesError as exc:
            raise ValueError(str(exc)) from None
        closed = self.notes.close_dangling()  # a meeting the stack was killed in: closed at its last segment
        if closed:
            self.get_logger().warning(f"closed meetings left open by a crash: {closed}")
        llm_summary = llm_translate = vision = None
        if llm_url:
            llm_summary = LlmSummarizer(llm_url, llm_model, llm_key_env, max(llm_timeout, 10.0))
            llm_translate = LlmTranslator(llm_url, llm_model, llm_key_env, llm_timeout)
        if vision_url:
            from glasses_agent.look import VisionAnswerer

            vision = VisionAnswerer(vision_url, vision_model, llm_key_env, max(llm_timeout, 10.0))
        self.meeting = MeetingSkill(self.notes, MeetingConfig(variant=self.variant, teleprompter=prompter,
                                                              teleprompter_script=script),
                                    summarizer=llm_summary, translator=Translator(llm_translate, speech_translate),
                                    vision=vision)  # fmt: skip
        self.dialogue = DialogueManager(self.backend_services, config, intents.parse, navigator=navigator, daily=daily,
                                        phone=phone, meeting=self.meeting)  # fmt: skip
        self.on_change("teleprompter_script", self._load_script)
        # Endpoint calls of the meeting skills (summary, translation, vision) run here, off the executor;
        # their results come back as executor tasks, like the LLM parser's (the tick drains leftovers).
        self._slow = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agent_meeting")
        self._slow_done: queue.SimpleQueue = queue.SimpleQueue()
        self._capture_lang: str | None = None
        self.health.set("backend", backend)
        self.health.set("intent_backend", intent_backend)

        self.pub_intent = self.event_publisher("agent/intent")
        self.pub_action = self.event_publisher("agent/action")
        self.pub_response = self.event_publisher("agent/response")
        self.pub_metrics = self.event_publisher("agent/metrics")
        self.pub_card = self.event_publisher("display/card")
        self.pub_say = self.event_publisher("speaker/say")
        self.pub_listen = self.event_publisher("agent/listen_mode")
        self._listen_sent: dict | None = None
        self.event_subscription("perception/caption", ev.Caption, self.on_caption)
        self.capture_client = self.create_client(Trigger, "camera/capture")
        self.create_subscription(CompressedImage, "camera/still", self.on_still, gq.for_topic("camera/still"))
        self.outbox = {"media/request": self.event_publisher("media/request"),
                       "music/command": self.event_publisher("music/command"),
                       "phone/call": self.event_publisher("phone/call")}  # fmt: skip
        self.event_subscription("perception/transcript", ev.Transcript, self.on_transcript)
        self.event_subscription("perception/wake", ev.Wake, self.on_wake)
        self.event_subscription("input/touch", ev.Touch, self.on_touch)
        self.event_subscription("input/head_gesture", ev.HeadGesture, self.on_head_gesture)
        self.event_subscription("perception/codes", ev.Code, self.on_code)
        self.event_subscription("perception/product", ev.Product, self.on_product)
        self.event_subscription("perception/text", ev.Text, self.on_text)
        self.event_subscription("media/result", ev.MediaResult, self.on_media_result)
        self.event_subscription("music/state", ev.MusicState, self.on_music_state)
        self.event_subscription("power/state", ev.PowerState, self.dialogue.on_power)
        self.event_subscription("power/notice", ev.PowerNotice, self.on_power_notice)
        self._imu_sub = None  # imu/data only while a route is asked for or followed (the heading is for guidance)
        if navigator is not None:
            from sensor_msgs.msg import NavSatFix

            self.create_subscription(NavSatFix, "gnss/fix", self.on_fix, gq.profile(interfaces.SENSOR, depth=5))
        self.timer = self.create_timer(tick_s, self.on_tick)
        self._metrics_sent: dict | None = None
        self._confirm_card_id: str | None = None  # the confirm card on the HUD while a confirmation is open
        self._heard_card_id: str | None = None  # the provisional card of a pause transcript, until its final
        self._recovery_due = 0.0  # monotonic time of the next recovery attempt; None once settled
        self.recover()
        self.publish_metrics(self.now_s(), force=True)
        self.publish_listen_mode(self.now_s(), force=True)

    def _declare_navigation(self, db_path: str, backend: str) -> NavigateSkill | None:
        area = self.declare("nav_area", "helsinki", "Walking map: a bundled area (helsinki) or a .osm.pbf path; "
                            "empty = no navigation.")  # fmt: skip
        bbox_text = self.declare("nav_bbox", "", "Cut of the map: min_lon,min_lat,max_lon,max_lat; empty = all.")
        cache_dir = self.declare("nav_cache_dir", "", "Graph cache folder; empty = ~/.cache/glasses_stack/maps.")
        preload = self.declare("nav_preload", True, "Load the map at start (else on the first request).")
        guidance = GuidanceConfig(
            announce_m=self.declare("nav_announce_m", 35.0, "A turn is announced this far ahead (m).", min=5.0, max=200.0),
            arrive_m=self.declare("nav_arrive_m", 15.0, "Closer than this to the destination is arrival (m).",
                                  min=3.0, max=100.0),  # fmt: skip
            off_route_m=self.declare("nav_off_route_m", 30.0, "Farther than this from the route is off route (m).",
                                     min=5.0, max=200.0),  # fmt: skip
            off_route_s=self.declare("nav_off_route_s", 2.0, "Off route this long (two fixes) asks a new route (s).",
                                     min=0.0, max=60.0),  # fmt: skip
        )
        config = NavConfig(
            guidance=guidance,
            wait_s=self.declare("nav_wait_s", 60.0, "A request waits this long for the map and a fix (s).",
                                min=1.0, max=600.0),  # fmt: skip
            fix_timeout_s=self.declare("nav_fix_timeout_s", 8.0, "No fix this long while guiding: GPS lost (s).",
                                       min=1.0, max=120.0),  # fmt: skip
        )
        heading = Heading(
            offset_deg=self.declare("heading_offset_deg", 0.0, "Added to the IMU heading (mount, declination).",
                                    min=-180.0, max=180.0),  # fmt: skip
            max_yaw_stddev_deg=self.declare("heading_max_yaw_stddev_deg", 30.0,
                                            "IMU yaw with a larger standard deviation is ignored (course from fixes).",
                                            min=0.0, max=180.0),  # fmt: skip
        )
        self.health.set("nav_area", area or "off")
        if not area:
            return None
        bbox = [float(x) for x in bbox_text.split(",")] if bbox_text.strip() else None
        if bbox is not None and len(bbox) != 4:
            raise ValueError("nav_bbox needs four numbers: min_lon,min_lat,max_lon,max_lat")
        saved = None
        if backend == "sqlite":
            from glasses_agent.backends import default_db_path
            from glasses_agent.backends.saved_places import SavedPlaces

            saved = SavedPlaces(db_path or default_db_path())
        self._saved_places = saved
        maps = MapProvider(area, bbox, cache_dir)
        if preload:
            maps.start()
        self._maps = maps
        return NavigateSkill(maps, saved, config, heading)

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

    def on_fix(self, msg) -> None:
        if msg.status.status < 0:  # STATUS_NO_FIX
            self.health.tick("gnss.no_fix")
            return
        if not (math.isfinite(msg.latitude) and math.isfinite(msg.longitude)):
            self.health.reject("gnss_not_finite")
            return
        # COVARIANCE_TYPE_UNKNOWN (0): no error estimate; otherwise the east variance, in m^2
        accuracy = math.sqrt(msg.position_covariance[0]) if msg.position_covariance_type > 0 else float("nan")
        self.publish(self.dialogue.on_fix(msg.latitude, msg.longitude, accuracy, self.stamp_s(msg.header), self.now_s()))

    def on_imu(self, msg) -> None:
        q = msg.orientation
        if msg.orientation_covariance[0] < 0:  # REP-145: no orientation in this message
            return
        yaw = math.atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z))
        self.dialogue.on_imu_yaw(yaw, msg.orientation_covariance[8])

    def on_transcript(self, msg: ev.Transcript) -> None:
        if not msg.final:
            if msg.at_pause and self.variant == "s1" and msg.text.strip():
                self._show_heard(msg)
            return
        if not msg.text.strip():
            self.health.reject("empty_transcript")
            self._clear_heard(msg)
            return
        started = time.perf_counter()
        if self.llm is not None:
            future = self._llm_worker.submit(self.llm, msg.text, msg.lang or None)
            future.add_done_callback(lambda f, m=msg, t=started: self._llm_done(f, m, t))
            return
        self.publish(self._dispatch(self.dialogue.parser(msg.text, msg.lang or None), msg))
        self._clear_heard(msg)
        self.health.set("last_turn_ms", f"{(time.perf_counter() - started) * 1000:.2f}")

    def _show_heard(self, msg: ev.Transcript) -> None:
        """Provisional card at a pause (offline parse, nothing done); the final's turn replaces it."""
        reply = self.dialogue.heard(msg.text, msg.lang or None, msg.utterance_id)
        if reply is None:
            self._clear_heard(msg)  # the words so far changed to nothing clear: take the old guess down
            return
        self._heard_card_id = reply.card_id
        self._publish_card(reply, max(0.0, msg.audio_end), reply.card_id, reply.ttl_s)
        self.health.tick("heard_cards")

    def _publish_card(self, reply, stamp: float, card_id: str, ttl_s: float) -> None:
        self.pub_card.publish(ev.Card(stamp=stamp, card_id=card_id, kind=reply.kind, title=reply.title,
                                      body=reply.body, lines=reply.lines, ttl_s=ttl_s, priority=reply.priority,
                                      lang=reply.lang, image=reply.image))  # fmt: skip

    def _clear_heard(self, msg: ev.Transcript) -> None:
        """Take the provisional card down once the final's turn is out (its own card is newer)."""
        if self._heard_card_id is not None:
            self.pub_card.publish(ev.Card(stamp=max(0.0, msg.audio_end), card_id=self._heard_card_id,
                                          kind=ev.CARD_CLEAR, title=""))  # fmt: skip
            self._heard_card_id = None

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
            self.publish(self._dispatch(result, msg))
            self._clear_heard(msg)
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

    def on_caption(self, msg: ev.Caption, translation: str | None = None) -> None:
        m = self.meeting
        if translation is None and msg.final and m.needs_translation(msg.lang, msg.task) and m.translator.llm:
            # translated by the LLM on the worker; the caption is handled when the answer is back
            def job(msg=msg):
                text, _ = m.translator.text(msg.text, m.target_lang, msg.lang)
                return lambda: self.on_caption(msg, text or msg.text)

            self._submit_slow(job)
            return
        try:
            self.publish(self.dialogue.on_caption(msg.text, msg.final, msg.speaker, msg.lang, msg.utterance_id,
                                                  msg.audio_start, msg.audio_end, msg.stamp, msg.task, translation))  # fmt: skip
        except NotesError as exc:
            self.health.reject("bad_caption", str(exc))

    def _submit_slow(self, job) -> None:
        """Run ``job`` (endpoint calls only) on the worker; the callable it returns runs on the executor."""
        future = self._slow.submit(job)
        future.add_done_callback(self._slow_finished)

    def _slow_finished(self, future: Future) -> None:
        self._slow_done.put(future)
        executor = self.executor
        if executor is not None:
            executor.create_task(self._on_slow_done)

    def _on_slow_done(self) -> None:
        while True:
            try:
                future = self._slow_done.get_nowait()
            except queue.Empty:
                return
            try:
                self.publish(future.result()())
            except Exception as exc:  # the skills fall back by themselves; this guards against bugs
                self.health.error(f"meeting worker: {type(exc).__name__}: {exc}")

    def _dispatch(self, result: intents.ParseResult, msg: ev.Transcript) -> list[Step]:
        """Dialogue turn of a parsed transcript; an LLM summary is made on the worker first."""
        if result.intent == "summarize_notes" and isinstance(self.meeting.summarizer, LlmSummarizer):
            meeting_id = self.meeting.meeting_id

            def job():
                try:
                    meeting = self.notes.meeting(meeting_id)
                    summary = self.meeting.summarizer(self.notes.segments(meeting.meeting_id))
                except NotesError:
                    summary = None  # the skill answers "no notes"
                return lambda: self._finish_summary(result, msg, summary)

            self._submit_slow(job)
            return []
        return self.dialogue.on_parsed(result, msg.text, msg.stamp, self.now_s())

    def _finish_summary(self, result, msg: ev.Transcript, summary) -> list[Step]:
        self.meeting.prepared_summary = summary
        return self.dialogue.on_parsed(result, msg.text, msg.stamp, self.now_s())

    def _load_script(self, value) -> str | None:
        path = str(value)
        if not path:
            return None
        if not Path(path).is_file():
            return f"no such script file: {path}"
        self.meeting.config.teleprompter_script = path
        steps = self.dialogue.on_parsed(intents.ParseResult("teleprompter", {"script": path}, 1.0, self.dialogue.lang,
                                                            "teleprompter_script"), "", self.now_s(), self.now_s())  # fmt: skip
        self.publish(steps)
        return None

    def _capture(self, lang: str, stamp: float) -> None:
        """A "what is this" with a vision endpoint: ask the camera for one still."""
        if not self.capture_client.service_is_ready():
            self.health.error("camera/capture not available; answering offline")
            self._answer_offline(lang, stamp, "no_camera")
            return
        self._capture_lang = lang
        self.capture_client.call_async(Trigger.Request()).add_done_callback(
            lambda f: None if (f.result() and f.result().success) else self._capture_failed(lang, stamp))

    def _capture_failed(self, lang: str, stamp: float) -> None:
        self._capture_lang = None
        self._answer_offline(lang, stamp, "capture_failed")

    def _answer_offline(self, lang: str, stamp: float, reason: str) -> None:
        outcome = self.meeting.what_is_this(lang, self.now_s(), offline=True)
        outcome.actions = [(a, s, {**d, "vision_error": reason}) for a, s, d in outcome.actions]
        step = Step(stamp, self.dialogue.turn_id)
        self.dialogue._apply(step, outcome, stamp, self.now_s())
        self.publish([step])

    def on_still(self, msg: CompressedImage) -> None:
        lang, self._capture_lang = self._capture_lang, None
        if lang is None:
            return  # a still someone else asked for: not ours to send anywhere
        jpeg, stamp = bytes(msg.data), self.stamp_s(msg.header)

        def ask():
            try:
                answer, error = self.meeting.vision(jpeg, lang), ""
            except LlmError as exc:
                answer, error = "", exc.reason
            return lambda: self._finish_vision(answer, error, lang, stamp)

        self._submit_slow(ask)  # the frame lives only in this closure: nothing is stored

    def _finish_vision(self, answer: str, error: str, lang: str, stamp: float) -> list[Step]:
        if error:
            self._answer_offline(lang, stamp, error)
            return []
        step = Step(stamp, self.dialogue.turn_id)
        self.dialogue._apply(step, self.meeting.vision_answer(answer, lang), stamp, self.now_s())
        return [step]
    def on_power_notice(self, msg: ev.PowerNotice) -> None:
        self.publish(self.dialogue.on_power_notice(msg))

    def on_music_state(self, msg: ev.MusicState) -> None:
        self.publish(self.dialogue.on_music_state(msg, self.now_s()))

    def on_media_result(self, msg: ev.MediaResult) -> None:
        self.publish(self.dialogue.on_media_result(msg, self.now_s()))

    def on_tick(self) -> None:
        if self.llm is not None:
            self._on_parsed()
        self._on_slow_done()
        if self._recovery_due is not None and time.monotonic() >= self._recovery_due:
            self.recover()
        try:
            self.publish(self.dialogue.tick(self.now_s()))
        except Exception as exc:  # a back-end hiccup must not stop time-outs from firing next tick
            self.health.error(f"tick: {type(exc).__name__}: {exc}")
            self.get_logger().error(f"tick failed: {exc!r}", throttle_duration_sec=5.0)
        self._follow_navigation()

    def _follow_navigation(self) -> None:
        """Subscribe to imu/data while navigation needs a heading, so the orientation filter idles otherwise."""
        nav = self.dialogue.navigate
        wanted = nav is not None and (nav.request is not None or nav.active is not None)
        if wanted and self._imu_sub is None:
            from sensor_msgs.msg import Imu

            self._imu_sub = self.create_subscription(Imu, "imu/data", self.on_imu, gq.profile(interfaces.SENSOR))
        elif not wanted and self._imu_sub is not None:
            self.destroy_subscription(self._imu_sub)
            self._imu_sub = None

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
                if (action, status) == ("what_is_this", "capturing"):
                    self._capture(details.get("lang", "en"), stamp)
                self.pub_action.publish(ev.Action(stamp=stamp, action=action, status=status, details=details,
                                                  turn_id=step.turn_id))  # fmt: skip
                if status in ("refused", "failed", "expired"):
                    self.health.tick(f"{action}.{status}")
            for reply in step.replies:
                self.pub_response.publish(ev.Response(stamp=stamp, text=reply.speech, lang=reply.lang,
                                                      turn_id=step.turn_id))  # fmt: skip
                if self.variant == "s1":
                    # a confirm card stays up exactly as long as the confirmation is accepted; once it is
                    # over (confirmed, cancelled, expired) the next card takes its place on the HUD, so
                    # the question does not stay in front of the answer or of a new "Listening…"
                    ttl = self.dialogue.config.confirm_timeout_s if reply.kind == "confirm" else reply.ttl_s
                    card_id = reply.card_id
                    if reply.kind == "confirm":
                        self._confirm_card_id = reply.card_id
                    elif self._confirm_card_id is not None and self.dialogue.pending is None:
                        card_id, self._confirm_card_id = self._confirm_card_id, None
                    self._publish_card(reply, stamp, card_id, ttl)
                if (self.variant == "g1" or reply.speak) and reply.speech:
                    self.pub_say.publish(ev.Say(stamp=stamp, text=reply.speech, lang=reply.lang, priority=reply.priority,
                                                interrupt=reply.kind == "confirm"))  # fmt: skip
            for topic, event in step.outbox:
                self.outbox[topic].publish(event)
                if topic == "phone/call":
                    self._route_call_audio(event)
        if steps:
            self.publish_metrics(max(s.stamp for s in steps))
            self.publish_listen_mode(max(s.stamp for s in steps))

    # -- call audio ------------------------------------------------------------------------

    def _setup_call_audio(self) -> None:
        block_ms = self.declare("call_audio_block_ms", 40, "Call audio: downlink block length (ms).", min=10, max=200)
        self._call_audio = None
        self._call_mic = self._call_timer = None
        if self._phone is not None:
            from glasses_agent.backends.call_audio import CallAudioRouter
            from glasses_agent.backends.phone import CALL_AUDIO_RATE

            self._call_audio = CallAudioRouter(self._phone, block_frames=int(CALL_AUDIO_RATE * block_ms / 1000))
            self._call_block_s = block_ms / 1000.0
            self.pub_call_audio = self.create_publisher(Image, "speaker/call", gq.for_topic("speaker/call"))

    def _route_call_audio(self, state: ev.CallState) -> None:
        """Microphone up the link and the far end to speaker/call exactly while the call is active."""
        router = self._call_audio
        if router is None:
            return
        routing = router.on_call_state(state)
        if routing and self._call_mic is None:
            self._call_mic = self.create_subscription(Image, "audio/raw", self.on_call_mic, gq.for_topic("audio/raw"))
            self._call_timer = self.create_timer(self._call_block_s, self.on_call_downlink)
            self._call_clock = (time.monotonic() - self._call_block_s, 0)  # (origin, frames sent): keep pace
        elif not routing and self._call_mic is not None:
            self.destroy_subscription(self._call_mic)
            self.destroy_timer(self._call_timer)
            self._call_mic = self._call_timer = None
        self.health.set("call_audio", "routing" if routing else "off")

    def on_call_mic(self, msg: Image) -> None:
        from glasses_bringup.foundation.ros.msgs import audio_samples

        try:
            caps, samples = audio_samples(msg)
        except ValueError as exc:  # AudioFormatError: a malformed chunk is dropped, and counted
            self.health.tick("call_audio.bad_chunk")
            self.get_logger().warning(f"call audio: dropped a malformed microphone chunk: {exc}", throttle_duration_sec=5.0)
            return
        self._call_audio.on_mic(caps, samples)

    def on_call_downlink(self) -> None:
        from glasses_bringup.foundation.audio_format import AudioCaps
        from glasses_bringup.foundation.ros.msgs import audio_msg

        router = self._call_audio
        origin, sent = self._call_clock
        due = int((time.monotonic() - origin) * router.rate) - sent
        block = router.downlink(due) if due > 0 else None
        if block is not None:
            self._call_clock = (origin, sent + block.size)
            caps = AudioCaps(rate=router.rate, channels=1, sample_format="F32LE")
            self.pub_call_audio.publish(audio_msg(caps, block.reshape(-1, 1), self.now_msg(), "speaker"))

    def publish_listen_mode(self, stamp: float, force: bool = False) -> None:
        mode = self.meeting.listen_mode()
        if force or mode != self._listen_sent:
            self._listen_sent = mode
            self.pub_listen.publish(ev.ListenMode(stamp=max(0.0, stamp), **mode))
            self.health.set("listen_mode", ",".join(k for k, v in mode.items() if v is True) or "off")

    def publish_metrics(self, stamp: float, force: bool = False) -> None:
        metrics = self.dialogue.metrics()
        if force or metrics != self._metrics_sent:
            self._metrics_sent = metrics
            self.pub_metrics.publish(ev.AgentMetrics(stamp=max(0.0, stamp), **metrics))
            for key, value in metrics.items():
                for k, v in (value.items() if isinstance(value, dict) else [("", value)]):
                    self.health.set(f"{key}.{k}" if k else key, v)

    def diagnostics_values(self) -> dict:
        values = {"pending_confirmation": self.dialogue.pending is not None, "tracked": len(self.dialogue.tracked),
                  "imu_subscribed": self._imu_sub is not None}  # fmt: skip
        maps = getattr(self, "_maps", None)
        if maps is not None:
            info = maps.map.info if maps.map is not None else None
            values["nav_map"] = "error: " + maps.error.reason if maps.error else ("loaded" if info else "not loaded")
            if info is not None:
                values["nav_map_load_s"] = f"{info.load_s:.2f}"
                values["nav_map_from_cache"] = info.from_cache
            values["navigating"] = self.dialogue.navigate.navigating
        router = getattr(self, "_call_audio", None)
        if router is not None:
            values.update({"call_audio_uplink_s": round(router.uplink_frames / router.rate, 1),
                           "call_audio_downlink_s": round(router.downlink_frames / router.rate, 1)})  # fmt: skip
        llm = self.llm
        if llm is not None:
            values["llm_calls"] = llm.calls
            values.update({f"llm_fallback.{k}": v for k, v in llm.fallbacks.items()})
        return values

    def destroy_node(self):
        if self.llm is not None:
            self._llm_worker.shutdown(wait=True, cancel_futures=True)
        self._slow.shutdown(wait=True, cancel_futures=True)
        self.notes.close()
        for store in (getattr(self, "_daily_store", None), getattr(self, "_phone", None)):
            if store is not None:
                store.close()
        saved = getattr(self, "_saved_places", None)
        if saved is not None:
            saved.close()
        close = getattr(self.backend_services, "close", None)
        if close is not None:
            close()
        return super().destroy_node()


def main(args=None):
    return run_node(AgentNode, args)
