"""Player controls: paused start, step, burst, start/duration window, loop, /clock, wait for subscribers."""

import threading
import time

import pytest
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Imu
from std_srvs.srv import SetBool, Trigger
from test_bringup_bags import write_imu_bag

from glasses_bringup.foundation.testing import wait_for
from glasses_bringup.playback import PlaybackControl

RELIABLE = QoSProfile(depth=1000, history=HistoryPolicy.KEEP_LAST, reliability=ReliabilityPolicy.RELIABLE)
T0_NS = 1_700_000_000_000_000_000


@pytest.fixture(scope="module")
def imu_bag(tmp_path_factory):
    bag = tmp_path_factory.mktemp("imu") / "bag"
    write_imu_bag(bag, 200)  # 2 s at 100 Hz on /imu/data; angular_velocity.z = index
    return bag


def test_control_holds_a_paused_player_and_lets_steps_through():
    control = PlaybackControl(paused=True)
    passed = []

    def player():
        for i in range(5):
            go, held = control.gate()
            if not go:
                return
            passed.append((i, held))
            if control.paused:
                control.stepped()

    thread = threading.Thread(target=player, daemon=True)
    thread.start()
    time.sleep(0.1)
    assert passed == []  # paused: nothing goes
    assert control.step(2, wait_s=2.0) == 2 and [i for i, _ in passed] == [0, 1]
    assert control.pause() is False and control.resume() is True
    thread.join(2)
    assert [i for i, _ in passed] == [0, 1, 2, 3, 4] and passed[2][1] is True and passed[3][1] is False
    assert control.step(1) == 0  # stepping a playing player does nothing
    assert control.toggle() is True and control.toggle() is False


def call(ros, srv_type, name, request=None):
    client = ros.probe.create_client(srv_type, name)
    assert client.wait_for_service(timeout_sec=10)
    future = client.call_async(request or srv_type.Request())
    assert wait_for(future.done, 15)
    return future.result()


def test_paused_start_step_burst_and_resume_by_service(ros, imu_bag):
    from glasses_bringup.replayer import Replayer

    got = ros.collect("/imu/data", Imu, qos=RELIABLE)
    replayer = ros.add(Replayer(str(imu_bag), rate=1.0, paused=True))
    assert wait_for(lambda: replayer.count_subscribers("/imu/data") >= 1, 10)
    replayer.start()
    time.sleep(0.5)
    assert replayer.published == 0 and got == []
    reply = call(ros, Trigger, "/replayer/play_next")
    assert reply.success and wait_for(lambda: len(got) == 1, 5)
    assert got[0].angular_velocity.z == 0.0  # the first message of the bag
    replayer.set_parameters([Parameter("burst_size", value=10)])
    assert call(ros, Trigger, "/replayer/burst").success and wait_for(lambda: len(got) == 11, 5)
    assert [m.angular_velocity.z for m in got] == [float(i) for i in range(11)]
    assert not call(ros, Trigger, "/replayer/pause").success  # already paused
    assert call(ros, SetBool, "/replayer/set_paused", SetBool.Request(data=False)).success
    assert wait_for(lambda: replayer.done, 10) and wait_for(lambda: len(got) == 200, 5)
    assert not call(ros, Trigger, "/replayer/play_next").success  # not paused any more


def test_pause_while_playing_holds_the_rest(ros, imu_bag):
    from glasses_bringup.replayer import Replayer

    got = ros.collect("/imu/data", Imu, qos=RELIABLE)
    replayer = ros.add(Replayer(str(imu_bag), rate=1.0, wait_for_subscribers=10.0))
    replayer.start()
    assert wait_for(lambda: len(got) >= 20, 10)
    assert call(ros, Trigger, "/replayer/pause").success
    time.sleep(0.3)
    held = replayer.published
    time.sleep(0.5)
    assert replayer.published == held < 200 and not replayer.done
    assert call(ros, Trigger, "/replayer/toggle_paused").message == "playing"
    assert wait_for(lambda: replayer.done and len(got) == 200, 10)


def test_burst_at_start_then_paused(ros, imu_bag):
    from glasses_bringup.replayer import Replayer

    got = ros.collect("/imu/data", Imu, qos=RELIABLE)
    replayer = ros.add(Replayer(str(imu_bag), rate=1.0, burst=25, wait_for_subscribers=10.0))
    replayer.start()
    assert wait_for(lambda: len(got) == 25, 10)
    time.sleep(0.5)
    assert len(got) == 25 and replayer.control.paused


def test_start_and_duration_cut_a_window_and_loop_plays_it_again(ros, imu_bag):
    from glasses_bringup.replayer import Replayer

    got = ros.collect("/imu/data", Imu, qos=RELIABLE)
    replayer = ros.add(Replayer(str(imu_bag), rate=0.0, start_offset_s=0.5, duration_s=0.5, loop=True,
                                wait_for_subscribers=10.0))
    replayer.start()
    assert wait_for(lambda: len(got) >= 153, 20)  # three passes over [0.5 s, 1.0 s]: 51 messages each
    replayer.stop()
    indices = [int(m.angular_velocity.z) for m in got[:153]]
    assert indices == list(range(50, 101)) * 3


def test_clock_follows_bag_time(ros, imu_bag):
    from glasses_bringup.replayer import Replayer

    clocks = ros.collect("/clock", Clock, qos=RELIABLE)
    replayer = ros.add(Replayer(str(imu_bag), rate=2.0, clock=True))
    assert wait_for(lambda: replayer.count_subscribers("/clock") >= 1, 10)
    replayer.start()
    assert wait_for(lambda: replayer.done, 10) and wait_for(lambda: len(clocks) >= 90, 5)
    seconds = [c.clock.sec + c.clock.nanosec * 1e-9 for c in clocks]
    assert seconds == sorted(seconds)
    assert abs(seconds[0] - T0_NS * 1e-9) < 0.02 and abs(seconds[-1] - (T0_NS * 1e-9 + 1.99)) < 0.02


def test_waiting_for_subscribers_loses_no_first_message(ros, imu_bag):
    from glasses_bringup.replayer import Replayer

    replayer = ros.add(Replayer(str(imu_bag), rate=0.0, wait_for_subscribers=10.0))
    replayer.start()
    time.sleep(1.0)  # the subscriber comes late; the replayer waits for it
    assert replayer.published == 0
    got = ros.collect("/imu/data", Imu, qos=RELIABLE)
    assert wait_for(lambda: replayer.done, 15) and wait_for(lambda: len(got) == 200, 5)
    assert got[0].angular_velocity.z == 0.0
