"""Typed, validated events that travel as std_msgs/String JSON.

A repository whose root is a ROS package cannot also hold a .msg package, so the
low-rate semantic events of the stack are JSON documents with a schema name and
version, defined here once. Every event carries ``stamp``: the time (seconds,
ROS clock) of the sensor data it came from, so latency can be measured from a bag.

``decode`` never raises anything but EventError, whose ``reason`` is short and
countable; nodes count, log and drop such messages instead of crashing.
"""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from glasses_bringup.foundation.errors import ReasonError


class EventError(ReasonError, ValueError):
    """A message that is not a valid event; ``reason`` is a short, countable label."""


class Event(BaseModel):
    """Base of every event. ``SCHEMA`` and ``VERSION`` name the document type."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    SCHEMA: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    stamp: float = Field(description="ROS time (s) of the sensor data this event came from")
    source: str = Field(default="", description="node that produced the event")

    @field_validator("stamp")
    @classmethod
    def _finite_stamp(cls, v: float) -> float:
        if not math.isfinite(v) or v < 0:
            raise ValueError("stamp must be a finite, non-negative time in seconds")
        return v


REGISTRY: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    if not cls.SCHEMA or cls.SCHEMA in REGISTRY:
        raise RuntimeError(f"event schema name missing or duplicated: {cls.SCHEMA!r}")
    REGISTRY[cls.SCHEMA] = cls
    return cls


# --- input -------------------------------------------------------------------------


@register
class Touch(Event):
    SCHEMA: ClassVar[str] = "touch"
    gesture: Literal["tap", "double_tap", "long_press", "swipe_forward", "swipe_back"]
    side: Literal["right", "left", "ring"] = "right"


@register
class HeadGesture(Event):
    SCHEMA: ClassVar[str] = "head_gesture"
    gesture: Literal["nod", "shake"]
    confidence: float = Field(ge=0.0, le=1.0, default=1.0)


@register
class Button(Event):
    SCHEMA: ClassVar[str] = "button"
    button: int = Field(ge=0, le=255, default=0, description="button id on the frame (0: the temple button)")
    action: Literal["press", "release", "long_press"]


@register
class Hinge(Event):
    SCHEMA: ClassVar[str] = "hinge"
    state: Literal["folded", "open"]


# --- perception --------------------------------------------------------------------


@register
class Vad(Event):
    SCHEMA: ClassVar[str] = "vad"
    state: Literal["start", "end"]
    speech_start: float = Field(description="audio stamp (s) where speech began")
    speech_end: float | None = Field(default=None, description="audio stamp (s) where speech ended")
    probability: float = Field(ge=0.0, le=1.0, default=1.0)


@register
class Wake(Event):
    SCHEMA: ClassVar[str] = "wake"
    reason: Literal["wake_word", "touch", "follow_up"]
    phrase: str = ""
    score: float = Field(ge=0.0, le=1.0, default=1.0)


@register
class Transcript(Event):
    SCHEMA: ClassVar[str] = "transcript"
    text: str
    final: bool
    lang: str = "en"
    audio_start: float = Field(description="audio stamp (s) of the first transcribed sample")
    audio_end: float = Field(description="audio stamp (s) of the last transcribed sample")
    latency_ms: float = Field(ge=0.0, description="end of audio -> transcript processing time")
    engine: str = ""
    utterance_id: int = 0
    at_pause: bool = Field(
        default=False,
        description="a partial decoded at a pause in speech: the final follows unless the wearer speaks on, with "
        "this text or a surer decode's (a provisional card may show it, nothing may act on it)",
    )


class Corner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: float
    y: float


@register
class Code(Event):
    SCHEMA: ClassVar[str] = "code"
    symbology: str = Field(description="QR_CODE, EAN_13, UPC_A, ...")
    text: str
    kind: Literal["payment", "product", "other"]
    corners: list[Corner] = Field(default_factory=list)
    payment: dict[str, Any] | None = Field(default=None, description="parsed payment payload")
    payment_error: str | None = Field(default=None, description="why a payment-looking payload was refused")
    gtin: str | None = Field(default=None, description="13-digit product number of EAN/UPC codes")


@register
class Caption(Event):
    """Continuous transcription for captions, notes and the teleprompter (no wake word)."""

    SCHEMA: ClassVar[str] = "caption"
    text: str
    final: bool
    lang: str = Field(default="en", description="language of ``text`` (en after a translate task)")
    spoken_lang: str = Field(default="", description="language that was spoken, when known")
    task: Literal["transcribe", "translate"] = "transcribe"
    speaker: Literal["wearer", "other", "unknown"] = "unknown"
    level_dbfs: float = Field(le=0.0, default=-90.0, description="speech level of the segment (loudness heuristic)")
    audio_start: float = Field(description="audio stamp (s) of the first transcribed sample")
    audio_end: float = Field(description="audio stamp (s) of the last transcribed sample")
    latency_ms: float = Field(ge=0.0, description="end of audio -> caption processing time")
    utterance_id: int = 0


class TextLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    box: list[Corner] = Field(default_factory=list)
    score: float = Field(ge=0.0, le=1.0, default=1.0)


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: float = Field(ge=0.0)
    currency: str
    text: str


@register
class Text(Event):
    SCHEMA: ClassVar[str] = "text"
    lines: list[TextLine]
    prices: list[Price] = Field(default_factory=list)
    latency_ms: float = Field(ge=0.0, default=0.0)
    request_id: str = Field(default="", description="TextRequest.request_id this answers; empty if unrequested")
    trigger: str = Field(default="", description="request or stable_frame")


@register
class TextRequest(Event):
    """Ask the text reader for one OCR pass on the newest frame (stamp: time of asking)."""

    SCHEMA: ClassVar[str] = "text_request"
    request_id: str = ""
    reason: str = Field(default="", description="what the text is wanted for, e.g. price_compare")


@register
class Product(Event):
    SCHEMA: ClassVar[str] = "product"
    product_id: str
    name: str
    confidence: float = Field(ge=0.0, le=1.0)
    accepted: bool
    corners: list[Corner] = Field(default_factory=list, description="product outline in the frame")


# --- agent -------------------------------------------------------------------------


@register
class Intent(Event):
    SCHEMA: ClassVar[str] = "intent"
    intent: str
    slots: dict[str, Any] = Field(default_factory=dict)
    confidence: float = Field(ge=0.0, le=1.0)
    utterance: str = ""
    lang: str = "en"
    backend: str = "offline"
    turn_id: int = 0


@register
class Response(Event):
    SCHEMA: ClassVar[str] = "response"
    text: str
    lang: str = "en"
    turn_id: int = 0


@register
class Action(Event):
    SCHEMA: ClassVar[str] = "action"
    action: str
    status: str
    details: dict[str, Any] = Field(default_factory=dict)
    turn_id: int = 0


@register
class ListenMode(Event):
    """What the continuous listener (captions node) should do: any flag on keeps it transcribing."""

    SCHEMA: ClassVar[str] = "listen_mode"
    captions: bool = False
    notes: bool = False
    teleprompter: bool = False
    target_lang: str = Field(default="", description="caption translation target (ISO 639-1); empty = none")
    lang: str = Field(default="en", description="the wearer's language (for cards about listening)")


@register
class AgentMetrics(Event):
    SCHEMA: ClassVar[str] = "agent_metrics"
    rounds: int = Field(ge=0)
    completions: int = Field(ge=0)
    failures: int = Field(ge=0, default=0)
    proactive: dict[str, int] = Field(default_factory=dict, description="proactive prompts: <kind>.offered/shown/dismissed/expired")
    tasks: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="per intent: done, failed, cancelled, open, rounds_mean, time_s_mean, touches")


CARD_CLEAR = "clear"  # Card.kind that removes the live card with its card_id
CARD_HEARD = "heard"  # Card.kind of the provisional card at a pause (what was heard, nothing done)
PROVISIONAL_CARD_KINDS = (CARD_HEARD, CARD_CLEAR)  # shown or taken down by the timing of a pause decode


@register
class Card(Event):
    SCHEMA: ClassVar[str] = "card"
    card_id: str
    kind: str = Field(
        description="info, warning, confirm, subtitle, navigation, heard (provisional: what was heard, nothing "
        "done yet), ...; clear removes the live card with this card_id"
    )
    title: str
    body: str = ""
    lines: list[str] = Field(default_factory=list)
    ttl_s: float = Field(gt=0.0, default=5.0)
    priority: int = Field(ge=0, le=9, default=5)
    lang: str = "en"
    image: str = Field(default="", description="path of a small JPEG (e.g. a photo's thumbnail) the HUD draws")


@register
class MediaRequest(Event):
    """Ask the media recorder for a capture: the only way camera frames reach the disk."""

    SCHEMA: ClassVar[str] = "media_request"
    request_id: str = Field(min_length=1, max_length=64)
    action: Literal["photo", "video_start", "video_stop"]


@register
class MediaResult(Event):
    SCHEMA: ClassVar[str] = "media_result"
    request_id: str
    action: Literal["photo", "video_start", "video_stop"]
    status: Literal["saved", "recording", "refused", "failed"]
    reason: str = ""
    path: str = ""
    thumbnail: str = ""
    bytes: int = Field(ge=0, default=0)
    width: int = Field(ge=0, default=0)
    height: int = Field(ge=0, default=0)
    frames: int = Field(ge=0, default=0)
    duration_s: float = Field(ge=0.0, default=0.0)


@register
class CallState(Event):
    """The phone call the glasses carry (latched): music ducks while one rings or is up."""

    SCHEMA: ClassVar[str] = "call_state"
    state: Literal["idle", "ringing", "dialing", "active"]
    contact: str = ""
    call_id: int = 0


@register
class MusicCommand(Event):
    SCHEMA: ClassVar[str] = "music_command"
    request_id: str = Field(min_length=1, max_length=64)
    command: Literal["play", "pause", "next", "volume"]
    query: str = ""
    level: int | None = Field(default=None, ge=0, le=100)


@register
class MusicState(Event):
    """The music player's state after a command (or a track change); latched."""

    SCHEMA: ClassVar[str] = "music_state"
    request_id: str = ""
    state: Literal["playing", "paused", "stopped"]
    title: str = ""
    artist: str = ""
    path: str = ""
    volume: int = Field(ge=0, le=100)
    ducked: bool = False
    queue_left: int = Field(ge=0, default=0)
    reason: str = Field(default="", description="why a command was refused (empty_library, no_match, ...)")


