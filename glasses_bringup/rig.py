"""Rig files (config/rigs/<name>.yaml): the single source of truth for what runs on a target.

The rig runner (`glasses up`) and launch/*.launch.py both build their nodes from
these files. A rig lists nodes (executable, name, namespace, parameters, params
file, remappings, respawn, variants) and, for the replay rig, which bag topics
stand in for the sensors.

A rig file may name a base with ``extends:`` (config/rigs/common/stack.yaml holds the
stack every rig runs downstream of its sensors). The rig's own nodes come first; a
node it lists with a base node's name is merged into that one: its parameters join
the base's, its other fields replace them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from glasses_bringup.foundation.paths import share_path


class RigError(ValueError):
    """A rig file that cannot be read or does not validate."""


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    executable: str
    namespace: str | None = Field(default=None, description="defaults to the rig's namespace")
    params_file: str | None = Field(default=None, description="relative to config/")
    parameters: dict[str, Any] = Field(default_factory=dict)
    remappings: dict[str, str] = Field(default_factory=dict)
    respawn: bool = False
    respawn_delay_s: float = 1.0
    no_respawn_reason: str = Field(default="", description="why a node with respawn false is not respawned")
    variants: list[Literal["s1", "g1"]] = Field(default_factory=lambda: ["s1", "g1"])


class ReplaySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topics: list[str] = Field(description="bag topics that stand in for the sensors")


class Rig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    namespace: str = "/glasses"
    variant: Literal["s1", "g1"] = "s1"
    needs_scenario: bool = False
    replay: ReplaySpec | None = None
    nodes: list[NodeSpec]

    def nodes_for(self, variant: str) -> list[NodeSpec]:
        return [n for n in self.nodes if variant in n.variants]

    def params_path(self, node: NodeSpec) -> Path | None:
        return share_path("config", node.params_file) if node.params_file else None


def rig_path(name_or_path: str) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    return share_path("config", "rigs", f"{name_or_path}.yaml")


def available_rigs() -> list[str]:
    return sorted(p.stem for p in share_path("config", "rigs").glob("*.yaml"))


def load_rig(name_or_path: str) -> Rig:
    path = rig_path(name_or_path)
    if not path.exists():
        raise RigError(f"no rig {name_or_path!r}; available: {', '.join(available_rigs())}")
    doc = read_rig_document(path)
    try:
        rig = Rig.model_validate(doc)
    except ValidationError as exc:
        errs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise RigError(f"{path}: {errs}") from None
    add_catalog_sensors(rig)
    names = [(n.namespace or rig.namespace, n.name) for n in rig.nodes]
    if len(set(names)) != len(names):
        raise RigError(f"{path}: two nodes share a name in one namespace")
    return rig


def read_rig_document(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The rig file as a mapping, with the base it ``extends`` merged in."""
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise RigError(f"{path}: a rig file is a mapping (name, nodes, ...)")
    nodes = doc.get("nodes") or []
    if not isinstance(nodes, list) or not all(isinstance(n, dict) and isinstance(n.get("name"), str) for n in nodes):
        raise RigError(f"{path}: nodes must be a list of mappings, each with a name")
    base_name = doc.pop("extends", None)
    if base_name is None:
        return doc
    base_path = (path.parent / str(base_name)).resolve()
    if base_path in seen or base_path == path.resolve():
        raise RigError(f"{path}: extends {base_name}, which extends it back")
    if not base_path.exists():
        raise RigError(f"{path}: extends {base_name}, which does not exist ({base_path})")
    return merge_rig_documents(read_rig_document(base_path, (*seen, path.resolve())), doc)


def merge_rig_documents(base: dict[str, Any], rig: dict[str, Any]) -> dict[str, Any]:
    """``rig`` on top of ``base``: top-level keys replace; nodes merge by name (see the module doc)."""
    merged = {**base, **{k: v for k, v in rig.items() if k != "nodes"}}
    base_nodes = base.get("nodes") or []
    overrides = {n["name"]: n for n in rig.get("nodes") or []}
    base_names = {n["name"] for n in base_nodes}
    own = [n for n in rig.get("nodes") or [] if n["name"] not in base_names]
    stack = []
    for node in base_nodes:
        extra = overrides.get(node["name"])
        if extra is None:
            stack.append(node)
            continue
        params = {**(node.get("parameters") or {}), **(extra.get("parameters") or {})}
        stack.append({**node, **extra, "parameters": params})
    merged["nodes"] = own + stack
    return merged


def add_catalog_sensors(rig: Rig) -> None:
    """Sensors of glasses_bringup/foundation/sensor_catalog.py join the rigs their entry names (unless listed already);
    their topics join a replay rig's bag topics."""
    from glasses_bringup.foundation.sensor_catalog import SENSORS

    listed = {n.name for n in rig.nodes}
    for sensor in SENSORS:
        params = sensor.rigs.get(rig.name)
        if params is not None and sensor.name not in listed:
            rig.nodes.append(NodeSpec(name=sensor.name, executable=sensor.name, parameters=dict(params),
                                      respawn=sensor.respawn))
        if rig.replay is not None:
            rig.replay.topics += [t.name for t in sensor.topics if t.name not in rig.replay.topics]


def node_parameters(rig: Rig, node: NodeSpec, context: dict[str, Any]) -> dict[str, Any]:
    """Inline parameters of a node with $(key) substituted from the run context."""

    def subst(value):
        if isinstance(value, str):
            for key, ctx_value in context.items():
                token = f"$({key})"
                if value == token:
                    return ctx_value  # keep the context value's type
                value = value.replace(token, str(ctx_value))
            return value
        if isinstance(value, list):
            return [subst(v) for v in value]
        return value

    return {k: subst(v) for k, v in node.parameters.items()}
