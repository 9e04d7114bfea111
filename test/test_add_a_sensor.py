"""A sensor added the documented way (one entry in glasses_bringup/foundation/sensor_catalog.py) shows up everywhere."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from rosbags.highlevel import AnyReader
from rosbags.typesys import Stores, get_typestore

from glasses_bringup.foundation import sensor_catalog
from glasses_bringup.rig import load_rig
from glasses_bringup.runner import node_class, plan, to_parameters

REPO = Path(__file__).resolve().parents[1]

REGISTER_AND_CHECK = textwrap.dedent('''
    import dataclasses, yaml, tempfile, pathlib
    import glasses_bringup.foundation.sensor_catalog as catalog

    # docs/adding-a-sensor.md, step 1: one entry in the catalog
    entry = catalog.SensorEntry(
        name="thermometer",
        node="glasses_bringup.drivers.nodes.gnss_node:GnssNode",
        description="skin temperature at the temple",
        topics=(catalog.TopicEntry("env/skin_temperature", "sensor_msgs/msg/Temperature", "sensor"),),
        rigs={"sim": dict(catalog.SIM), "jetson": {"source": "nmea", "port": "/dev/ttyTHS3"}},
        scenario_action="fever",
        scenario_model="glasses_bringup.drivers.sensors.ring:RingGesture",
        power_mw=3.0,
    )
    catalog.SENSORS = catalog.SENSORS + (entry,)

    from glasses_bringup import docgen, launch_support, registry, runner
    from glasses_bringup.foundation import interfaces
    from glasses_bringup.drivers.sim import scenario
    from glasses_bringup.drivers.power.model import ActiveSet, PowerModel
    from glasses_bringup.drivers.power.stack_load import StackObserver
    from glasses_bringup.rig import load_rig

    assert registry.NODES["thermometer"] == entry.node
    assert "thermometer = glasses_bringup.entry:thermometer" in registry.console_scripts()
    assert interfaces.lookup("/glasses/env/skin_temperature").producer == "thermometer"
    assert "| `env/skin_temperature` | sensor_msgs/msg/Temperature | sensor | thermometer |" in docgen.topics_table()
    ctx = {"scenario": "/s.yaml", "scenario_start": 5.0, "variant": "s1", "run_dir": "/tmp"}
    for rig_name in ("sim", "jetson"):
        planned = {p.spec.name: p for p in runner.plan(load_rig(rig_name), "s1", ctx, {})}
        assert planned["thermometer"].spec.executable == "thermometer" and planned["thermometer"].spec.respawn
        launched = {d["name"]: d for d in launch_support.node_descriptions(rig_name, None, ctx)}
        assert launched["thermometer"]["executable"] == "thermometer"
    assert planned["thermometer"].parameters["port"] == "/dev/ttyTHS3"
    assert "env/skin_temperature" in load_rig("replay").replay.topics
    path = pathlib.Path(tempfile.mkdtemp()) / "s.yaml"
    path.write_text("name: t\\nduration_s: 5\\ntimeline: [{at: 1.0, fever: tap}]\\n")
    assert scenario.load(path).entries("fever")[0].fever == "tap"
    assert PowerModel().breakdown_mw(ActiveSet(sensors=("thermometer",)))["sensor.thermometer"] == 3.0
    obs = StackObserver()
    obs.nodes_running(["thermometer"])
    assert "thermometer" in obs.active_set().sensors
    print("registered everywhere")
''')


def test_a_new_catalog_entry_reaches_registry_rigs_launch_docs_scenario_and_power():
    out = subprocess.run([sys.executable, "-c", REGISTER_AND_CHECK], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "registered everywhere" in out.stdout


def test_catalog_sensors_are_in_the_interface_doc():
    doc = (REPO / "docs" / "interfaces.md").read_text()
    for sensor in sensor_catalog.SENSORS:
        for topic in sensor.topics:
            assert f"| `{topic.name}` | {topic.msg_type} | {topic.qos} | {sensor.name} |" in doc


def test_catalog_sensors_run_from_the_sim_rig_and_land_in_the_bag(ros, tmp_path):
    from glasses_bringup.recorder import Recorder

    scenario = tmp_path / "walk.yaml"
    scenario.write_text(textwrap.dedent("""
        name: walk
        duration_s: 30
        timeline:
          - {at: 0.0, walk: {start: [22.5431, 114.0579], heading_deg: 45, duration_s: 20}}
          - {at: 0.6, ring: tap}
        """))
    start = time.time() + 0.3
    ctx = {"scenario": str(scenario), "scenario_start": start, "variant": "s1", "run_dir": str(tmp_path)}
    names = {s.name for s in sensor_catalog.SENSORS}
    planned = [p for p in plan(load_rig("sim"), "s1", ctx, {}) if p.spec.name in names]
    assert {p.spec.name for p in planned} == names
    bag = tmp_path / "bag"
    recorder = ros.add(Recorder(bag, discovery_s=0.1))
    for p in planned:
        ros.add(node_class(p.spec.executable)(node_name=p.spec.name, namespace=p.namespace,
                                              parameter_overrides=to_parameters(p.parameters)))
    time.sleep(3.0)
    recorder.close()
    counts: dict[str, int] = {}
    with AnyReader([bag], default_typestore=get_typestore(Stores.ROS2_KILTED)) as reader:
        for conn, _, _ in reader.messages():
            counts[conn.topic] = counts.get(conn.topic, 0) + 1
    assert counts.get("/glasses/gnss/fix", 0) >= 2
    assert counts.get("/glasses/input/ring", 0) == 1
