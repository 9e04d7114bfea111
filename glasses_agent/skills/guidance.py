"""Turn-by-turn guidance along a walking route, driven by GNSS fixes (no rclpy).

``maneuvers(route)`` cuts a route (a polyline of latitude / longitude points with the
street of each segment) into instructions: head off, turn, bear, U-turn, arrive,
each with an arrow for the HUD and its distance along the route. A
``GuidanceSession`` then follows the wearer's fixes: it snaps each fix onto the
route, keeps the distance walked, announces every maneuver once when it comes
within ``announce_m``, notices when the wearer has left the route (farther than
``off_route_m`` for ``off_route_s``) and asks for a new route, and says when the
destination is reached. Distances are metres on a local tangent plane, which is
exact enough across a city.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

EARTH_RADIUS_M = 6_371_008.8

# turn angle (degrees, + = right) -> kind; arrows for the HUD
ARROWS = {
    "depart": "↑", "straight": "↑", "slight_right": "↗", "right": "→", "sharp_right": "↘",
    "slight_left": "↖", "left": "←", "sharp_left": "↙", "uturn": "↶", "arrive": "◎", "turn_around": "↓",
}  # fmt: skip
COMPASS_EN = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")
COMPASS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial compass bearing (0 = north, clockwise) from point 1 to point 2."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def angle_diff(a: float, b: float) -> float:
    """Signed smallest difference b - a in degrees, in (-180, 180]."""
    d = (b - a + 180.0) % 360.0 - 180.0
    return 180.0 if d == -180.0 else d


def compass_index(bearing: float) -> int:
    return int(((bearing % 360.0) + 22.5) // 45.0) % 8


class LocalPlane:
    """Equirectangular projection around a reference point: (lat, lon) <-> (east, north) metres."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.kx = math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
        self.ky = math.radians(1.0) * EARTH_RADIUS_M

    def xy(self, lat, lon):
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * self.ky

    def latlon(self, x, y):
        return self.lat0 + np.asarray(y) / self.ky, self.lon0 + np.asarray(x) / self.kx


@dataclass
class Route:
    """A walking route: points from start to destination and the street of each segment."""

    lats: list[float]
    lons: list[float]
    streets: list[str]  # one per segment (len(points) - 1); "" when the way has no name
    destination: str = ""
    node_path: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.lats) != len(self.lons) or len(self.lats) < 1:
            raise ValueError("a route needs matching latitude / longitude lists with at least one point")
        if len(self.streets) != max(0, len(self.lats) - 1):
            raise ValueError("a route needs one street name per segment")
        seg = [haversine_m(self.lats[i], self.lons[i], self.lats[i + 1], self.lons[i + 1]) for i in range(len(self.lats) - 1)]
        self.cumulative = np.concatenate([[0.0], np.cumsum(seg)]) if seg else np.zeros(1)

    @property
    def length_m(self) -> float:
        return float(self.cumulative[-1])


@dataclass
class Maneuver:
    index: int  # position in the list: 0 = depart, last = arrive
    kind: str  # depart, slight_left, left, sharp_left, uturn, slight_right, right, sharp_right, arrive
    at_m: float  # distance along the route
    lat: float
    lon: float
    street: str  # street walked after the maneuver ("" unknown)
    bearing: float  # compass bearing walked after the maneuver (depart) or turn angle (turns)

    @property
    def arrow(self) -> str:
        return ARROWS[self.kind]


def turn_kind(angle: float) -> str:
    """Maneuver kind of a signed turn angle in degrees (+ = right)."""
    a = abs(angle)
    side = "right" if angle > 0 else "left"
    if a < 35.0:
        return "straight"
    if a < 60.0:
        return f"slight_{side}"
    if a < 120.0:
        return side
    if a < 160.0:
        return f"sharp_{side}"
    return "uturn"


def _bearing_window(route: Route, at: float, before: bool, span_m: float) -> float:
    """Bearing of the route over ``span_m`` before (or after) the distance ``at``: smooths tiny kinks."""
    cum = route.cumulative
    target = max(0.0, at - span_m) if before else min(route.length_m, at + span_m)
    lat_a, lon_a = point_at(route, min(at, target))
    lat_b, lon_b = point_at(route, max(at, target))
    return bearing_deg(lat_a, lon_a, lat_b, lon_b) if cum[-1] > 0 else 0.0


def point_at(route: Route, s: float) -> tuple[float, float]:
    """Latitude / longitude at distance ``s`` along the route (linear within a segment)."""
    cum = route.cumulative
    s = min(max(s, 0.0), float(cum[-1]))
    i = int(np.searchsorted(cum, s, side="right") - 1)
    if i >= len(cum) - 1:
        return route.lats[-1], route.lons[-1]
    span = cum[i + 1] - cum[i]
    f = (s - cum[i]) / span if span > 0 else 0.0
    return (route.lats[i] + f * (route.lats[i + 1] - route.lats[i]), route.lons[i] + f * (route.lons[i + 1] - route.lons[i]))


def maneuvers(route: Route, min_turn_deg: float = 35.0, merge_m: float = 12.0, span_m: float = 8.0) -> list[Maneuver]:
    """Instructions of a route: depart, every turn of at least ``min_turn_deg``, arrive.

    Turn angles are measured over ``span_m`` on either side of a vertex, and turns closer
    than ``merge_m`` to the previous one are merged into it, so the kinks of a mapped
    footway do not become instructions.
    """
    n = len(route.lats)
    first_street = route.streets[0] if route.streets else ""
    depart_bearing = _bearing_window(route, 0.0, False, span_m)
    out = [Maneuver(0, "depart", 0.0, route.lats[0], route.lons[0], first_street, depart_bearing)]
    for i in range(1, n - 1):
        at = float(route.cumulative[i])
        if at < merge_m / 2 or route.length_m - at < merge_m / 2:
            continue
        angle = angle_diff(_bearing_window(route, at, True, span_m), _bearing_window(route, at, False, span_m))
        if abs(angle) < min_turn_deg:
            continue
        prev = out[-1]
        if prev.kind != "depart" and at - prev.at_m < merge_m:
            continue  # the same corner, measured again at its next vertex
        out.append(Maneuver(len(out), turn_kind(angle), at, route.lats[i], route.lons[i], route.streets[i], angle))
    out.append(Maneuver(len(out), "arrive", route.length_m, route.lats[-1], route.lons[-1], route.destination, 0.0))
    return out


