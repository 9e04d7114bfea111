"""What the stack has active, from the ROS graph, parameters and lifecycle states, as power-model input."""

from glasses_bringup.drivers.power.model import ACTIVITIES, PowerModel
from glasses_bringup.drivers.power.stack_load import StackObserver


def test_observed_stack_sets_the_power_model_inputs():
    obs = StackObserver(vision_nodes=("code_reader",), asr_nodes=("asr",))
    appeared, gone = obs.nodes_running(["camera", "display", "code_reader", "asr", "agent"])
    assert appeared == {"camera", "display", "code_reader", "asr", "agent"} and not gone
    obs.camera_settings("camera", fps=15.0, enabled=True)
    obs.display_lit(0.5)  # display/brightness: a card shows at half brightness
    obs.lifecycle_state("code_reader", "active")
    obs.lifecycle_state("asr", "inactive")
    a = obs.active_set()
    assert a.camera_fps == 15.0 and a.display_brightness == 0.5
    assert a.vision_duty == 1.0 and a.asr_full_duty == 0.0 and a.soc_awake
    m = PowerModel()
    assert m.battery_w(a) > m.battery_w(ACTIVITIES["idle"]) + 0.2
    obs.camera_settings("camera", fps=5.0)  # the power policy lowered it (a /parameter_events change)
    assert obs.active_set().camera_fps == 5.0


def test_gone_nodes_and_disabled_camera_count_as_off():
    obs = StackObserver()
    obs.nodes_running(["camera", "display"])
    obs.camera_settings("camera", fps=15.0, enabled=False)
    obs.display_lit(0.0)  # no card: the display is dark
    a = obs.active_set()
    assert a.camera_fps == 0.0 and a.display_brightness == 0.0
    obs.display_lit(0.9)
    assert obs.active_set().display_brightness == 0.9
    obs.camera_settings("camera", enabled=True)
    assert obs.active_set().camera_fps == 15.0
    appeared, gone = obs.nodes_running(["agent"])  # camera and display left the graph
    assert gone == {"camera", "display"} and appeared == {"agent"}
    assert obs.active_set().camera_fps == 0.0 and obs.active_set().display_brightness == 0.0
    # a respawned camera is read anew: its old settings are forgotten
    assert obs.nodes_running(["camera"])[0] == {"camera"} and obs.active_set().camera_fps == 0.0


def test_lifecycle_unknown_counts_as_running_and_a_parked_node_as_off():
    obs = StackObserver(vision_nodes=("code_reader",), asr_nodes=("asr",))
    obs.nodes_running(["code_reader"])
    assert obs.active_set().vision_duty == 1.0  # state not read yet: the costlier guess
    obs.lifecycle_state("code_reader", "inactive")
    assert obs.active_set().vision_duty == 0.0
    assert obs.active_set().asr_full_duty == 0.0  # asr is not running at all


def test_scenario_activity_supplies_what_the_stack_cannot_see():
    obs = StackObserver()
    a = obs.active_set(ACTIVITIES["music"])
    assert a.ble_audio and a.speaker_duty == 1.0
    obs.camera_settings("camera", fps=float("nan"))
    assert obs.active_set(ACTIVITIES["idle"]).camera_fps == 0.0
