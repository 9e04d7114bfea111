"""The co-processor link node on real rclpy over a pty emulator: data up, commands down, fuzz, no device."""

import random
import time
import types

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.parameter import Parameter
from sensor_msgs.msg import BatteryState, Imu
from std_msgs.msg import Bool, Float32, String

from glasses_bringup.drivers.link import protocol as p
from glasses_bringup.drivers.nodes.battery_manager_node import BatteryManagerNode
from glasses_bringup.drivers.nodes.coprocessor_link_node import CoprocessorLinkNode
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.testing import latest_status, wait_for


def link_node(**params):
    params.setdefault("diagnostics_period_s", 0.2)
    return CoprocessorLinkNode(namespace="/glasses",
                               parameter_overrides=[Parameter(k, value=v) for k, v in params.items()])


def test_link_node_publishes_mcu_data_and_sends_commands(ros):
    node = ros.add(link_node(emulate=True, emulate_imu_hz=400.0, emulate_gauge_hz=5.0))
    battery = ros.add(BatteryManagerNode(namespace="/glasses", parameter_overrides=[
        Parameter("source", value="link"), Parameter("publish_period_s", value=0.1)]))
    imu = ros.collect("imu/data_raw", Imu)
    gauges = ros.collect("power/gauge/left", BatteryState)
    packs = ros.collect("power/battery", BatteryState)
    touches = ros.collect_events("input/touch", ev.Touch)
    hinges = ros.collect_events("input/hinge", ev.Hinge)
    wakes = ros.collect_events("perception/wake", ev.Wake)
    diags = ros.collect("/diagnostics", DiagnosticArray)
    assert wait_for(lambda: node.session.state == "running", 10)
    assert wait_for(lambda: len(imu) > 200, 10)
    mcu = node.mcu.emulator
    with node.mcu.lock:
        mcu.touch("tap")
        mcu.hinge("folded")
        mcu.wake_hit("hey_jarvis", 0.9)
    assert wait_for(lambda: touches and hinges and wakes, 5)
    assert touches[0].gesture == "tap" and hinges[0].state == "folded" and wakes[0].phrase == "hey_jarvis"
    assert wait_for(lambda: gauges and any(m.present for m in packs), 10)
    assert gauges[-1].voltage > 3.4 and gauges[-1].serial_number == "PK-L1"
    assert battery.manager.slots["left"].present and battery.manager.slots["right"].present
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in imu[-100:]]
    assert abs(stamps[-1] - time.time()) < 0.5 and all(b > a for a, b in zip(stamps, stamps[1:], strict=False))

    ros.publisher("display/brightness", Float32).publish(Float32(data=0.4))
    ros.publisher("camera/privacy_led", Bool).publish(Bool(data=True))
    state = ev.PowerState(stamp=1.0, mode="saver", soc=0.3, runtime_left_h=2.0, load_w=0.3, swap_state="both")
    ros.publisher("power/state", String).publish(String(data=ev.encode(state)))
    assert wait_for(lambda: mcu.settings.get("brightness_permille") == 400 and mcu.settings.get("privacy_led") == 1
                    and mcu.settings.get("power_mode") == 1 and mcu.settings.get("wake_offload") == 1, 10)
    assert wait_for(lambda: latest_status(diags, "coprocessor_link")[1].get("time_synced") == "True", 10)
    st, kv = latest_status(diags, "coprocessor_link")
    assert st.level == b"\x00" and kv["state"] == "running" and kv["errors_total"] == "0"


def test_fuzzed_link_and_mcu_resets_never_stop_the_node(ros):
    node = ros.add(link_node(emulate=True, emulate_imu_hz=200.0))
    imu = ros.collect("imu/data_raw", Imu)
    diags = ros.collect("/diagnostics", DiagnosticArray)
    assert wait_for(lambda: node.session.state == "running" and len(imu) > 50, 10)
    rng = random.Random(1)
    replay = p.encode_frame(p.Msg.TOUCH, node.mcu.emulator.seq, p.pack(p.Msg.TOUCH, 1, 0, 0))
    with node.mcu.lock:
        node.mcu._write(replay + replay + replay)  # the same sequence number three times
    for k in range(30):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        good = bytearray(p.encode_frame(p.Msg.TOUCH, 0, p.pack(p.Msg.TOUCH, 1, 0, 0)))
        good[2] ^= 0x10  # a bit flip
        with node.mcu.lock:
            node.mcu._write(garbage + b"\x00" + bytes(good) + good[:5])
        if k % 10 == 9:
            node.mcu.reset()
        time.sleep(0.02)
    count = len(imu)
    assert wait_for(lambda: len(imu) > count + 100, 10)  # still streaming
    assert wait_for(lambda: int(latest_status(diags, "coprocessor_link")[1].get("errors.mcu_resets", 0)) == 3, 10)
    _, kv = latest_status(diags, "coprocessor_link")
    wire = sum(int(kv.get(f"errors.{r}", 0)) for r in ("cobs", "crc", "short", "length", "overlong"))
    assert wire >= 30 and int(kv.get("errors.seq_replay", 0)) >= 2
    assert node.session.state == "running"


