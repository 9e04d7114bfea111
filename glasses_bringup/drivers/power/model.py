"""Power model: per-component draw of the glasses, driven by what is active.

Every figure below is a round-number assumption for the class of part a
glasses-class design uses (an AR1-class app SoC, a Cortex-M/DSP co-processor, a
12 MP sensor binned to video, dual micro-OLED waveguide engines); docs/power.md
gives the reasoning for each. None is measured on our hardware yet: replace them
with bench measurements of the real board.

What the software itself costs is measured: ``PowerModel.measured()`` reads the
stack's CPU per wear state (worn idle, listening, busy; % of one core, per node)
that bench/e2e.py measured on the full rig (``stack_cpu.json`` beside this file)
and turns it into app-SoC draw at ``soc_mw_per_core``: the vision and full-ASR
figures become the largest measured CPU of those nodes, each activity runs them
at the duty its state measured (the stack runs them in every state), carries the
measured CPU of the rest of the stack in its state (which keeps the SoC awake)
and streams the camera at the rate it streamed while measured. ``glasses power-day`` uses the measured model by default.

Draw is at the battery (after regulator losses: ``regulator_efficiency``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from glasses_bringup.foundation.sensor_catalog import SENSORS as CATALOG_SENSORS

# Draw of the sensors added through glasses_bringup/foundation/sensor_catalog.py (mW at the load) while they run.
SENSOR_MW: dict[str, float] = {s.name: s.power_mw for s in CATALOG_SENSORS}


@dataclass(frozen=True)
class ComponentPowers:
    """Milliwatts at the load. Each comment: what it stands for."""

    coprocessor_mw: float = 12.0  # always-on MCU+DSP: wake word, IMU, touch, fuel gauge polling
    imu_mw: float = 1.0  # 6-axis IMU at 100 Hz (BMI270-class: ~0.7 mA at 1.8 V accel+gyro, less in low-power)
    mics_mw: float = 3.0  # 3 PDM MEMS microphones in low-power mode, ~0.55 mA each at 1.8 V
    touch_mw: float = 0.5  # capacitive temple controller, scanning
    soc_sleep_mw: float = 8.0  # app SoC suspended to RAM while the co-processor listens
    soc_awake_mw: float = 90.0  # app SoC awake, light load (UI, event routing, audio path)
    camera_on_mw: float = 45.0  # sensor + MIPI link powered, streaming at the lowest rate
    camera_per_fps_mw: float = 5.0  # readout + ISP per frame per second (640x480-1080p binned)
    display_base_mw: float = 20.0  # two micro-OLED drivers + waveguide projector electronics
    display_full_mw: float = 120.0  # extra at brightness 1.0 for sparse HUD content (~10 % lit)
    vision_mw: float = 250.0  # code/OCR/product recognition on the app SoC (CPU/NPU busy)
    asr_full_mw: float = 300.0  # continuous Whisper-class ASR on the app SoC
    speaker_mw: float = 40.0  # open-ear speaker amplifier at conversation/music level
    ble_idle_mw: float = 2.0  # BLE link to the phone, connected, idle
    ble_audio_mw: float = 18.0  # BT audio streaming (music, calls)
    wifi_active_mw: float = 150.0  # Wi-Fi bursts for uploads/look-ups while active
    phone_link_mw: float = 35.0  # BLE/Wi-Fi tether carrying navigation or look-up data
    soc_mw_per_core: float = 300.0  # one application core fully busy (A7x-class at a mid clock), above awake
    regulator_efficiency: float = 0.88


@dataclass
class ActiveSet:
    """What is running; duty fractions (0..1) for components that work in bursts."""

    soc_awake: bool = False
    camera_fps: float = 0.0  # 0 = camera off
    camera_duty: float = 1.0
    display_brightness: float = 0.0  # 0 = display off
    vision_duty: float = 0.0
    asr_full_duty: float = 0.0
    speaker_duty: float = 0.0
    ble_audio: bool = False
    wifi_duty: float = 0.0
    phone_link_duty: float = 0.0
    stack_cpu_pct: float = 0.0  # measured CPU (% of one core) of the stack besides vision and full ASR
    sensors: tuple[str, ...] = ()  # catalog sensors running (SENSOR_MW)

    def copy(self, **changes) -> ActiveSet:
        return ActiveSet(**{**self.__dict__, **changes})


@dataclass
class PowerModel:
    powers: ComponentPowers = field(default_factory=ComponentPowers)
    activities: dict[str, ActiveSet] | None = None  # None: the assumed ACTIVITIES table
    cost_source: str = "assumed component table"

    def activity(self, name: str) -> ActiveSet:
        table = self.activities if self.activities is not None else ACTIVITIES
        try:
            return table[name]
        except KeyError:
            raise ValueError(f"unknown activity {name!r}; known: {sorted(table)}") from None

    @classmethod
    def measured(cls, path: str | Path | None = None, powers: ComponentPowers | None = None) -> PowerModel:
        """The model with the stack's measured CPU per state (see the module docstring)."""
        cpu = StackCpu.load(path)
        powers = powers or ComponentPowers()
        per_core = powers.soc_mw_per_core / 100.0  # mW per % of one core
        states = ("worn_idle", "listening", "busy")
        vision = max(cpu.group(s, VISION_NODES) for s in states)
        asr = max(cpu.group(s, ASR_NODES) for s in states)
        from dataclasses import replace

        powers = replace(powers, vision_mw=vision * per_core, asr_full_mw=asr * per_core)
        activities = {}
        for name, a in ACTIVITIES.items():
            state = ACTIVITY_STATE[name]
            # The stack as measured runs in every state: vision on every camera frame and the
            # ASR gated but loaded. Their CPU in the state is their duty (share of their largest
            # measured cost), so the policy parking them still takes it off; the camera streams
            # at the rig's rate throughout.
            v, r = cpu.group(state, VISION_NODES), cpu.group(state, ASR_NODES)
            rest = cpu.total(state) - v - r
            activities[name] = a.copy(
                stack_cpu_pct=max(rest, 0.0),
                vision_duty=v / vision if vision > 0 else 0.0,
                asr_full_duty=r / asr if asr > 0 else 0.0,
                camera_fps=max(a.camera_fps, cpu.camera_fps),
                camera_duty=1.0 if cpu.camera_fps > a.camera_fps else a.camera_duty,
                soc_awake=a.soc_awake or rest > 0,
            )
        return cls(powers, activities, f"stack CPU measured by bench/e2e.py ({cpu.source})")

    def breakdown_mw(self, a: ActiveSet) -> dict[str, float]:
        """Draw per component (mW at the load) for an active set."""
        p = self.powers
        heavy = a.camera_fps > 0 or a.vision_duty > 0 or a.asr_full_duty > 0 or a.display_brightness > 0
        awake = a.soc_awake or heavy or a.ble_audio or a.stack_cpu_pct > 0
        cam = (p.camera_on_mw + p.camera_per_fps_mw * a.camera_fps) * a.camera_duty if a.camera_fps > 0 else 0.0
        disp = p.display_base_mw + p.display_full_mw * a.display_brightness if a.display_brightness > 0 else 0.0
        extra = {f"sensor.{name}": SENSOR_MW.get(name, 0.0) for name in a.sensors}
        return {
            **extra,
            "coprocessor": p.coprocessor_mw,
            "imu": p.imu_mw,
            "mics": p.mics_mw,
            "touch": p.touch_mw,
            "soc": p.soc_awake_mw if awake else p.soc_sleep_mw,
            "stack_cpu": p.soc_mw_per_core * a.stack_cpu_pct / 100.0,
            "camera": cam,
            "display": disp,
            "vision": p.vision_mw * a.vision_duty,
            "asr_full": p.asr_full_mw * a.asr_full_duty,
            "speaker": p.speaker_mw * a.speaker_duty,
            "radios": p.ble_idle_mw
            + (p.ble_audio_mw if a.ble_audio else 0.0)
            + p.wifi_active_mw * a.wifi_duty
            + p.phone_link_mw * a.phone_link_duty,
        }

    def battery_w(self, a: ActiveSet) -> float:
        """Total draw from the packs (W), regulator losses included."""
        return sum(self.breakdown_mw(a).values()) / 1000.0 / self.powers.regulator_efficiency


