"""GNSS core (no rclpy): NMEA 0183 sentences -> fixes, and a simulated walk with noise and a drop-out.

- ``NmeaDecoder`` splits serial bytes into lines, parses them with pynmea2 and turns GGA
  sentences into ``Fix``es (RMC with status V marks the receiver as without a
  fix). Every bad sentence (checksum, unparsable, out-of-range position) is
  counted by reason and skipped.
- ``SimGnssSource`` renders the scenario's ``walk`` entries: a straight walk from
  a start position at a heading and speed, with Gaussian position noise, and a
  drop-out (under a bridge, indoors) during which it reports no fix.

Covariance follows the usual HDOP model: horizontal sigma = HDOP * UERE,
vertical twice that, diagonal, COVARIANCE_TYPE_APPROXIMATED.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

# sensor_msgs/NavSatStatus and NavSatFix constants (kept here so the core needs no ROS).
STATUS_NO_FIX, STATUS_FIX, STATUS_SBAS_FIX, STATUS_GBAS_FIX = -1, 0, 1, 2
SERVICE_GPS, SERVICE_GLONASS, SERVICE_COMPASS, SERVICE_GALILEO = 1, 2, 4, 8
COVARIANCE_UNKNOWN, COVARIANCE_APPROXIMATED = 0, 1
EARTH_RADIUS_M = 6_371_000.0

GGA_QUALITY = {0: STATUS_NO_FIX, 1: STATUS_FIX, 2: STATUS_SBAS_FIX, 4: STATUS_GBAS_FIX, 5: STATUS_GBAS_FIX,
               6: STATUS_FIX}  # 6: dead reckoning, reported as a plain fix
TALKER_SERVICE = {"GP": SERVICE_GPS, "GL": SERVICE_GLONASS, "GA": SERVICE_GALILEO, "GB": SERVICE_COMPASS,
                  "BD": SERVICE_COMPASS, "GN": SERVICE_GPS | SERVICE_GLONASS | SERVICE_GALILEO | SERVICE_COMPASS}


@dataclass(frozen=True)
class Fix:
    stamp: float
    status: int
    service: int
    latitude: float  # degrees, NaN without a fix
    longitude: float
    altitude: float  # metres above the ellipsoid (NaN if unknown)
    covariance: tuple[float, ...]  # row-major 3x3, ENU metres^2
    covariance_type: int
    satellites: int = 0


def hdop_covariance(hdop: float, uere_m: float) -> tuple[tuple[float, ...], int]:
    if not (math.isfinite(hdop) and hdop > 0):
        return (0.0,) * 9, COVARIANCE_UNKNOWN
    h = (hdop * uere_m) ** 2
    v = (2 * hdop * uere_m) ** 2
    return (h, 0.0, 0.0, 0.0, h, 0.0, 0.0, 0.0, v), COVARIANCE_APPROXIMATED


def no_fix(stamp: float, service: int = SERVICE_GPS) -> Fix:
    return Fix(stamp, STATUS_NO_FIX, service, math.nan, math.nan, math.nan, (0.0,) * 9, COVARIANCE_UNKNOWN)


class NmeaDecoder:
    """Serial bytes -> fixes; bad sentences counted in ``errors`` by reason."""

    MAX_LINE = 120  # NMEA 0183 allows 82 characters; more is noise

    def __init__(self, uere_m: float = 3.0):
        import pynmea2

        self.pynmea2 = pynmea2
        self.uere_m = uere_m
        self.buffer = ""
        self.errors: Counter[str] = Counter()
        self.sentences = 0
        self.last_error = ""
        self.rmc_valid: bool | None = None

    def _error(self, reason: str, detail: str) -> None:
        self.errors[reason] += 1
        self.last_error = f"{reason}: {detail}"[:160]

    def feed(self, data: bytes, stamp: float) -> list[Fix]:
        lines = (self.buffer + data.decode("ascii", errors="replace")).split("\n")
        self.buffer = lines.pop()
        if len(self.buffer) > self.MAX_LINE:
            self._error("overlong", f"{len(self.buffer)} characters without a line end")
            self.buffer = ""
        fixes: list[Fix] = []
        for line in lines:
            line = line.strip()
            if not line:
                continue
            if len(line) > self.MAX_LINE:
                self._error("overlong", f"{len(line)} characters")
                continue
            if not line.startswith("$") or "*" not in line:
                self._error("not_nmea", line[:40])
                continue
            try:
                msg = self.pynmea2.parse(line)
            except self.pynmea2.ChecksumError as exc:
                self._error("bad_checksum", str(exc)[:80])
                continue
            except Exception as exc:  # pynmea2 raises several types on garbage; none may stop the reader
                self._error("unparsable", f"{type(exc).__name__}: {str(exc)[:80]}")
                continue
            self.sentences += 1
            fix = self._sentence(msg, stamp)
            if fix is not None:
                fixes.append(fix)
        return fixes

    def _sentence(self, msg, stamp: float) -> Fix | None:
        kind = type(msg).__name__
        service = TALKER_SERVICE.get(getattr(msg, "talker", ""), SERVICE_GPS)
        if kind == "RMC":
            self.rmc_valid = getattr(msg, "status", "") == "A"
            return None
        if kind != "GGA":
            return None
        try:
            quality = int(msg.gps_qual or 0)
            status = GGA_QUALITY.get(quality, STATUS_FIX)
            if status == STATUS_NO_FIX or self.rmc_valid is False:
                return no_fix(stamp, service)
            lat, lon = float(msg.latitude), float(msg.longitude)
            alt = float(msg.altitude) + float(msg.geo_sep or 0.0) if msg.altitude is not None else math.nan
            hdop = float(msg.horizontal_dil) if msg.horizontal_dil else math.nan
            sats = int(msg.num_sats or 0)
        except (TypeError, ValueError, AttributeError) as exc:
            self._error("bad_field", f"GGA: {exc}")
            return None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or (lat == 0.0 and lon == 0.0):
            self._error("bad_position", f"{lat}, {lon}")
            return None
        cov, cov_type = hdop_covariance(hdop, self.uere_m)
        return Fix(stamp, status, service, lat, lon, alt, cov, cov_type, sats)


# --- scenario action and simulated source ------------------------------------------------


class Walk(BaseModel):
    """Scenario action ``walk``: the wearer walks in a straight line (GNSS positions follow)."""

    model_config = ConfigDict(extra="forbid")
    start: tuple[float, float] = Field(description="latitude, longitude (degrees) where the walk starts")
    heading_deg: float = Field(default=0.0, ge=0.0, lt=360.0, description="0 = north, 90 = east")
    speed_mps: float = Field(default=1.4, gt=0.0, le=15.0)
    duration_s: float = Field(gt=0.0)
    noise_m: float = Field(default=2.5, ge=0.0, le=100.0, description="1-sigma horizontal position noise")
    dropout_at_s: float | None = Field(default=None, ge=0.0, description="seconds into the walk the fix is lost")
    dropout_s: float = Field(default=0.0, ge=0.0, description="how long the fix stays lost")

    @model_validator(mode="after")
    def _check(self) -> Walk:
        lat, lon = self.start
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"start {self.start} is not a latitude, longitude pair")
        return self


def offset_position(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """Position north_m / east_m away (small distances, spherical Earth)."""
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


class SimGnssSource:
    """Fixes at ``rate_hz`` along the scenario's walks, stamped start + k / rate_hz.

    Before the first walk and between walks the wearer stands at the last
    position; without any walk the source reports no fix (no position known).
    """

    def __init__(self, walks: list[tuple[float, Walk]], rate_hz: float, start_s: float, seed: int = 0,
                 uere_m: float = 3.0):
        self.walks = sorted(walks, key=lambda w: w[0])
        self.rate_hz = rate_hz
        self.start_s = start_s
        self.rng = np.random.default_rng(seed)
        self.uere_m = uere_m
        self.next_index = 0

    def truth(self, t: float) -> tuple[float, float] | None:
        """Noise-free position at scenario time t (None before any walk)."""
        pos = None
        for at, walk in self.walks:
            if t < at:
                break
            dist = walk.speed_mps * min(t - at, walk.duration_s)
            heading = math.radians(walk.heading_deg)
            pos = offset_position(walk.start[0], walk.start[1], dist * math.cos(heading), dist * math.sin(heading))
        return pos

    def in_dropout(self, t: float) -> bool:
        for at, walk in self.walks:
            if walk.dropout_at_s is not None and at + walk.dropout_at_s <= t < at + walk.dropout_at_s + walk.dropout_s:
                return True
        return False

    def poll(self, now_s: float) -> list[Fix]:
        due = math.floor((now_s - self.start_s) * self.rate_hz + 1e-9) + 1
        fixes = []
        if due - self.next_index > 10 * self.rate_hz:  # paused: skip ahead, do not flood old fixes
            self.next_index = due - 1
        while self.next_index < due:
            t = self.next_index / self.rate_hz
            stamp = self.start_s + t
            self.next_index += 1
            pos = self.truth(t)
            if pos is None or self.in_dropout(t):
                fixes.append(no_fix(stamp))
                continue
            noise = self.rng.normal(0.0, 1.0, 2) * self._noise_m(t)
            lat, lon = offset_position(pos[0], pos[1], float(noise[0]), float(noise[1]))
            hdop = max(self._noise_m(t) / self.uere_m, 0.5)
            cov, cov_type = hdop_covariance(hdop, self.uere_m)
            fixes.append(Fix(stamp, STATUS_FIX, SERVICE_GPS, lat, lon, 40.0, cov, cov_type, 9))
        return fixes

    def _noise_m(self, t: float) -> float:
        noise = 2.5
        for at, walk in self.walks:
            if t >= at:
                noise = walk.noise_m
        return noise


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
