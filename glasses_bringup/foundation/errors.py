"""One shape for the stack's refusals: a short, countable ``reason`` and a free-text ``detail``.

Nodes count refusals by reason on /diagnostics (``rejected.<reason>``), so every
parser and back-end error carries the same two fields. Subclasses keep the
builtin they belong with (ValueError for bad input, RuntimeError for a failed
service), so ``except ValueError`` around a parser still works.
"""

from __future__ import annotations


class ReasonError(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