# What the wearer does, as active sets (the day simulation and the sim battery source use these).
ACTIVITIES: dict[str, ActiveSet] = {
    # worn, nothing asked: only the always-on island runs
    "idle": ActiveSet(),
    # commute with turn-by-turn navigation: HUD arrows outdoors, phone tether, spoken prompts
    "navigation": ActiveSet(soc_awake=True, display_brightness=0.8, phone_link_duty=1.0, speaker_duty=0.05),
    # meeting with live transcription and subtitles on the HUD
    "meeting": ActiveSet(soc_awake=True, asr_full_duty=1.0, display_brightness=0.4),
    # shopping: code/price scans in bursts (camera and vision ~30 % of the time), look-ups
    "shopping": ActiveSet(
        soc_awake=True, camera_fps=15.0, camera_duty=0.3, vision_duty=0.3, display_brightness=0.6, wifi_duty=0.05
    ),
    # music over BT audio with the display off
    "music": ActiveSet(soc_awake=True, ble_audio=True, speaker_duty=1.0),
    # a call: mics + speaker + BT audio, ASR off
    "call": ActiveSet(soc_awake=True, ble_audio=True, speaker_duty=1.0),
    # camera streaming to the stack at its default rate with vision on (the sim rig's default)
    "streaming": ActiveSet(soc_awake=True, camera_fps=15.0, vision_duty=1.0, display_brightness=0.6),
}


