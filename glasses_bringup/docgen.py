"""Keeps the generated tables of docs/interfaces.md in step with the contract modules.

    python -m glasses_bringup.docgen          # rewrite the tables in place
    python -m glasses_bringup.docgen --check  # exit 1 if the doc is out of date (a test runs this)
"""

from __future__ import annotations

import re
import sys
import typing
from pathlib import Path

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.interfaces import TOPICS

DOC = Path(__file__).resolve().parents[1] / "docs" / "interfaces.md"
BLOCK = re.compile(r"(<!-- generated:(\w+) -->\n).*?(<!-- end:\2 -->)", re.S)


def _type_name(annotation) -> str:
    text = str(annotation) if typing.get_origin(annotation) else getattr(annotation, "__name__", str(annotation))
    return text.replace("typing.", "").replace("glasses_bringup.foundation.events.", "")


def topics_table() -> str:
    rows = ["| topic | type | QoS class | from | event schema |", "|---|---|---|---|---|"]
    rows += [f"| `{t.name}` | {t.msg_type} | {t.qos} | {t.producer} | {t.schema or ''} |" for t in TOPICS]
    return "\n".join(rows) + "\n"


def events_table() -> str:
    rows = ["| schema | v | fields (besides `stamp`, `source`) |", "|---|---|---|"]
    for name, cls in ev.REGISTRY.items():
        fields = []
        for fname, f in cls.model_fields.items():
            if fname in ("stamp", "source"):
                continue
            optional = "" if f.is_required() else " (optional)"
            fields.append(f"`{fname}`: {_type_name(f.annotation)}{optional}")
        rows.append(f"| `{name}` | {cls.VERSION} | " + "; ".join(fields).replace("|", "\\|") + " |")
    return "\n".join(rows) + "\n"


GENERATORS = {"topics": topics_table, "events": events_table}


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + GENERATORS[m.group(2)]() + m.group(3), text)


def main(argv: list[str]) -> int:
    text = DOC.read_text()
    new = render(text)
    if "--check" in argv:
        if new != text:
            print(f"{DOC} is out of date: run python -m glasses_bringup.docgen", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
