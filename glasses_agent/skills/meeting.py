"""Meeting skills: notes, live captions (with translation), teleprompter, "what is this", read aloud.

All of them run on the continuous transcript of the captions node (perception/caption,
no wake word) and on what the vision nodes found; the dialogue manager routes their
intents, captions, taps and ticks here. ``listen_mode()`` is what the captions node
must do (published latched on agent/listen_mode). Every card claims only what was
done: "notes saved" counts the segments really committed to SQLite, the teleprompter
card shows the script loaded, a translation card shows the translation or says which
back-end is missing.
"""

from __future__ import annotations

import textwrap
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from glasses_agent import cards
from glasses_agent.cards import Reply
from glasses_agent.look import describe_offline
from glasses_agent.notes import NotesError, NotesStore, Segment, Summary, script_from_markdown, summarize_extractive
from glasses_agent.skills.base import Outcome
from glasses_agent.teleprompter import Teleprompter, TeleprompterConfig
from glasses_agent.translate import Translator, lang_name

MEETING_INTENTS = ("start_notes", "stop_notes", "summarize_notes", "start_subtitles", "stop_subtitles",
                   "teleprompter", "translate", "what_is_this", "read_text")  # fmt: skip


class SubtitleBoard:
    """Rolling subtitles: the last ``rows`` HUD lines of recent finals plus the partial being spoken."""

    def __init__(self, width: int = 32, rows: int = 2, keep: int = 4):
        self.width = width
        self.rows = rows
        self.finals: deque[str] = deque(maxlen=keep)
        self.partial: tuple[int, str] | None = None

    def update(self, text: str, final: bool, utterance_id: int) -> list[str]:
        if final:
            self.finals.append(text.strip())
            self.partial = None
        else:
            self.partial = (utterance_id, text.strip())
        return self.lines()

    def lines(self) -> list[str]:
        parts = list(self.finals) + ([self.partial[1]] if self.partial else [])
        wrapped: list[str] = []
        for part in parts:
            if any("\u4e00" <= c <= "\u9fff" for c in part):
                step = self.width // 2  # a Chinese character is two columns wide
                wrapped += [part[i : i + step] for i in range(0, len(part), step)]
            else:
                wrapped += textwrap.wrap(part, self.width) or []
        return wrapped[-self.rows :]

    def clear(self) -> None:
        self.finals.clear()
        self.partial = None


@dataclass
class MeetingConfig:
    variant: str = "s1"  # g1 has no display
    subtitle_width: int = 32
    teleprompter: TeleprompterConfig = field(default_factory=TeleprompterConfig)
    teleprompter_script: str = ""  # file path of the default script
    read_back_segments: int = 3