@dataclass
class GuidanceEvent:
    """What one fix produced: ``kind`` is announce, reroute, arrived, off_route_pending."""

    kind: str
    maneuver: Maneuver | None = None
    distance_m: float = 0.0  # to the maneuver (announce) or to the route (reroute)
    remaining_m: float = 0.0  # along the route to the destination


@dataclass
class GuidanceConfig:
    announce_m: float = 35.0  # a maneuver is announced once when it comes this close
    arrive_m: float = 15.0  # closer than this to the destination is arrival
    off_route_m: float = 30.0  # farther than this from the route (plus the fix's error, capped) ...
    off_route_s: float = 2.0  # ... for this long, on two fixes at least, asks for a new route
    max_accuracy_m: float = 50.0  # fixes worse than this are ignored
    lookback_m: float = 40.0  # progress may step back this much (noise); farther back is a new snap


class GuidanceSession:
    """Follows fixes along one route; ``on_fix`` returns the events to tell the wearer."""

    def __init__(self, route: Route, config: GuidanceConfig | None = None, steps: list[Maneuver] | None = None):
        self.route = route
        self.config = config or GuidanceConfig()
        self.steps = steps if steps is not None else maneuvers(route)
        self.plane = LocalPlane(route.lats[0], route.lons[0])
        x, y = self.plane.xy(route.lats, route.lons)
        self._x, self._y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        self.progress_m = 0.0
        self.announced = 1  # maneuvers with index < announced have been told (depart: by the start card)
        self.arrived = False
        self.off_since: float | None = None
        self.off_fixes = 0
        self.cross_track_m = 0.0

    def snap(self, lat: float, lon: float) -> tuple[float, float]:
        """(distance along the route, distance from it) of a position; progress-aware."""
        px, py = self.plane.xy(lat, lon)
        if len(self._x) == 1:
            return 0.0, float(math.hypot(px - self._x[0], py - self._y[0]))
        ax, ay, bx, by = self._x[:-1], self._y[:-1], self._x[1:], self._y[1:]
        dx, dy = bx - ax, by - ay
        seg2 = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(seg2 > 0, seg2, 1.0), 0.0, 1.0)
        cx, cy = ax + t * dx, ay + t * dy
        dist = np.hypot(px - cx, py - cy)
        along = self.route.cumulative[:-1] + t * np.sqrt(seg2)
        # Prefer the part of the route around the progress so far: where a route passes the
        # same corner twice, the later pass must not snap back to the earlier one.
        window = along >= self.progress_m - self.config.lookback_m
        penalty = np.where(window, 0.0, 1e3)
        i = int(np.argmin(dist + penalty))
        return float(along[i]), float(dist[i])

    def on_fix(self, lat: float, lon: float, accuracy_m: float, t: float) -> list[GuidanceEvent]:
        if self.arrived or not (math.isfinite(lat) and math.isfinite(lon)):
            return []
        accuracy = accuracy_m if math.isfinite(accuracy_m) and accuracy_m > 0 else 5.0
        if accuracy > self.config.max_accuracy_m:
            return []
        along, off = self.snap(lat, lon)
        self.cross_track_m = off
        remaining = self.route.length_m - max(self.progress_m, along)
        to_destination = math.hypot(*(np.subtract(self.plane.xy(lat, lon), (self._x[-1], self._y[-1]))))
        if to_destination <= self.config.arrive_m or (remaining <= self.config.arrive_m and off <= self.config.off_route_m):
            self.arrived = True
            return [GuidanceEvent("arrived", self.steps[-1], 0.0, 0.0)]
        if off > self.config.off_route_m + min(accuracy, 20.0):
            if self.off_since is None:
                self.off_since = t
            self.off_fixes += 1
            if t - self.off_since >= self.config.off_route_s and self.off_fixes >= 2:
                return [GuidanceEvent("reroute", None, off, remaining)]
            return [GuidanceEvent("off_route_pending", None, off, remaining)]
        self.off_since, self.off_fixes = None, 0
        self.progress_m = max(self.progress_m, along)
        events = []
        # Announce the next maneuvers that are now close; one passed unannounced (a drop-out)
        # is skipped: telling a turn after it is behind the wearer only confuses.
        while self.announced < len(self.steps) - 1:  # the last one is arrival, told by "arrived"
            step = self.steps[self.announced]
            ahead = step.at_m - self.progress_m
            if ahead < -self.config.arrive_m:
                self.announced = step.index + 1
                events.append(GuidanceEvent("missed", step, ahead, remaining))
                continue
            if ahead <= self.config.announce_m:
                self.announced = step.index + 1
                events.append(GuidanceEvent("announce", step, max(0.0, ahead), remaining))
                continue
            break
        return events

    def next_step(self) -> Maneuver:
        return self.steps[min(self.announced, len(self.steps) - 1)]

    def distance_to_next(self) -> float:
        return max(0.0, self.next_step().at_m - self.progress_m)

    def remaining_m(self) -> float:
        return max(0.0, self.route.length_m - self.progress_m)