def test_missing_port_is_an_error_on_diagnostics_without_a_busy_loop(ros):
    node = ros.add(link_node(port="/dev/glasses-no-such-mcu", reconnect_s=0.5))
    diags = ros.collect("/diagnostics", DiagnosticArray)
    cpu0 = time.process_time()
    assert wait_for(lambda: latest_status(diags, "coprocessor_link")[0] is not None, 10)
    time.sleep(2.0)
    st, kv = latest_status(diags, "coprocessor_link")
    assert st.level == b"\x02" and "/dev/glasses-no-such-mcu" in st.message
    assert kv["state"] == "closed" and int(kv["errors.open_failures"]) >= 3
    assert node._thread.is_alive()
    assert time.process_time() - cpu0 < 1.5  # the whole test process, ROS spinning included, mostly slept


def test_display_brightness_topic_drives_the_simulated_drain(ros, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nduration_s: 60\ntimeline: []\n")
    battery = ros.add(BatteryManagerNode(namespace="/glasses", parameter_overrides=[
        Parameter("source", value="sim"), Parameter("scenario", value=str(scenario)),
        Parameter("publish_period_s", value=0.1)]))
    from rclpy.node import Node

    lit = ros.publisher("display/brightness", Float32)
    ros.add(Node("display", namespace="/glasses"))  # the display runs: the graph shows it
    lit.publish(Float32(data=0.0))
    assert wait_for(lambda: battery.load_w > 0 and battery.observer.display_level == 0.0, 5)
    dark = battery.load_w
    lit.publish(Float32(data=1.0))
    assert wait_for(lambda: battery.load_w > dark + 0.1, 5)


def test_simulated_drain_follows_camera_parameters_and_lifecycle_states(ros, tmp_path):
    from rclpy.lifecycle import LifecycleNode
    from rclpy.node import Node
    from rclpy.parameter import Parameter as P

    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nduration_s: 60\ntimeline: []\n")
    camera = Node("camera", namespace="/glasses")
    camera.declare_parameter("fps", 15.0)
    camera.declare_parameter("enabled", True)
    ros.add(camera)
    vision = LifecycleNode("code_reader", namespace="/glasses")
    ros.add(vision)
    vision.trigger_configure()
    battery = ros.add(BatteryManagerNode(namespace="/glasses", parameter_overrides=[
        Parameter("source", value="sim"), Parameter("scenario", value=str(scenario)),
        Parameter("publish_period_s", value=0.1), Parameter("vision_nodes", value=["code_reader"])]))
    obs = battery.observer
    # read when they appear: the camera's parameters, the vision node's state (inactive)
    assert wait_for(lambda: obs.active_set().camera_fps == 15.0 and obs.lifecycle.get("code_reader") == "inactive", 5)
    assert obs.active_set().vision_duty == 0.0
    # followed afterwards: /parameter_events and the lifecycle transition event
    camera.set_parameters([P("fps", value=5.0)])
    vision.trigger_activate()
    assert wait_for(lambda: obs.active_set().camera_fps == 5.0 and obs.active_set().vision_duty == 1.0, 5)
    camera.set_parameters([P("enabled", value=False)])
    assert wait_for(lambda: obs.active_set().camera_fps == 0.0, 5)


def test_emulated_mcu_renders_the_scenario_like_the_sim_imu(ros, tmp_path):
    import numpy as np

    from glasses_bringup.drivers.sensors.imu import SimImuSource, plan_from_scenario
    from glasses_bringup.drivers.sim.scenario import load

    scenario = tmp_path / "nod.yaml"
    scenario.write_text("name: nod\nduration_s: 10\nseed: 5\ntimeline:\n"
                        "  - {at: 0.5, head: nod}\n  - {at: 0.8, touch: swipe_back}\n")
    start = time.time() + 0.5
    node = ros.add(link_node(emulate=True, emulate_imu_hz=100.0, emulate_gauge_hz=0.0,
                             scenario=str(scenario), scenario_start=start))
    from glasses_bringup.foundation.ros import qos as gq

    imu = ros.collect("imu/data_raw", Imu, qos=gq.profile("sensor", depth=200))
    touches = ros.collect_events("input/touch", ev.Touch)
    assert wait_for(lambda: len(imu) >= 150 and touches, 10)
    assert node.session.state == "running"
    source = SimImuSource(plan_from_scenario(load(scenario)), 100.0, start)
    parts = [source.poll(start + 0.9), source.poll(start + 1.49)]  # under its 1 s catch-up limit
    reference = types.SimpleNamespace(stamps=np.concatenate([b.stamps for b in parts]),
                                      gyro=np.concatenate([b.gyro for b in parts]))
    got = {round((m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 - start) * 100): m for m in imu}
    checked = 0
    errs = []
    for k in range(150):
        m = got.get(k)
        if m is None:
            continue  # sensor QoS keeps 2: the probe may miss a sample, the comparison does not need all
        stamp = m.header.stamp.sec + m.header.stamp.nanosec * 1e-9
        errs.append(stamp - reference.stamps[k])
        g = [m.angular_velocity.x, m.angular_velocity.y, m.angular_velocity.z]
        assert np.allclose(g, reference.gyro[k], atol=p.GYRO_LSB)  # the same nod, to the wire's resolution
        checked += 1
    assert checked > 100
    # A real pty on a loaded machine, one or two sync exchanges in: a few ms at worst (emulated-clock bound: 1 ms).
    assert np.max(np.abs(errs)) < 0.005
    assert touches[0].gesture == "swipe_back" and abs(touches[0].stamp - (start + 0.8)) < 0.005