@register
class Say(Event):
    SCHEMA: ClassVar[str] = "say"
    text: str = Field(min_length=1)
    lang: str = "en"
    priority: int = Field(ge=0, le=9, default=5)
    interrupt: bool = False


@register
class SpeakerState(Event):
    SCHEMA: ClassVar[str] = "speaker_state"
    state: Literal["speaking", "idle", "interrupted"]
    text: str = ""


# --- power and simulation ----------------------------------------------------------


class PackState(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slot: Literal["left", "right"]
    present: bool
    soc: float | None = Field(default=None, ge=0.0, le=1.0)


@register
class PowerState(Event):
    SCHEMA: ClassVar[str] = "power_state"
    mode: Literal["normal", "saver", "critical"]
    soc: float = Field(ge=0.0, le=1.0)
    runtime_left_h: float = Field(ge=0.0)
    load_w: float = Field(ge=0.0)
    swap_state: Literal["both", "left_only", "right_only", "none"]
    packs: list[PackState] = Field(default_factory=list)
    reason: str = ""


@register
class PowerNotice(Event):
    """Facts the wearer should hear about power; the agent words them (cards, speech, language)."""

    SCHEMA: ClassVar[str] = "power_notice"
    kind: Literal["battery_low", "request_refused", "listening_cost"]
    soc: float | None = Field(default=None, ge=0.0, le=1.0)
    runtime_left_h: float = Field(default=0.0, ge=0.0, description="battery_low: at the present load; "
                                  "listening_cost: while transcribing")
    packs_present: int = Field(default=0, ge=0, le=2)
    group: str = Field(default="", description="request_refused: the parked group asked for (vision, asr)")
    remaining_wh: float = Field(default=0.0, ge=0.0)
    extra_w: float = Field(default=0.0, ge=0.0, description="extra draw of the activity (W)")
    meeting_h: float = Field(default=0.0, ge=0.0)
    enough: bool = True
    lang: str = Field(default="", description="language of the request, if any; empty = the wearer's")


@register
class ScenarioEvent(Event):
    SCHEMA: ClassVar[str] = "scenario_event"
    at: float = Field(ge=0.0, description="scenario time (s)")
    kind: str
    details: dict[str, Any] = Field(default_factory=dict)


# --- codec -------------------------------------------------------------------------

MAX_EVENT_BYTES = 256 * 1024


def encode(event: Event) -> str:
    """JSON text of an event with its schema name and version first."""
    body = event.model_dump(mode="json")
    return json.dumps({"schema": event.SCHEMA, "v": event.VERSION, **body}, ensure_ascii=False)


def decode(text: str | bytes, expected: type[Event] | None = None) -> Event:
    """Parse and validate an event; raise EventError with a countable reason."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError("not_utf8", str(exc)) from None
    if len(text) > MAX_EVENT_BYTES:
        raise EventError("too_large", f"{len(text)} bytes")
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise EventError("not_json", str(exc)[:120]) from None
    if not isinstance(doc, dict):
        raise EventError("not_object", type(doc).__name__)
    schema = doc.pop("schema", None)
    version = doc.pop("v", None)
    cls = REGISTRY.get(schema) if isinstance(schema, str) else None
    if cls is None:
        raise EventError("unknown_schema", repr(schema)[:60])
    if expected is not None and cls is not expected:
        raise EventError("wrong_schema", f"got {schema}, expected {expected.SCHEMA}")
    if version != cls.VERSION:
        raise EventError("wrong_version", f"{schema} v{version}, supported v{cls.VERSION}")
    try:
        return cls.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise EventError("invalid_fields", f"{schema}.{where}: {first.get('msg')}") from None
