"""Intent understanding through any OpenAI-compatible chat endpoint, with tool calling.

``LlmIntentParser`` sends the utterance to ``{base_url}/chat/completions`` (Qwen's
OpenAI-compatible API, vLLM, llama.cpp server, Ollama ...) with one tool per intent,
generated from ``intent_registry`` (the slots are the typed parameters), so every
intent the offline parser knows is reachable; a call of the older single
``set_intent(intent, slots)`` tool is still understood. The key is read from
the environment variable named by ``api_key_env`` at call time and sent only in the
Authorization header (https unless the endpoint is on this machine; never to another
origin a redirect points to: ``secure_http``); it is never logged or put in an event. Any failure (time-out,
connection refused, HTTP error, no tool call, unknown intent, malformed arguments)
falls back to the offline parser, and the reason is counted.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable

from glasses_agent import intent_registry, intents, secure_http
from glasses_agent.intents import INTENTS, ParseResult

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You turn one command spoken to smart glasses (English or Chinese) into exactly one tool call: "
    "the tool named after the wearer's intent, with only the slots the wearer actually said. "
    "Use the tool 'unknown' for chit-chat, noise, half sentences or anything no other tool fits."
)


def tool_request_fields() -> dict:
    """The request fields that offer every intent as a tool (generated from the registry)."""
    return {"tools": intent_registry.tools(), "tool_choice": "required"}


class LlmError(RuntimeError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def chat_completion(url: str, body: dict, api_key_env: str, timeout_s: float, max_bytes: int = 1 << 20) -> dict:
    """POST ``body`` to an OpenAI-compatible ``/chat/completions`` URL; the JSON answer, or LlmError.

    The key is read from ``api_key_env`` at call time and sent only in the Authorization header;
    ``url`` must have passed ``secure_http.require_secure_url`` (the callers check it). Shared by the
    intent parser, the notes summarizer, the translator and "what is this".
    """
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(api_key_env, "") if api_key_env else ""
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, json.dumps(body).encode("utf-8"), headers, method="POST")
    try:
        with secure_http.urlopen(request, timeout=timeout_s) as response:
            return json.loads(response.read(max_bytes).decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise LlmError(f"http_{exc.code}") from None
    except TimeoutError:
        raise LlmError("timeout") from None
    except secure_http.InsecureRedirect:
        raise LlmError("insecure_redirect") from None
    except urllib.error.URLError as exc:
        raise LlmError("timeout" if isinstance(exc.reason, (TimeoutError, socket.timeout)) else "unreachable") from None
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        raise LlmError("bad_response") from None


def message_text(doc: dict) -> str:
    """The assistant's text of a chat completion answer, or LlmError("no_content")."""
    try:
        content = doc["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LlmError("no_content") from None
    if not isinstance(content, str) or not content.strip():
        raise LlmError("no_content")
    return content.strip()


class LlmIntentParser:
    """Callable like ``intents.parse``; results carry backend "llm" or "offline" (fallback)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = "GLASSES_LLM_API_KEY",
        timeout_s: float = 3.0,
        fallback: Callable[[str, str | None], ParseResult] = intents.parse,
    ):
        self.url = secure_http.require_secure_url(base_url.rstrip("/") + "/chat/completions", "llm_url")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.fallback = fallback
        self.fallbacks: Counter[str] = Counter()
        self.calls = 0

    def __call__(self, utterance: str, lang: str | None = None) -> ParseResult:
        self.calls += 1
        try:
            return self._ask(utterance, lang)
        except LlmError as exc:
            self.fallbacks[exc.reason] += 1
            log.warning("LLM intent parsing failed (%s); using the offline parser", exc.reason)
            result = self.fallback(utterance, lang)
            result.backend = "offline"
            return result

    def _ask(self, utterance: str, lang: str | None) -> ParseResult:
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": utterance}],
            **tool_request_fields(),
            "temperature": 0,
        }
        doc = chat_completion(self.url, body, self.api_key_env, self.timeout_s)
        return self._result(doc, utterance, lang)

    def _result(self, doc: dict, utterance: str, lang: str | None) -> ParseResult:
        return result_from_completion(doc, utterance, lang)


def result_from_completion(doc: dict, utterance: str, lang: str | None) -> ParseResult:
    """ParseResult of a chat completion whose message calls an intent tool (or set_intent); LlmError if not."""
    try:
        message = doc["choices"][0]["message"]
        call = next(c for c in message.get("tool_calls") or [] if isinstance(c, dict) and "function" in c)
        name = call["function"]["name"]
        args = call["function"].get("arguments") or {}
        args = json.loads(args) if isinstance(args, str) else args
    except (KeyError, IndexError, TypeError, StopIteration, json.JSONDecodeError):
        raise LlmError("no_tool_call") from None
    if not isinstance(args, dict):
        raise LlmError("bad_slots")
    if name == "set_intent":  # the single-tool form: {"intent": ..., "slots": {...}}
        intent, slots, allowed = args.get("intent"), args.get("slots") or {}, None
    else:
        intent = name
        slots = {k: v for k, v in args.items() if k != "confidence"}
        allowed = intent_registry.INTENTS.get(intent, (None, None, None, ()))[3]
    if intent not in INTENTS:
        raise LlmError("unknown_intent")
    if not isinstance(slots, dict):
        raise LlmError("bad_slots")
    slots = _typed_slots(slots)
    if allowed is not None:
        slots = {k: v for k, v in slots.items() if k in allowed and _in_enum(k, v)}
    try:
        confidence = min(1.0, max(0.0, float(args.get("confidence", 0.8))))
    except (TypeError, ValueError):
        confidence = 0.8
    if intent == "unknown":
        slots, confidence = {}, 0.0
    return ParseResult(intent, slots, confidence, lang or intents.detect_lang(utterance), utterance, "llm", path="llm")


def _in_enum(slot: str, value) -> bool:
    allowed = intent_registry.SLOTS.get(slot, {}).get("enum")
    return allowed is None or value in allowed


NUMERIC_SLOTS = {"amount": float, "quantity": int, "level": int}


def _typed_slots(raw: dict) -> dict:
    """Slots with the offline parser's types; values a model got wrong ("two", NaN, lists) are dropped."""
    slots = {}
    for key, value in raw.items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or value == "":
            continue
        if key in NUMERIC_SLOTS:
            try:
                number = NUMERIC_SLOTS[key](float(value))
            except (TypeError, ValueError, OverflowError):
                continue
            if number != number or number < 0:  # NaN or negative
                continue
            value = number
        elif key == "currency":
            value = str(value).upper()
        slots[str(key)] = value
    return slots
