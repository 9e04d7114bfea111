"""What the stack has active, read from /diagnostics values, as power-model input."""

from glasses_bringup.drivers.power.model import ACTIVITIES, PowerModel
from glasses_bringup.drivers.power.stack_load import StackObserver


def test_observed_stack_sets_the_power_model_inputs():
    obs = StackObserver(vision_nodes=("code_reader",), asr_nodes=("asr",))
    obs.update("/glasses/camera", {"frames.rate_hz": "14.8", "enabled": "True"}, t=0.0)
    obs.update("/glasses/display", {"frames.rate_hz": "1.0"}, t=0.0)
    obs.display_lit(0.5)  # display/brightness: a card shows at half brightness
    obs.update("/glasses/code_reader", {"lifecycle": "active"}, t=0.0)
    obs.update("/glasses/asr", {"lifecycle": "inactive"}, t=0.0)
    a = obs.active_set(1.0)
    assert a.camera_fps == 14.8 and a.display_brightness == 0.5
    assert a.vision_duty == 1.0 and a.asr_full_duty == 0.0 and a.soc_awake
    m = PowerModel()
    assert m.battery_w(a) > m.battery_w(ACTIVITIES["idle"]) + 0.2


def test_stale_reports_and_disabled_camera_count_as_off():
    obs = StackObserver()
    obs.update("/glasses/camera", {"frames.rate_hz": "15", "enabled": "False"}, t=0.0)
    obs.update("/glasses/display", {"frames.rate_hz": "1.0"}, t=0.0)
    obs.display_lit(0.0)  # no card: the display is dark
    a = obs.active_set(1.0)
    assert a.camera_fps == 0.0 and a.display_brightness == 0.0
    obs.display_lit(0.9)
    assert obs.active_set(1.0).display_brightness == 0.9
    assert obs.active_set(10.0).display_brightness == 0.0  # the display node stopped reporting: gone
    obs.update("/glasses/camera", {"frames.rate_hz": "15"}, t=0.0)
    assert obs.active_set(10.0).camera_fps == 0.0  # the camera stopped reporting: gone


def test_scenario_activity_supplies_what_the_stack_cannot_see():
    obs = StackObserver()
    a = obs.active_set(0.0, ACTIVITIES["music"])
    assert a.ble_audio and a.speaker_duty == 1.0
    obs.update("/glasses/camera", {"frames.rate_hz": "not a number"}, t=0.0)
    assert obs.active_set(0.5, ACTIVITIES["idle"]).camera_fps == 0.0
