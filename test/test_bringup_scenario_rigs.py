"""Scenarios, rigs, launch files, entry points and parameter files agree with each other."""

import ast
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from glasses_bringup import registry
from glasses_bringup.drivers.sensors.microphone import SimMicrophoneSource
from glasses_bringup.drivers.sim.scenario import Cursor, ScenarioError, load
from glasses_bringup.launch_support import node_descriptions
from glasses_bringup.rig import RigError, available_rigs, load_rig
from glasses_bringup.runner import parse_sets, plan

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "test" / "fixtures" / "bringup"


def test_demo_and_test_scenarios_validate():
    for path in [REPO / "config" / "scenarios" / "demo.yaml", FIXTURES / "short.yaml", *REPO.glob("config/scenarios/*.yaml")]:
        scenario = load(path)
        assert scenario.timeline and scenario.duration_s > 0
        for entry in scenario.entries("say"):
            if entry.say.clip:
                assert scenario.resolve(entry.say.clip).exists()


def test_demo_scenario_exercises_every_sensor():
    scenario = load(REPO / "config" / "scenarios" / "demo.yaml")
    actions = {e.action for e in scenario.timeline}
    assert {"say", "touch", "head", "motion", "show", "battery_pull", "battery_insert"} <= actions


@pytest.mark.parametrize("doc,match", [
    ("name: x\nduration_s: 5\ntimeline: [{at: 1.0}]", "exactly one action"),
    ("name: x\nduration_s: 5\ntimeline: [{at: 1.0, touch: tap, head: nod}]", "exactly one action"),
    ("name: x\nduration_s: 5\ntimeline: [{at: 9.0, touch: tap}]", "after duration_s"),
    ("name: x\nduration_s: 5\ntimeline: [{at: 1.0, touch: poke}]", "touch"),
    ("- just a list", "mapping"),
    ("name: [unclosed", "YAML"),
])
def test_bad_scenarios_say_what_is_wrong(tmp_path, doc, match):
    path = tmp_path / "bad.yaml"
    path.write_text(doc)
    with pytest.raises(ScenarioError, match=match):
        load(path)


def test_missing_scenario_file():
    with pytest.raises(ScenarioError, match="cannot read"):
        load("/nonexistent/scenario.yaml")


def test_cursor_yields_each_entry_once_in_order():
    scenario = load(FIXTURES / "short.yaml")
    cursor = Cursor(scenario.timeline)
    seen = []
    for t in np.arange(0, 7, 0.1):
        seen += [e.at for e in cursor.due(t)]
    assert seen == sorted(e.at for e in scenario.timeline) and cursor.done


def test_simulated_audio_is_deterministic_and_holds_the_speech():
    scenario = load(FIXTURES / "short.yaml")
    a = SimMicrophoneSource(scenario, 16000, 320)
    b = SimMicrophoneSource(scenario, 16000, 320)
    for i in (0, 10, 55, 60, 200):
        assert np.array_equal(a.chunk(i), b.chunk(i))
    quiet = np.sqrt(np.mean(np.concatenate([a.chunk(i) for i in range(0, 40)]) ** 2))
    speech = np.sqrt(np.mean(np.concatenate([a.chunk(i) for i in range(50, 90)]) ** 2))
    assert speech > 5 * quiet  # "pay" at 1.0 s is well above the 30 dB SNR noise


def test_every_rig_loads_and_names_registered_executables():
    assert {"sim", "replay", "jetson"} <= set(available_rigs())
    for name in available_rigs():
        rig = load_rig(name)
        for node in rig.nodes:
            assert node.executable in registry.NODES, f"{name}: {node.executable}"
            if node.params_file:
                assert (REPO / "config" / node.params_file).exists()


def test_rig_errors():
    with pytest.raises(RigError, match="available"):
        load_rig("no_such_rig")
    with pytest.raises(RigError, match="NODE.PARAM=VALUE"):
        parse_sets(["camera=3"])
    rig = load_rig("sim")
    with pytest.raises(RigError, match="not in the rig"):
        plan(rig, "s1", {}, {"nonexistent": {"x": 1}})


