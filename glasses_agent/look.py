""""What is this": a captured frame -> a vision-capable OpenAI-compatible endpoint, or an honest
offline description from what the vision nodes found (code, product match, OCR text).

The JPEG is sent as a base64 data URL in an ``image_url`` content part (the OpenAI
vision message format that Qwen-VL, vLLM and llama.cpp servers accept) and is kept
only in memory for that one request.
"""

from __future__ import annotations

import base64

from glasses_agent import secure_http
from glasses_agent.llm import chat_completion, message_text

PROMPT = {
    "en": "You see through the wearer's smart glasses. In one or two short sentences, say what the main object "
    "in view is. If there is text, say what it says.",
    "zh": "你通过用户的智能眼镜看到画面。用一两句简短的话说明视野中的主要物体是什么；如果有文字，说出文字内容。",
}


class VisionAnswerer:
    """Asks a vision model about one JPEG; raises LlmError when that fails."""

    def __init__(self, base_url: str, model: str, api_key_env: str = "GLASSES_LLM_API_KEY", timeout_s: float = 10.0):
        self.url = secure_http.require_secure_url(base_url.rstrip("/") + "/chat/completions", "vision_url")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s

    def __call__(self, jpeg: bytes, lang: str = "en", question: str = "") -> str:
        data_url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        prompt = question or PROMPT.get(lang, PROMPT["en"])
        body = {"model": self.model, "temperature": 0, "max_tokens": 120,
                "messages": [{"role": "user", "content": [{"type": "text", "text": prompt},
                                                          {"type": "image_url", "image_url": {"url": data_url}}]}]}  # fmt: skip
        return message_text(chat_completion(self.url, body, self.api_key_env, self.timeout_s, max_bytes=1 << 18))


def describe_offline(seen: dict) -> tuple[str, str] | None:
    """(what, detail) from the vision findings in view, or None when nothing was found.

    ``seen`` holds the newest of: ``product`` (name, id), ``code`` (kind, text), ``text`` (OCR lines).
    """
    product, code, text = seen.get("product"), seen.get("code"), seen.get("text")
    if product:
        detail = " · ".join(x for x in (product.get("detail", ""), (text or [""])[0][:40] if text else "") if x)
        return product["name"], detail
    if code:
        kinds = {"payment": "payment QR code", "product": "product barcode", "other": "QR code"}
        return kinds.get(code.get("kind", "other"), "code"), code.get("text", "")[:60]
    if text:
        return "text", " / ".join(text[:3])[:80]
    return None
