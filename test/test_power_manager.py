"""Battery manager core: hot-swap detection and rejection of readings that cannot be true."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.drivers.power.manager import BatteryManager, PackReading, ReadingError
from glasses_bringup.drivers.power.sim_pack import PackBank, SimPack


def reading(slot="left", t=0.0, present=True, v=3.9, i=-0.05, cap=0.28, serial="A", **kw):
    return PackReading(
        slot=slot, present=present, t=t, voltage_v=v, current_a=i, design_capacity_ah=cap, serial=serial, **kw
    )


def test_insert_remove_insert_is_detected_and_reestimated():
    m = BatteryManager()
    (n,) = m.ingest(reading("left", 0.0, v=3.95, i=0.0, serial="A"))
    assert n.kind == "inserted" and n.slot == "left" and 0.6 < n.soc < 0.8
    m.ingest(reading("right", 0.0, v=4.1, i=0.0, serial="B"))
    assert m.swap_state() == "both"
    (n,) = m.ingest(reading("left", 1.0, present=False))
    assert n.kind == "removed" and not math.isnan(n.soc)
    assert m.swap_state() == "right_only"
    c = m.combined()
    assert c.present and c.swap_state == "right_only" and c.soc == pytest.approx(m.slots["right"].soc)
    # a freshly charged pack goes in: the estimate comes from its voltage, not the old pack's
    (n,) = m.ingest(reading("left", 30.0, v=4.17, i=0.0, serial="C"))
    assert n.kind == "inserted" and n.soc > 0.95


def test_pack_changed_between_two_readings_counts_as_swap():
    m = BatteryManager()
    m.ingest(reading("left", 0.0, serial="A"))
    notices = m.ingest(reading("left", 1.0, v=4.15, serial="B"))
    assert [n.kind for n in notices] == ["removed", "inserted"]


@pytest.mark.parametrize(
    "bad, reason",
    [
        (dict(v=math.nan), "nan"),
        (dict(i=math.inf), "nan"),
        (dict(cap=-0.28), "bad_capacity"),
        (dict(cap=0.0), "bad_capacity"),
        (dict(v=7.5), "voltage_out_of_range"),
        (dict(slot="middle"), "unknown_slot"),
        (dict(soc_hint=1.5), "bad_soc"),
    ],
)
def test_bad_readings_are_rejected_and_change_nothing(bad, reason):
    m = BatteryManager()
    m.ingest(reading("left", 0.0, serial="A"))
    before = m.slots["left"].soc
    with pytest.raises(ReadingError) as exc:
        m.ingest(reading(**{"slot": "left", "t": 1.0, "serial": "A", **bad}))
    assert exc.value.reason == reason
    assert m.slots["left"].soc == before and m.slots["left"].present


def test_same_pack_reported_present_twice_is_rejected():
    m = BatteryManager()
    m.ingest(reading("left", 0.0, serial="PK-7"))
    with pytest.raises(ReadingError) as exc:
        m.ingest(reading("right", 0.5, serial="PK-7"))
    assert exc.value.reason == "duplicate_pack"
    assert not m.slots["right"].present


def test_time_running_backwards_is_rejected():
    m = BatteryManager()
    m.ingest(reading("left", 10.0))
    with pytest.raises(ReadingError) as exc:
        m.ingest(reading("left", 9.0))
    assert exc.value.reason == "time_backwards"


def test_silent_slot_is_lost_after_timeout():
    m = BatteryManager(reading_timeout_s=5.0)
    m.ingest(reading("left", 0.0))
    assert m.expire(4.0) == []
    (n,) = m.expire(6.0)
    assert n.kind == "lost" and not m.slots["left"].present


def test_power_path_carries_the_load_through_a_pull():
    bank = PackBank(voltage_noise_v=0, current_noise_a=0)
    bank.insert("left", SimPack("A", soc=0.3))
    bank.insert("right", SimPack("B", soc=0.9))
    m = BatteryManager()
    for r in bank.readings(0.0):
        m.ingest(r)
    assert bank.supplying() == "left"  # the emptier pack is drained first
    bank.pull("left")
    bank.step(0.3, 1.0)
    assert bank.powered() and bank.slots["right"].current_a < 0
    for r in bank.readings(1.0):
        m.ingest(r)
    assert m.swap_state() == "right_only" and m.combined().current_a < 0


readings = st.builds(
    PackReading,
    slot=st.sampled_from(["left", "right", "left", "right", "middle"]),
    present=st.booleans(),
    t=st.floats(0, 1e4) | st.just(math.nan),
    voltage_v=st.floats(-1, 6) | st.sampled_from([math.nan, math.inf]),
    current_a=st.floats(-5, 5) | st.sampled_from([math.nan, -math.inf]),
    temperature_c=st.floats(-40, 90) | st.just(math.nan),
    design_capacity_ah=st.floats(-1, 3) | st.sampled_from([math.nan, math.inf]),
    serial=st.sampled_from(["", "A", "B", "C"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(readings, max_size=40))
def test_any_reading_sequence_keeps_the_manager_consistent(seq):
    m = BatteryManager()
    for r in sorted(seq, key=lambda r: (math.isnan(r.t), r.t)):
        try:
            m.ingest(r)
        except ReadingError as exc:
            assert exc.reason  # rejected with a countable reason, nothing else raised
    present = [s for s in m.slots.values() if s.present]
    serials = [s.serial for s in present if s.serial]
    assert len(serials) == len(set(serials))  # never the same pack in two slots
    for s in present:
        assert 0.0 <= s.soc <= 1.0 and math.isfinite(s.voltage_v)
    c = m.combined()
    assert c.present == bool(present)
    assert (0.0 <= c.soc <= 1.0) if present else math.isnan(c.soc)
