"""Navigation through the agent node on rclpy: sensor_msgs/NavSatFix on gnss/fix and the
IMU orientation on imu/data in, navigation cards (S1) and spoken turns (G1) out."""

import math
import time

import pytest
from sensor_msgs.msg import Imu, NavSatFix, NavSatStatus
from std_msgs.msg import String

from glasses_agent.skills.guidance import point_at
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.testing import wait_for

STATION_SQUARE = (60.1699, 24.9384)


def make_agent(ros, tmp_path, variant="s1"):
    from rclpy.parameter import Parameter

    from glasses_agent.nodes.agent_node import AgentNode

    overrides = [Parameter("db_path", value=str(tmp_path / "agent.sqlite")), Parameter("variant", value=variant),
                 Parameter("nav_cache_dir", value=str(tmp_path / "maps"))]  # fmt: skip
    return ros.add(AgentNode(namespace=ros.namespace, parameter_overrides=overrides))


def fix(lat, lon, stamp, status=NavSatStatus.STATUS_FIX):
    msg = NavSatFix()
    msg.header.frame_id = "gnss"
    msg.header.stamp.sec = int(stamp)
    msg.header.stamp.nanosec = int((stamp % 1) * 1e9)
    msg.status.status = status
    msg.latitude, msg.longitude, msg.altitude = lat, lon, 20.0
    msg.position_covariance = [9.0, 0, 0, 0, 9.0, 0, 0, 0, 25.0]
    msg.position_covariance_type = NavSatFix.COVARIANCE_TYPE_DIAGONAL_KNOWN
    return msg


def transcript(text, stamp):
    return String(data=ev.encode(ev.Transcript(stamp=stamp, text=text, final=True, lang="en", audio_start=stamp - 1,
                                               audio_end=stamp, latency_ms=100.0)))  # fmt: skip


@pytest.mark.parametrize("variant", ["s1", "g1"])
def test_walk_to_the_nearest_pharmacy_on_rclpy(ros, tmp_path, variant):
    cards = ros.collect_events("display/card")
    says = ros.collect_events("speaker/say")
    actions = ros.collect_events("agent/action")
    fixes = ros.publisher("gnss/fix", NavSatFix)
    imu = ros.publisher("imu/data", Imu)
    speech = ros.publisher("perception/transcript", String)
    agent = make_agent(ros, tmp_path, variant)
    assert wait_for(lambda: fixes.get_subscription_count() > 0 and speech.get_subscription_count() > 0, 10)
    assert wait_for(lambda: agent._maps.map is not None, 30)  # preloaded on its worker thread
    t = agent.now_s()
    fixes.publish(fix(*STATION_SQUARE, t, status=NavSatStatus.STATUS_NO_FIX))  # no fix: ignored
    orientation = Imu()
    orientation.orientation_covariance[0] = -1.0  # REP-145: no orientation -> ignored
    imu.publish(orientation)
    fixes.publish(fix(*STATION_SQUARE, t))
    assert wait_for(lambda: agent.dialogue.navigate.fix is not None, 10)
    speech.publish(transcript("walk me to the nearest pharmacy", t + 0.1))
    assert wait_for(lambda: any(a.action == "navigate" and a.status == "started" for a in actions), 10)
    route = agent.dialogue.navigate.active.session.route
    turns = [m for m in agent.dialogue.navigate.active.session.steps if m.kind not in ("depart", "arrive")]
    s = 0.0
    while s < route.length_m + 20 and not any(a.status == "arrived" for a in actions):
        s += 1.4
        t += 1.0
        fixes.publish(fix(*point_at(route, s), t))
        time.sleep(0.02)  # best-effort sensor QoS: a burst could be dropped
    assert wait_for(lambda: any(a.action == "navigate" and a.status == "arrived" for a in actions), 10)
    told = [a.details["index"] for a in actions if a.status == "turn"]
    assert told == [m.index for m in turns]
    if variant == "s1":
        kinds = [(c.kind, c.title) for c in cards if c.kind == "navigation"]
        assert kinds[0][1].startswith("Navigating to ") and kinds[-1][1] == "◎ Arrived"
        assert len(kinds) == 2 + len(turns)
        spoken = [x.text for x in says]  # S1 speaks the start and the arrival, the HUD shows the turns
        assert spoken[0].startswith("Navigating to ") and not any(x.endswith(" m.") and " in " in x for x in spoken)
    else:
        assert cards == []  # G1 has no display ...
        spoken = [x.text for x in says]  # ... and speaks every reply, turns included
        assert spoken[0].startswith("Navigating to ") and spoken[-1].startswith("You have arrived at")
        assert sum(1 for x in spoken if " in " in x and x.endswith(" m.")) == len(turns)


def test_heading_from_imu_data_only_while_a_route_is_wanted(ros, tmp_path):
    imu = ros.publisher("imu/data", Imu)
    speech = ros.publisher("perception/transcript", String)
    agent = make_agent(ros, tmp_path)
    assert wait_for(lambda: speech.get_subscription_count() > 0, 10)
    time.sleep(1.0)
    assert imu.get_subscription_count() == 0  # no route asked for: no heading wanted, the orientation filter idles
    speech.publish(transcript("walk me to the nearest pharmacy", agent.now_s()))  # waits for a position
    assert wait_for(lambda: imu.get_subscription_count() > 0, 10)
    msg = Imu()
    yaw = math.radians(90.0)  # REP-103: facing north
    msg.orientation.z, msg.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
    msg.orientation_covariance = [0.01, 0, 0, 0, 0.01, 0, 0, 0, 0.01]
    imu.publish(msg)
    assert wait_for(lambda: agent.dialogue.navigate.heading.value() is not None, 10)
    assert agent.dialogue.navigate.heading.value() == pytest.approx(0.0, abs=1e-6)
