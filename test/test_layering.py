"""The import layering of docs/bringup.md ("Layout"): no lower layer imports an upper one.

Layers, lowest first: foundation (glasses_bringup/foundation) -> drivers
(glasses_bringup/drivers) -> perception | agent (side by side, never importing each
other: they meet on topics) -> bringup proper (the rest of glasses_bringup). Every
import counts, also one inside a function.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("glasses_bringup", "glasses_perception", "glasses_agent")

# layer -> the layers it may import (itself included)
ALLOWED = {
    "foundation": {"foundation"},
    "drivers": {"foundation", "drivers"},
    "perception": {"foundation", "drivers", "perception"},
    "agent": {"foundation", "drivers", "agent"},
    "bringup": {"foundation", "drivers", "perception", "agent", "bringup"},
}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "glasses_perception":
        return "perception"
    if parts[0] == "glasses_agent":
        return "agent"
    if parts[0] == "glasses_bringup":
        if len(parts) > 1 and parts[1] in ("foundation", "drivers"):
            return parts[1]
        return "bringup"
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, this_module: str) -> list[tuple[int, str]]:
    """(line, module) of every import of the stack, with `from pkg import module` resolved."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = this_module.split(".")[: -node.level]
                base = ".".join(anchor + ([base] if base else []))
            if layer_of(base) is None:
                continue
            if base in PACKAGES:  # `from glasses_bringup import runner`: the name is a module
                out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
            else:
                out.append((node.lineno, base))
    return [(line, mod) for line, mod in out if layer_of(mod) is not None]


def violations(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        this = module_name(path)
        mine = layer_of(this)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, mod in imported_modules(tree, this):
            theirs = layer_of(mod)
            if theirs in ALLOWED[mine]:
                continue
            found.append(f"{path.relative_to(ROOT)}:{line}: {mine} imports {theirs} ({mod})")
    return found


def package_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_no_lower_layer_imports_an_upper_one():
    files = package_files()
    assert len(files) > 100
    assert violations(files) == []


def test_every_file_of_glasses_bringup_is_in_a_layer_folder_or_bringup_proper():
    # the folders show the architecture: only these subpackages exist
    subpackages = {p.name for p in (ROOT / "glasses_bringup").iterdir() if (p / "__init__.py").exists()}
    assert subpackages == {"foundation", "drivers"}
    drivers = {p.name for p in (ROOT / "glasses_bringup" / "drivers").iterdir() if (p / "__init__.py").exists()}
    assert drivers == {"sensors", "nodes", "power", "link", "sim", "speech"}


@pytest.mark.parametrize(
    ("source", "importer", "expected"),
    [
        ("from glasses_agent import cards\n", "glasses_bringup/foundation/x.py", "foundation imports agent"),
        ("def f():\n    from glasses_bringup import runner\n", "glasses_bringup/drivers/x.py",
         "drivers imports bringup"),
        ("import glasses_agent.dialogue\n", "glasses_perception/x.py", "perception imports agent"),
        ("from glasses_perception.voice import asr\n", "glasses_agent/x.py", "agent imports perception"),
        ("from ...runner import plan\n", "glasses_bringup/drivers/nodes/x.py", "drivers imports bringup"),
    ],
)
def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch, source, importer, expected):
    target = tmp_path / importer
    target.parent.mkdir(parents=True)
    target.write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = violations([target])
    assert len(found) == 1 and expected in found[0], found


def test_perception_and_agent_importing_drivers_and_foundation_is_allowed(tmp_path, monkeypatch):
    target = tmp_path / "glasses_agent" / "x.py"
    target.parent.mkdir(parents=True)
    target.write_text("from glasses_bringup.foundation import events as ev\n"
                      "from glasses_bringup.drivers.speech import tts\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert violations([target]) == []