# Which measured wear state of bench/e2e.py each activity's software load is.
ACTIVITY_STATE = {
    "idle": "worn_idle", "music": "worn_idle", "call": "worn_idle",
    "meeting": "listening",  # transcription: voice pipeline and ASR working
    "navigation": "busy", "shopping": "busy", "streaming": "busy",
}  # fmt: skip
VISION_NODES = ("code_reader", "text_reader", "product_recognizer")
ASR_NODES = ("asr",)
MEASURED_CPU_FILE = Path(__file__).with_name("stack_cpu.json")


@dataclass(frozen=True)
class StackCpu:
    """Per-node CPU (% of one core) of the stack in each wear state, as bench/e2e.py measured it."""

    states: dict[str, dict[str, float]]
    source: str = ""
    camera_fps: float = 0.0  # the rate the camera streamed at while measured

    @classmethod
    def load(cls, path: str | Path | None = None) -> StackCpu:
        doc = json.loads(Path(path or MEASURED_CPU_FILE).read_text())
        states = {s: {k: float(v) for k, v in nodes.items()} for s, nodes in doc["stack_cpu_pct"].items()}
        missing = {"worn_idle", "listening", "busy"} - set(states)
        if missing:
            raise ValueError(f"{path or MEASURED_CPU_FILE}: no measured CPU for states {sorted(missing)}")
        return cls(states, f"{doc.get('date', '?')}, {doc.get('machine', '?')}", float(doc.get("camera_fps", 0.0)))

    def total(self, state: str) -> float:
        return sum(self.states[state].values())

    def group(self, state: str, nodes: tuple[str, ...]) -> float:
        return sum(v for k, v in self.states[state].items() if k in nodes)


def activity(name: str) -> ActiveSet:
    try:
        return ACTIVITIES[name]
    except KeyError:
        raise ValueError(f"unknown activity {name!r}; known: {sorted(ACTIVITIES)}") from None