class MeetingSkill:
    def __init__(
        self,
        store: NotesStore,
        config: MeetingConfig | None = None,
        summarizer: Callable[[list[Segment]], Summary] | None = None,
        translator: Translator | None = None,
        vision: Callable[[bytes, str], str] | None = None,
    ):
        self.store = store
        self.config = config or MeetingConfig()
        self.summarizer = summarizer or summarize_extractive
        self.translator = translator or Translator(speech_translate_offline=False)
        self.vision = vision  # a VisionAnswerer when a vision endpoint is configured
        self.meeting_id: int | None = None
        self.segments_saved = 0
        self.captions = False
        self.speak_captions = False  # G1: captions spoken only when asked
        self.target_lang = ""
        self.board = SubtitleBoard(self.config.subtitle_width)
        self.prompter: Teleprompter | None = None
        self.seen: dict = {}  # newest vision findings: product, code, text (with their agent-clock time)
        self.lang = "en"  # of the last meeting request
        self.prepared_summary: Summary | None = None  # made off the executor by the node (LLM)

    @property
    def s1(self) -> bool:
        return self.config.variant != "g1"

    def listen_mode(self) -> dict:
        return {"captions": self.captions, "notes": self.meeting_id is not None,
                "teleprompter": self.prompter is not None and not self.prompter.paused,
                "target_lang": self.target_lang if self.captions else "", "lang": self.lang}  # fmt: skip

    # -- intents --------------------------------------------------------------------

    def handle(self, intent: str, slots: dict, lang: str, now: float, wall: float | None = None) -> Outcome:
        self.lang = lang if lang in ("en", "zh") else "en"
        if intent == "start_notes":
            return self.start_notes(lang, wall)
        if intent == "stop_notes":
            return self.stop_notes(lang, wall)
        if intent == "summarize_notes":
            return self.summarize(lang, slots)
        if intent == "start_subtitles":
            return self.start_captions(slots, lang)
        if intent == "stop_subtitles":
            return self.stop_captions(lang)
        if intent == "teleprompter":
            return self.open_teleprompter(slots, lang)
        if intent == "translate":
            return self.translate(slots, lang)
        if intent == "what_is_this":
            return self.what_is_this(lang, now)
        if intent == "read_text":
            return self.read_text(lang, now)
        raise ValueError(f"not a meeting intent: {intent}")

    def start_notes(self, lang: str, wall: float | None = None) -> Outcome:
        if self.meeting_id is not None:
            return Outcome(replies=[cards.reply("notes_already", lang, segments=self.segments_saved)])
        self.meeting_id = self.store.start_meeting(lang, started=wall)
        self.segments_saved = 0
        return Outcome(replies=[cards.reply("notes_started", lang)],
                       actions=[("start_notes", "started", {"meeting_id": self.meeting_id})], completed=True)  # fmt: skip

    def stop_notes(self, lang: str, wall: float | None = None) -> Outcome:
        if self.meeting_id is None:
            return Outcome(replies=[cards.reply("notes_not_running", lang)], actions=[("stop_notes", "not_running", {})])
        meeting_id, self.meeting_id = self.meeting_id, None
        self.store.end_meeting(meeting_id, wall)
        stored = len(self.store.segments(meeting_id))  # what is really on disk, not a counter
        return Outcome(replies=[cards.reply("notes_saved", lang, segments=stored, meeting_id=meeting_id)],
                       actions=[("stop_notes", "saved", {"meeting_id": meeting_id, "segments": stored})],
                       completed=True)  # fmt: skip

    def summarize(self, lang: str, slots: dict | None = None) -> Outcome:
        try:
            meeting = self.store.meeting(self.meeting_id)
        except NotesError:
            return Outcome(replies=[cards.reply("no_notes", lang)], actions=[("summarize_notes", "no_notes", {})],
                           failed=True)  # fmt: skip
        segments = self.store.segments(meeting.meeting_id)
        if not segments:
            return Outcome(replies=[cards.reply("no_notes", lang)],
                           actions=[("summarize_notes", "empty", {"meeting_id": meeting.meeting_id})], failed=True)  # fmt: skip
        summary, self.prepared_summary = self.prepared_summary, None
        summary = summary or self.summarizer(segments)
        self.store.save_summary(meeting.meeting_id, summary)
        lines = [*summary.overview[:2]] + [f"✓ {d}" for d in summary.decisions[:3]] + [f"→ {a}" for a in summary.action_items[:3]]
        readback = " ".join(summary.decisions[:3] + summary.action_items[:3])  # read back, not only counted
        card = cards.reply("notes_summary", lang, decisions=len(summary.decisions), actions=len(summary.action_items),
                           backend=summary.backend, lines=lines or [s.text for s in segments[-3:]])  # fmt: skip
        cards.spoken(card, f"{card.speech} {readback}")
        return Outcome(replies=[card], actions=[("summarize_notes", "done", {
            "meeting_id": meeting.meeting_id, "backend": summary.backend, "decisions": summary.decisions,
            "action_items": summary.action_items, "segments": len(segments)})], completed=True)  # fmt: skip

    def start_captions(self, slots: dict, lang: str) -> Outcome:
        self.captions = True
        # G1 has no display: asking for captions there is asking to hear them (finals only)
        self.speak_captions = bool(slots.get("speak")) or not self.s1
        self.board.clear()
        target = slots.get("target_lang") or ""
        replies = [cards.reply("captions_on", lang)]
        if target:
            replies += self._set_target(target, slots.get("source_lang") or "", lang)
        if not self.s1:
            replies = [cards.reply("captions_no_display", lang)] + replies[1:]
        return Outcome(replies=replies, actions=[("start_subtitles", "started", {"target_lang": self.target_lang,
                                                                                 "spoken": self.speak_captions})],
                       completed=True)  # fmt: skip

    def stop_captions(self, lang: str) -> Outcome:
        if not self.captions:
            return Outcome(replies=[cards.reply("captions_not_running", lang)], actions=[("stop_subtitles", "not_running", {})])
        self.captions = False
        self.target_lang = ""
        self.board.clear()
        return Outcome(replies=[cards.reply("captions_off", lang)], actions=[("stop_subtitles", "stopped", {})],
                       completed=True)  # fmt: skip

    def _set_target(self, target: str, source: str, lang: str) -> list[Reply]:
        self.target_lang = target
        plan = self.translator.plan(source, target, speech=True)
        if plan.backend == "none":
            return [cards.reply("translation_unavailable", lang, pair=self.pair_name(source, target, lang))]
        return [cards.reply("captions_translated", lang, target=lang_name(target, lang), backend=plan.backend)]

    @staticmethod
    def pair_name(source: str, target: str, lang: str) -> str:
        """"English → Chinese" in the wearer's language; an unknown source is "other languages"."""
        src = lang_name(source, lang) if source else ("其他语言" if lang == "zh" else "other languages")
        return f"{src} → {lang_name(target, lang)}"

    def translate(self, slots: dict, lang: str) -> Outcome:
        target = slots.get("target_lang") or ("en" if lang == "zh" else "zh")
        if self.captions:  # "translate into English" while captions run: translate the subtitles
            return Outcome(replies=self._set_target(target, slots.get("source_lang") or "", lang),
                           actions=[("translate", "captions", {"target_lang": target})], completed=True)  # fmt: skip
        text = slots.get("text") or " ".join(self.seen.get("text", {}).get("lines", []))
        if not text:
            return Outcome(replies=[cards.reply("look_at_text", lang)], actions=[("translate", "no_text", {})], failed=True)
        translated, backend = self.translator.text(text, target)
        if translated is None:
            return Outcome(replies=[cards.reply("translation_unavailable", lang, pair=f"→ {lang_name(target, lang)}",
                                                lines=[text[:80]])],
                           actions=[("translate", "unavailable", {"reason": backend, "target_lang": target})],
                           failed=True)  # fmt: skip
        card = cards.reply("translation", lang, target=lang_name(target, lang), text=translated, lines=[text])
        return Outcome(replies=[cards.spoken(card, translated)],
                       actions=[("translate", "done", {"target_lang": target, "backend": backend})], completed=True)  # fmt: skip

    def open_teleprompter(self, slots: dict, lang: str) -> Outcome:
        if not self.s1:
            return Outcome(replies=[cards.reply("teleprompter_no_display", lang)],
                           actions=[("teleprompter", "no_display", {})], failed=True)  # fmt: skip
        source = slots.get("script") or self.config.teleprompter_script
        if slots.get("from_notes"):
            return self.load_script_from_notes(lang)
        if not source:
            return Outcome(replies=[cards.reply("teleprompter_no_script", lang)],
                           actions=[("teleprompter", "no_script", {})], failed=True)  # fmt: skip
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return Outcome(replies=[cards.reply("teleprompter_bad_script", lang, reason=type(exc).__name__)],
                           actions=[("teleprompter", "bad_script", {"path": str(source), "error": str(exc)[:80]})],
                           failed=True)  # fmt: skip
        return self.load_script(text, lang, Path(source).name)

    def load_script_from_notes(self, lang: str) -> Outcome:
        try:
            meeting = self.store.meeting(None)
        except NotesError:
            return Outcome(replies=[cards.reply("no_notes", lang)], actions=[("teleprompter", "no_notes", {})], failed=True)
        text = "\n".join(s.text for s in self.store.segments(meeting.meeting_id))
        return self.load_script(text, lang, meeting.title)

    def load_script(self, text: str, lang: str, title: str = "") -> Outcome:
        """Load a script (file contents, a notes export or a service call)."""
        if text.lstrip().startswith("#"):
            text = "\n".join(script_from_markdown(text))
        try:
            self.prompter = Teleprompter.from_text(text, self.config.teleprompter, title)
        except ValueError as exc:
            return Outcome(replies=[cards.reply("teleprompter_bad_script", lang, reason=str(exc))],
                           actions=[("teleprompter", "bad_script", {"error": str(exc)})], failed=True)  # fmt: skip
        p = self.prompter
        return Outcome(replies=[self.prompter_card(lang)],
                       actions=[("teleprompter", "loaded", {"title": title, "lines": len(p.lines), "words": len(p.words),
                                                            "mode": p.config.mode})], completed=True)  # fmt: skip

    def prompter_card(self, lang: str) -> Reply:
        p = self.prompter
        state = cards.word("paused", lang) if p.paused else ""
        reply = cards.reply("teleprompter", lang, line=p.line + 1, total=len(p.lines), state=state, lines=p.visible())
        reply.card_id = "teleprompter"  # each update replaces the card on the HUD
        return reply

    def close_teleprompter(self, lang: str) -> Outcome:
        self.prompter = None
        return Outcome(replies=[cards.reply("teleprompter_closed", lang)], actions=[("teleprompter", "closed", {})])

    def what_is_this(self, lang: str, now: float, memory_s: float = 10.0, offline: bool = False) -> Outcome:
        """With a vision endpoint: ask the node for a capture ("capturing"); else (or ``offline``)
        an answer from the findings in view."""
        if self.vision is not None and not offline:
            return Outcome(replies=[cards.reply("looking", lang)], actions=[("what_is_this", "capturing", {"lang": lang})])
        fresh = {k: v for k, v in self.seen.items() if now - v.get("at", -1e9) <= memory_s}
        found = describe_offline({"product": fresh.get("product"), "code": fresh.get("code"),
                                  "text": fresh.get("text", {}).get("lines")})  # fmt: skip
        if found is None:
            return Outcome(replies=[cards.reply("cannot_tell_offline", lang)],
                           actions=[("what_is_this", "unknown", {"backend": "offline"})], failed=True)  # fmt: skip
        what, detail = found
        if what in ("payment QR code", "product barcode", "QR code", "text") and lang == "zh":
            what = {"payment QR code": "付款码", "product barcode": "商品条形码", "QR code": "二维码", "text": "文字"}[what]
        return Outcome(replies=[cards.reply("seen", lang, what=what, detail=detail)],
                       actions=[("what_is_this", "done", {"backend": "offline", "what": what, "detail": detail})],
                       completed=True)  # fmt: skip

    def vision_answer(self, answer: str, lang: str) -> Outcome:
        return Outcome(replies=[cards.spoken(cards.reply("vision_answer", lang, answer=answer), answer)],
                       actions=[("what_is_this", "done", {"backend": "vision_llm", "answer": answer[:200]})],
                       completed=True)  # fmt: skip

    def read_text(self, lang: str, now: float, memory_s: float = 10.0) -> Outcome:
        text = self.seen.get("text")
        if not text or now - text.get("at", -1e9) > memory_s or not text.get("lines"):
            return Outcome(replies=[cards.reply("look_at_text", lang)], actions=[("read_text", "no_text", {})], failed=True)
        lines = text["lines"]
        spoken_lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in "".join(lines)) else "en"
        reply = cards.spoken(cards.reply("read_text", spoken_lang, lines=lines[:4]), " ".join(lines))
        return Outcome(replies=[reply], actions=[("read_text", "done", {"lang": spoken_lang, "lines": len(lines)})],
                       completed=True)  # fmt: skip

    # -- streams --------------------------------------------------------------------

    def needs_translation(self, lang: str, task: str) -> bool:
        return bool(self.captions and self.target_lang and task != "translate" and lang != self.target_lang)

    def on_caption(self, text: str, final: bool, speaker: str, lang: str, utterance_id: int, audio_start: float,
                   audio_end: float, task: str = "transcribe", translation: str | None = None) -> list[Reply]:  # fmt: skip
        """A continuous transcript update: stored (notes), shown (captions), followed (teleprompter).
        ``translation``: the caption already translated (the node asks the LLM off the executor)."""
        replies: list[Reply] = []
        text = text.strip()
        if not text:
            return replies
        if final and self.meeting_id is not None:
            self.store.add_segment(Segment(self.meeting_id, audio_start, audio_end, speaker, text, lang))
            self.segments_saved += 1
        if self.prompter is not None and speaker != "other":
            if self.prompter.heard(text, utterance_id, final, audio_end):
                replies.append(self.prompter_card(self.prompter_lang(lang)))
        if self.captions and speaker != "wearer":
            shown, untranslated = text, False
            if self.needs_translation(lang, task):
                if not final:
                    return replies  # an untranslated partial would be replaced by the translation anyway
                if translation is None:
                    translation, _ = self.translator.text(text, self.target_lang, lang)
                untranslated = translation is None and self.translator.llm is None  # no back-end for this pair
                shown = translation or text
            lines = self.board.update(shown, final, utterance_id)
            if self.s1 or (self.speak_captions and final):  # G1 speaks finals only, when asked
                if untranslated:  # the original text, and the HUD says plainly why, in the wearer's language
                    reply = cards.reply("subtitle_untranslated", self.lang, lines=lines,
                                        pair=self.pair_name(lang, self.target_lang, self.lang))  # fmt: skip
                    reply = cards.spoken(reply, shown)
                    reply.lang = lang if lang in ("en", "zh") else reply.lang  # read out in the text's own voice
                else:
                    reply = cards.spoken(cards.reply("subtitle", self.target_lang or lang, lines=lines), shown)
                reply.card_id = "subtitles"  # rolling: each update replaces the card
                reply.speak = bool(self.speak_captions and final)
                replies.append(reply)
        return replies

    def prompter_lang(self, lang: str) -> str:
        return lang if lang in ("en", "zh") else "en"

    def on_tap(self, lang: str) -> list[Reply]:
        if self.prompter is None:
            return []
        self.prompter.toggle_pause()
        return [self.prompter_card(lang)]

    def on_swipe(self, delta: int, lang: str) -> list[Reply]:
        if self.prompter is None:
            return []
        self.prompter.move_lines(delta)
        return [self.prompter_card(lang)]

    def tick(self, now: float, lang: str) -> list[Reply]:
        if self.prompter is not None and self.prompter.tick(now):
            return [self.prompter_card(lang)]
        return []

    def saw(self, kind: str, value: dict, now: float) -> None:
        self.seen[kind] = {**value, "at": now}
