"""Walking navigation: "navigate to the train station" -> route on the offline map ->
turn-by-turn cards (S1) and speech (G1) from GNSS fixes -> re-route -> arrival.

The destination is a saved place ("home"), a category ("nearest pharmacy", 最近的药店:
the nearest three by air are routed and the shortest walk wins), a street address
("Mannerheimintie 22") or a place name in any language the map holds ("Kiasma"). A
request waits for the map (loaded on a worker thread) and a position (a fresh fix
from ``gnss/fix``) for up to ``wait_s``. Heading comes from the IMU orientation when
its yaw is trusted (covariance), else from the course between fixes; it turns the
first instruction into "turn around" when the wearer faces away from the route.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from glasses_agent import cards
from glasses_agent.backends.maps import MapError, Place, RoutePlan, WalkMap, load_map, parse_address
from glasses_agent.skills.base import Outcome
from glasses_agent.skills.guidance import (
    GuidanceConfig,
    GuidanceEvent,
    GuidanceSession,
    Maneuver,
    angle_diff,
    bearing_deg,
    compass_index,
    haversine_m,
)

# category words (EN / ZH) -> OSM tags; "amenity" alone = any value
CATEGORIES: dict[str, tuple[str, ...]] = {
    "pharmacy": ("amenity=pharmacy",), "chemist": ("amenity=pharmacy",), "drugstore": ("amenity=pharmacy",),
    "药店": ("amenity=pharmacy",), "药房": ("amenity=pharmacy",),
    "train station": ("railway=station",), "railway station": ("railway=station",), "station": ("railway=station",),
    "火车站": ("railway=station",), "车站": ("railway=station",),
    "metro station": ("railway=subway",), "subway station": ("railway=subway",), "metro": ("railway=subway",),
    "subway": ("railway=subway",), "地铁站": ("railway=subway",), "地铁": ("railway=subway",),
    "bus stop": ("highway=bus_stop",), "公交站": ("highway=bus_stop",), "公交车站": ("highway=bus_stop",),
    "cafe": ("amenity=cafe",), "coffee": ("amenity=cafe",), "coffee shop": ("amenity=cafe",), "咖啡店": ("amenity=cafe",),
    "咖啡馆": ("amenity=cafe",), "restaurant": ("amenity=restaurant",), "餐厅": ("amenity=restaurant",),
    "饭店": ("amenity=restaurant",), "fast food": ("amenity=fast_food",), "快餐": ("amenity=fast_food",),
    "bar": ("amenity=bar", "amenity=pub"), "pub": ("amenity=pub", "amenity=bar"), "酒吧": ("amenity=bar", "amenity=pub"),
    "atm": ("amenity=atm",), "cash machine": ("amenity=atm",), "取款机": ("amenity=atm",), "提款机": ("amenity=atm",),
    "bank": ("amenity=bank",), "银行": ("amenity=bank",), "toilet": ("amenity=toilets",), "toilets": ("amenity=toilets",),
    "restroom": ("amenity=toilets",), "bathroom": ("amenity=toilets",), "厕所": ("amenity=toilets",),
    "洗手间": ("amenity=toilets",), "卫生间": ("amenity=toilets",), "library": ("amenity=library",),
    "图书馆": ("amenity=library",), "post office": ("amenity=post_office",), "邮局": ("amenity=post_office",),
    "hospital": ("amenity=hospital", "amenity=clinic"), "clinic": ("amenity=clinic", "amenity=doctors"),
    "医院": ("amenity=hospital", "amenity=clinic"), "dentist": ("amenity=dentist",), "牙医": ("amenity=dentist",),
    "supermarket": ("shop=supermarket",), "grocery store": ("shop=supermarket", "shop=convenience"),
    "超市": ("shop=supermarket",), "convenience store": ("shop=convenience", "shop=kiosk"),
    "便利店": ("shop=convenience", "shop=kiosk"), "hotel": ("tourism=hotel", "tourism=hostel"),
    "酒店": ("tourism=hotel", "tourism=hostel"), "宾馆": ("tourism=hotel", "tourism=hostel"),
    "museum": ("tourism=museum",), "博物馆": ("tourism=museum",), "park": ("leisure=park", "leisure=garden"),
    "公园": ("leisure=park", "leisure=garden"), "taxi stand": ("amenity=taxi",), "taxi rank": ("amenity=taxi",),
    "出租车站": ("amenity=taxi",), "bike rental": ("amenity=bicycle_rental",), "cinema": ("amenity=cinema",),
    "电影院": ("amenity=cinema",), "theatre": ("amenity=theatre",), "theater": ("amenity=theatre",),
    "剧院": ("amenity=theatre",), "bookshop": ("shop=books",), "bookstore": ("shop=books",), "书店": ("shop=books",),
}  # fmt: skip
NEAREST = re.compile(r"^(?:the |a |an |some )?(?:nearest|closest|nearby|next|near) |^(?:离我)?(?:最近|附近)的?|^一个|^一家")
STOP_WORDS = re.compile(r"\b(?:stop|cancel|end|quit|exit|finish)\b|停止|结束|取消|退出|关闭")


class MapProvider:
    """The walking map, loaded once on a worker thread (``start``) or given ready (tests)."""

    def __init__(self, area: str = "helsinki", bbox: list[float] | None = None, cache_dir: str = "",
                 loader: Callable[..., WalkMap] = load_map, walk_map: WalkMap | None = None):  # fmt: skip
        self.area, self.bbox, self.cache_dir, self.loader = area, bbox, cache_dir, loader
        self.map: WalkMap | None = walk_map
        self.error: MapError | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.map is None and self._thread is None:
            self._thread = threading.Thread(target=self._load, name="map_loader", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            self.map = self.loader(self.area, self.bbox or None, self.cache_dir or None)
        except MapError as exc:
            self.error = exc
        except Exception as exc:  # a broken extract must give a card, not a silent dead thread
            self.error = MapError("map_load_failed", f"{type(exc).__name__}: {exc}")

    def get(self) -> WalkMap | None:
        self.start()
        return self.map

    def wait(self, timeout: float | None = None) -> WalkMap | None:
        self.start()
        if self._thread is not None:
            self._thread.join(timeout)
        return self.map


@dataclass
class Fix:
    lat: float
    lon: float
    accuracy_m: float
    stamp: float  # sensor time
    at: float  # agent clock when received


class Heading:
    """Compass heading of the wearer: IMU yaw when trusted, else the course over ground."""

    def __init__(self, offset_deg: float = 0.0, max_yaw_stddev_deg: float = 30.0, min_course_m: float = 4.0):
        self.offset_deg = offset_deg
        self.max_var = math.radians(max_yaw_stddev_deg) ** 2
        self.min_course_m = min_course_m
        self.imu: float | None = None
        self.course: float | None = None
        self._anchor: tuple[float, float] | None = None

    def on_imu(self, yaw_enu_rad: float, yaw_variance: float) -> None:
        """REP-103 yaw (0 = east, counter-clockwise); ignored when its variance says it is unknown."""
        if math.isfinite(yaw_enu_rad) and 0.0 <= yaw_variance <= self.max_var:
            self.imu = (90.0 - math.degrees(yaw_enu_rad) + self.offset_deg) % 360.0
        else:
            self.imu = None

    def on_fix(self, lat: float, lon: float) -> None:
        if self._anchor is None:
            self._anchor = (lat, lon)
            return
        if haversine_m(*self._anchor, lat, lon) >= self.min_course_m:
            self.course = bearing_deg(*self._anchor, lat, lon)
            self._anchor = (lat, lon)

    def value(self) -> float | None:
        return self.imu if self.imu is not None else self.course


@dataclass
class Request:
    destination: str
    lang: str
    turn_id: int
    deadline: float
    told_waiting: bool = False


@dataclass
class Active:
    place: Place
    label: str
    session: GuidanceSession
    plan: RoutePlan
    lang: str
    turn_id: int
    reroutes: int = 0
    last_fix_at: float = 0.0
    gps_lost: bool = False
    log: list[dict] = field(default_factory=list)


@dataclass
class NavConfig:
    guidance: GuidanceConfig = field(default_factory=GuidanceConfig)
    wait_s: float = 60.0  # a request waits this long for the map and a position
    fix_max_age_s: float = 10.0  # an older fix is no position to start from
    fix_timeout_s: float = 8.0  # no fix this long during guidance -> "GPS signal lost" (once)
    walk_speed_mps: float = 1.3
    turn_around_deg: float = 120.0  # facing this far from the first leg -> "turn around"


class NavigateSkill:
    """Navigation requests, guidance from fixes, re-routing and arrival; returns Outcomes."""

    def __init__(self, maps: MapProvider, saved=None, config: NavConfig | None = None, heading: Heading | None = None):
        self.maps = maps
        self.saved = saved
        self.config = config or NavConfig()
        self.heading = heading or Heading()
        self.fix: Fix | None = None
        self.request: Request | None = None
        self.active: Active | None = None
        self.turn_id = 0  # dialogue turn of the navigation request: its cards and actions belong to it

    # -- inputs -------------------------------------------------------------------------

    def handle(self, slots: dict, utterance: str, lang: str, now: float, turn_id: int) -> Outcome:
        """The ``navigate`` intent."""
        # the parser gives a named place as destination and "the nearest pharmacy" as category
        destination = str(slots.get("destination") or slots.get("category") or "").strip()
        if not destination:
            if STOP_WORDS.search(utterance or ""):
                return self.stop(lang)
            return Outcome(replies=[cards.reply("ask_destination", lang)])
        self.request = Request(destination, lang, turn_id, now + self.config.wait_s)
        self.turn_id = turn_id
        self.maps.start()
        outcome = self._try_start(now)
        if outcome is not None:
            return outcome
        self.request.told_waiting = True
        waiting_for = "map" if self.maps.map is None else "position"
        return Outcome(replies=[cards.reply("nav_waiting", lang, destination=destination, what=cards.word(waiting_for, lang))],
                       actions=[("navigate", "waiting", {"destination": destination, "for": waiting_for})])  # fmt: skip

    def on_fix(self, lat: float, lon: float, accuracy_m: float, stamp: float, now: float) -> list[Outcome]:
        if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            return []
        self.fix = Fix(lat, lon, accuracy_m, stamp, now)
        self.heading.on_fix(lat, lon)
        out: list[Outcome] = []
        if self.request is not None:
            started = self._try_start(now)
            if started is not None:
                out.append(started)
        active = self.active
        if active is None:
            return out
        active.last_fix_at = now
        active.gps_lost = False
        for event in active.session.on_fix(lat, lon, accuracy_m, stamp):
            outcome = self._on_event(active, event, now)
            if outcome is not None:
                out.append(outcome)
        return out

    def on_imu_yaw(self, yaw_enu_rad: float, yaw_variance: float) -> None:
        self.heading.on_imu(yaw_enu_rad, yaw_variance)

    def tick(self, now: float) -> list[Outcome]:
        out: list[Outcome] = []
        if self.request is not None:
            started = self._try_start(now)
            if started is not None:
                out.append(started)
            elif now > self.request.deadline or self.maps.error is not None:
                out.append(self._give_up(self.request))
        active = self.active
        if active is not None and not active.gps_lost and now - active.last_fix_at > self.config.fix_timeout_s:
            active.gps_lost = True
            step = active.session.next_step()
            out.append(Outcome(replies=[cards.reply("nav_gps_lost", active.lang, instruction=instruction(step, active.lang))],
                               actions=[("navigate", "gps_lost", {"since_s": round(now - active.last_fix_at, 1)})]))  # fmt: skip
        return out

    def stop(self, lang: str) -> Outcome:
        if self.active is None and self.request is None:
            return Outcome(replies=[cards.reply("nothing_to_cancel", lang)])
        label = self.active.label if self.active else self.request.destination
        self.active, self.request = None, None
        return Outcome(replies=[cards.reply("nav_stopped", lang, destination=label)],
                       actions=[("navigate", "stopped", {"destination": label})])  # fmt: skip

    @property
    def navigating(self) -> bool:
        return self.active is not None or self.request is not None

    # -- internals ----------------------------------------------------------------------

    def _give_up(self, request: Request) -> Outcome:
        self.request = None
        if self.maps.error is not None:
            reason = self.maps.error.reason
            return Outcome(replies=[cards.reply("nav_no_map", request.lang, reason=reason)],
                           actions=[("navigate", "refused", {"reason": reason})], failed=True)  # fmt: skip
        reason = "no_map" if self.maps.map is None else "no_position"
        return Outcome(replies=[cards.reply("nav_no_position" if reason == "no_position" else "nav_no_map", request.lang,
                                            reason=reason)],  # fmt: skip
                       actions=[("navigate", "refused", {"reason": reason, "destination": request.destination})],
                       failed=True)  # fmt: skip

    def _position(self, now: float) -> Fix | None:
        fix = self.fix
        return fix if fix is not None and now - fix.at <= self.config.fix_max_age_s else None

    def _try_start(self, now: float) -> Outcome | None:
        """Route the waiting request if the map and a fresh position are there; None = keep waiting."""
        request, walk, fix = self.request, self.maps.map, self._position(now)
        if request is None or walk is None or fix is None:
            return None
        self.request = None
        lang = request.lang
        if not walk.contains(fix.lat, fix.lon):
            return Outcome(replies=[cards.reply("nav_outside_area", lang)],
                           actions=[("navigate", "refused", {"reason": "outside_map", "lat": fix.lat, "lon": fix.lon})],
                           failed=True)  # fmt: skip
        try:
            place, plan = self._resolve_and_route(walk, request.destination, lang, (fix.lat, fix.lon))
        except MapError as exc:
            return Outcome(replies=[cards.reply("nav_no_route", lang, destination=request.destination)],
                           actions=[("navigate", "refused", {"reason": exc.reason, "destination": request.destination})],
                           failed=True)  # fmt: skip
        if place is None:
            return Outcome(replies=[cards.reply("unknown_place", lang, what=request.destination)],
                           actions=[("navigate", "refused", {"reason": "unknown_place", "destination": request.destination})],
                           failed=True)  # fmt: skip
        label = place.label_in(lang) or request.destination
        plan.route.destination = label
        session = GuidanceSession(plan.route, self.config.guidance)
        self.active = Active(place, label, session, plan, lang, request.turn_id, last_fix_at=now)
        first = session.steps[0]
        facing = self.heading.value()
        turn_around = facing is not None and abs(angle_diff(facing, first.bearing)) >= self.config.turn_around_deg
        text = instruction(first, lang, turn_around=turn_around)
        minutes = max(1, round(plan.length_m / self.config.walk_speed_mps / 60.0))
        card = cards.reply("nav_start", lang, destination=label, distance=cards.distance(plan.length_m, lang),
                           minutes=minutes, instruction=text,
                           lines=[f"{cards.ARROW_TURN_AROUND if turn_around else first.arrow} {text}"])  # fmt: skip
        details = {"destination": label, "category": place.category, "address": place.address,
                   "lat": round(place.lat, 6), "lon": round(place.lon, 6), "length_m": round(plan.length_m, 1),
                   "maneuvers": len(session.steps), "route_ms": round(plan.compute_ms, 2), "turn_around": turn_around}  # fmt: skip
        return Outcome(replies=[card], actions=[("navigate", "started", details)])

    def _resolve_and_route(self, walk: WalkMap, text: str, lang: str, here: tuple[float, float]):
        query = NEAREST.sub("", text.strip().lower()).strip()
        if self.saved is not None:
            found = self.saved.find(query)
            if found is not None:
                name, lat, lon, label = found
                place = Place(cards.word(name, lang), "saved", lat, lon, label)
                return place, walk.route(here, (lat, lon), place.label)
        categories = CATEGORIES.get(query) or CATEGORIES.get(re.sub(r"s$", "", query))
        if categories:
            best: tuple[Place, RoutePlan] | None = None
            for place in walk.by_category(categories, here, k=3):
                plan = walk.route(here, (place.lat, place.lon), place.label)
                if best is None or plan.length_m < best[1].length_m:
                    best = (place, plan)
            return best if best is not None else (None, None)
        address = parse_address(query)
        place = walk.by_address(*address) if address else None
        if place is None:
            named = walk.by_name(text, near=here)
            place = named[0] if named else walk.by_address(query)
        if place is None:
            return None, None
        return place, walk.route(here, (place.lat, place.lon), place.label)

    def _on_event(self, active: Active, event: GuidanceEvent, now: float) -> Outcome | None:
        lang = active.lang
        if event.kind == "announce":
            step = event.maneuver
            text = instruction(step, lang)
            details = {"index": step.index, "kind": step.kind, "street": step.street,
                       "distance_m": round(event.distance_m, 1), "remaining_m": round(event.remaining_m, 1)}  # fmt: skip
            active.log.append(details)
            return Outcome(replies=[cards.reply("nav_turn", lang, arrow=step.arrow, distance=cards.distance(event.distance_m, lang),
                                                instruction=text, remaining=cards.distance(event.remaining_m, lang))],
                           actions=[("navigate", "turn", details)])  # fmt: skip
        if event.kind == "missed":
            return Outcome(actions=[("navigate", "turn_missed", {"index": event.maneuver.index, "kind": event.maneuver.kind})])
        if event.kind == "arrived":
            self.active = None
            return Outcome(replies=[cards.reply("nav_arrived", lang, destination=active.label)],
                           actions=[("navigate", "arrived", {"destination": active.label, "reroutes": active.reroutes,
                                                             "length_m": round(active.plan.length_m, 1)})],
                           completed=True)  # fmt: skip
        if event.kind == "reroute":
            fix = self.fix
            walk = self.maps.map
            try:
                plan = walk.route((fix.lat, fix.lon), (active.place.lat, active.place.lon), active.label)
            except MapError as exc:
                self.active = None
                return Outcome(replies=[cards.reply("nav_no_route", lang, destination=active.label)],
                               actions=[("navigate", "refused", {"reason": exc.reason})], failed=True)  # fmt: skip
            active.plan = plan
            active.session = GuidanceSession(plan.route, self.config.guidance)
            active.reroutes += 1
            first = active.session.steps[0]
            facing = self.heading.value()
            turn_around = facing is not None and abs(angle_diff(facing, first.bearing)) >= self.config.turn_around_deg
            text = instruction(first, lang, turn_around=turn_around)
            return Outcome(replies=[cards.reply("nav_reroute", lang, distance=cards.distance(plan.length_m, lang),
                                                instruction=text)],
                           actions=[("navigate", "rerouted", {"off_route_m": round(event.distance_m, 1),
                                                              "length_m": round(plan.length_m, 1),
                                                              "reroutes": active.reroutes})])  # fmt: skip
        return None


def instruction(step: Maneuver, lang: str, turn_around: bool = False) -> str:
    """Wearer-facing text of one maneuver (words from cards)."""
    compass = compass_index(step.bearing) if step.kind == "depart" else None
    return cards.nav_instruction(step.kind, step.street, compass, lang, turn_around=turn_around)
