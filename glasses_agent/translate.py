"""Translation for captions and signs: which pair is served how, and the LLM back-end.

- speech in any language -> English: Whisper's translate task in the captions node
  (offline, needs a multilingual Whisper model there);
- every other pair, and all text (a sign's OCR text): an OpenAI-compatible LLM
  endpoint when configured (Qwen, vLLM, Ollama, llama.cpp server);
- nothing else is served offline: no shipped model translates text here (see
  docs/agent.md), and ``plan`` says so instead of pretending.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasses_agent import secure_http
from glasses_agent.llm import LlmError, chat_completion, message_text

LANG_NAMES = {"en": ("English", "英文"), "zh": ("Chinese", "中文"), "ja": ("Japanese", "日文"), "ko": ("Korean", "韩文"),
              "fr": ("French", "法文"), "de": ("German", "德文"), "es": ("Spanish", "西班牙文"), "ru": ("Russian", "俄文")}  # fmt: skip
OFFLINE_SPEECH_TARGETS = ("en",)  # Whisper translate task


def lang_name(code: str, lang: str = "en") -> str:
    names = LANG_NAMES.get(code)
    return (names[1] if lang == "zh" else names[0]) if names else code


@dataclass(frozen=True)
class Plan:
    backend: str  # same, whisper, llm, none
    reason: str = ""


class LlmTranslator:
    """Text translation through an OpenAI-compatible chat endpoint (raises LlmError on failure)."""

    def __init__(self, base_url: str, model: str, api_key_env: str = "GLASSES_LLM_API_KEY", timeout_s: float = 5.0):
        self.url = secure_http.require_secure_url(base_url.rstrip("/") + "/chat/completions", "llm_url")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.calls = 0

    def __call__(self, text: str, target: str, source: str = "") -> str:
        self.calls += 1
        src = f" from {lang_name(source)}" if source else ""
        system = (f"Translate the user's text{src} into {lang_name(target)}. "
                  "Answer with the translation only, no notes.")  # fmt: skip
        body = {"model": self.model, "temperature": 0,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": text}]}  # fmt: skip
        return message_text(chat_completion(self.url, body, self.api_key_env, self.timeout_s))


class Translator:
    """Decides how a pair is served and translates text when it can."""

    def __init__(self, llm: LlmTranslator | None = None, speech_translate_offline: bool = True):
        self.llm = llm
        self.speech_translate_offline = speech_translate_offline  # the captions node has a multilingual model

    def plan(self, source: str, target: str, speech: bool) -> Plan:
        if not target or source == target:
            return Plan("same")
        if speech and target in OFFLINE_SPEECH_TARGETS and self.speech_translate_offline:
            return Plan("whisper")
        if self.llm is not None:
            return Plan("llm")
        return Plan("none", f"{source or '?'}->{target} needs an LLM endpoint (llm_url)")

    def text(self, text: str, target: str, source: str = "") -> tuple[str | None, str]:
        """(translation or None, backend or failure reason)."""
        if not target or source == target:
            return text, "same"
        if self.llm is None:
            return None, "no_llm"
        try:
            return self.llm(text, target, source), "llm"
        except LlmError as exc:
            return None, exc.reason
