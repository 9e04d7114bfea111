"""Pack health from capacity fade and temperature, as sensor_msgs/BatteryState codes.

Capacity fade is the learned full capacity over the design capacity. 80 % is the
usual end-of-life mark for consumer Li-ion (IEC 61960 cycle-life criterion); below
``dead_below`` the pack can no longer carry the stack between swaps.
"""

from __future__ import annotations

import math

# sensor_msgs/BatteryState POWER_SUPPLY_HEALTH_* values (kept here so cores need no rclpy)
HEALTH_UNKNOWN, HEALTH_GOOD, HEALTH_OVERHEAT, HEALTH_DEAD, HEALTH_COLD = 0, 1, 2, 3, 6
STATUS_UNKNOWN, STATUS_CHARGING, STATUS_DISCHARGING, STATUS_NOT_CHARGING, STATUS_FULL = 0, 1, 2, 3, 4
TECHNOLOGY_LIPO = 4  # POWER_SUPPLY_TECHNOLOGY_LIPO


def health_code(
    capacity_fraction: float,
    temperature_c: float = math.nan,
    dead_below: float = 0.6,
    hot_above_c: float = 60.0,
    cold_below_c: float = 0.0,
) -> int:
    """POWER_SUPPLY_HEALTH_* of a pack; temperature (when measured) wins over fade."""
    if not math.isnan(temperature_c):
        if temperature_c > hot_above_c:
            return HEALTH_OVERHEAT
        if temperature_c < cold_below_c:
            return HEALTH_COLD
    if math.isnan(capacity_fraction):
        return HEALTH_UNKNOWN
    return HEALTH_DEAD if capacity_fraction < dead_below else HEALTH_GOOD


def status_code(current_a: float, soc: float, present: bool, full_soc: float = 0.995) -> int:
    """POWER_SUPPLY_STATUS_* from the sign of the current (negative = discharging)."""
    if not present or math.isnan(current_a):
        return STATUS_UNKNOWN
    if current_a < -1e-4:
        return STATUS_DISCHARGING
    if current_a > 1e-4:
        return STATUS_FULL if soc >= full_soc else STATUS_CHARGING
    return STATUS_FULL if soc >= full_soc else STATUS_NOT_CHARGING