def test_rigs_share_the_stack_from_one_base():
    # every rig extends common/stack.yaml and defines (with an executable) no node of the base again
    base = yaml.safe_load((REPO / "config" / "rigs" / "common" / "stack.yaml").read_text())
    base_names = {n["name"] for n in base["nodes"]}
    for path in sorted((REPO / "config" / "rigs").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        assert doc["extends"] == "common/stack.yaml", path.name
        redefined = [n["name"] for n in doc["nodes"] if "executable" in n and n["name"] in base_names]
        assert redefined == [], f"{path.name} repeats {redefined} of the base"
    stack = {n.name for n in load_rig("replay").nodes}
    assert {"agent", "asr", "display", "code_reader"} <= stack
    for name in ("sim", "jetson"):
        assert stack <= {n.name for n in load_rig(name).nodes}
    # an override merges its parameters into the base node's and keeps the rest
    asr = next(n for n in load_rig("jetson").nodes if n.name == "asr")
    assert asr.parameters == {"engine": "whisper", "saver_engine": "grammar", "lang": "auto", "cpu_threads": 2}
    assert asr.executable == "asr" and asr.respawn


def test_rig_extends_errors_and_merge_order(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("nodes:\n  - {name: vad, executable: vad, parameters: {a: 1, b: 2}}\n")
    rig = tmp_path / "mine.yaml"
    rig.write_text("name: mine\nextends: base.yaml\nnodes:\n  - {name: camera, executable: camera}\n"
                   "  - {name: vad, parameters: {b: 3}, respawn: true}\n")
    loaded = load_rig(str(rig))
    assert [n.name for n in loaded.nodes] == ["camera", "vad"]  # the rig's own nodes first
    assert loaded.nodes[1].parameters == {"a": 1, "b": 3} and loaded.nodes[1].respawn
    (tmp_path / "loop.yaml").write_text("name: loop\nextends: loop.yaml\nnodes: []\n")
    with pytest.raises(RigError, match="extends it back"):
        load_rig(str(tmp_path / "loop.yaml"))
    (tmp_path / "orphan.yaml").write_text("name: orphan\nextends: nowhere.yaml\nnodes: []\n")
    with pytest.raises(RigError, match="does not exist"):
        load_rig(str(tmp_path / "orphan.yaml"))
    (tmp_path / "bad.yaml").write_text("name: bad\nnodes: [camera]\n")
    with pytest.raises(RigError, match="each with a name"):
        load_rig(str(tmp_path / "bad.yaml"))


def test_plan_substitutes_run_context_and_applies_overrides():
    rig = load_rig("sim")
    planned = plan(rig, "g1", {"scenario": "/s.yaml", "scenario_start": 12.5, "variant": "g1", "run_dir": "/tmp"},
                   parse_sets(["camera.fps=5.0"]))
    by_name = {p.spec.name: p for p in planned}
    assert by_name["camera"].parameters["scenario"] == "/s.yaml"
    assert by_name["camera"].parameters["scenario_start"] == 12.5  # keeps its float type
    assert by_name["camera"].parameters["fps"] == 5.0
    assert by_name["display"].parameters["variant"] == "g1"


def test_entry_points_match_registry():
    setup_src = (REPO / "setup.py").read_text()
    assert "console_scripts" in setup_src and "registry.py" in setup_src
    scripts = runpy.run_path(str(REPO / "glasses_bringup" / "registry.py"))["console_scripts"]()
    names = {s.split("=")[0].strip() for s in scripts}
    assert set(registry.NODES) | {"glasses"} == names
    for target in registry.NODES.values():
        module = target.split(":")[0]
        assert (REPO / (module.replace(".", "/") + ".py")).exists(), module


def test_launch_files_build_from_rig_files():
    launch_dir = REPO / "launch"
    rigs_with_launch = set()
    for f in launch_dir.glob("*.launch.py"):
        tree = ast.parse(f.read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "rig_launch_description"]
        assert len(calls) == 1, f
        rigs_with_launch.add(calls[0].args[0].value)
        assert f.name == f"{calls[0].args[0].value}.launch.py"
    assert rigs_with_launch == set(available_rigs())
    for rig in available_rigs():
        descriptions = node_descriptions(rig, None, {"scenario": "/s.yaml", "scenario_start": 1.0, "run_dir": "/tmp"})
        assert descriptions and all(d["package"] == "glasses_stack" for d in descriptions)
        for d in descriptions:
            assert d["executable"] in registry.NODES


def test_params_files_are_ros2_parameter_files():
    for f in (REPO / "config" / "params").glob("*.yaml"):
        doc = yaml.safe_load(f.read_text())
        for key, body in doc.items():
            assert key.startswith("/**/") or key == "/**", f"{f.name}: {key}"
            assert set(body) == {"ros__parameters"}, f.name


def test_package_xml_and_setup_agree():
    xml = (REPO / "package.xml").read_text()
    assert "<name>glasses_stack</name>" in xml and "<build_type>ament_python</build_type>" in xml
    assert (REPO / "resource" / "glasses_stack").exists()


def test_cores_do_not_import_rclpy():
    """The plain-Python cores must run without ROS (tested directly, used by CLI tools)."""
    cores = [
        "glasses_bringup.foundation.events", "glasses_bringup.foundation.audio_format", "glasses_bringup.foundation.health",
        "glasses_bringup.drivers.sim.scenario", "glasses_bringup.rig", "glasses_bringup.foundation.interfaces",
        "glasses_bringup.drivers.sensors.camera", "glasses_bringup.drivers.sensors.microphone", "glasses_bringup.drivers.sensors.display",
        "glasses_bringup.bag", "glasses_bringup.launch_support", "glasses_bringup.runner",
        "glasses_bringup.foundation.payment",
    ]
    cores.append("glasses_bringup.foundation.sensor_catalog")
    for pkg in ("glasses_bringup/drivers/sensors", "glasses_bringup/drivers/power", "glasses_bringup/drivers/link", "glasses_perception/voice",
                "glasses_perception/vision", "glasses_agent"):
        for f in sorted((REPO / pkg).rglob("*.py")):
            rel = f.relative_to(REPO).with_suffix("")
            if "nodes" in rel.parts or f.name.startswith("_") or f.name.endswith("_cli.py"):
                continue
            cores.append(".".join(rel.parts))
    code = ("import importlib, sys\n"
            f"for m in {cores!r}:\n"
            "    importlib.import_module(m)\n"
            "    assert 'rclpy' not in sys.modules, m\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_cli_help_and_unknown_command():
    out = subprocess.run([sys.executable, "-m", "glasses_bringup.cli", "--help"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0 and "replay" in out.stdout and "power-day" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "glasses_bringup.cli", "fly"], cwd=REPO, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown command" in bad.stderr


def test_interface_doc_matches_the_contract_modules():
    result = subprocess.run([sys.executable, "-m", "glasses_bringup.docgen", "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    doc = (REPO / "docs" / "interfaces.md").read_text()
    from glasses_bringup.foundation.events import REGISTRY
    from glasses_bringup.foundation.interfaces import QOS_CLASSES, TOPICS

    for topic in TOPICS:
        assert f"`{topic.name}`" in doc
    for name in REGISTRY:
        assert f"`{name}`" in doc
    for qos_class in QOS_CLASSES:
        assert f"| `{qos_class}` |" in doc
