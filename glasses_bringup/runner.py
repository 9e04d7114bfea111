"""`glasses up`: run a rig composed in one process (default) or one process per node.

Composed mode builds every node of the rig in this process and spins them on one
EventsExecutor (lowest latency and CPU: no serialization between processes on
the same participant host). ``--isolated`` starts one process per node and
respawns those marked ``respawn``. Both read the same rig file as
launch/*.launch.py.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from glasses_bringup.bag import BagError
from glasses_bringup.bag_profiles import ProfileError, add_remap_arguments, image_transport_for, prepare_remaps
from glasses_bringup.drivers.sim.scenario import ScenarioError, load
from glasses_bringup.foundation.paths import share_path
from glasses_bringup.registry import NODES
from glasses_bringup.rig import NodeSpec, Rig, RigError, load_rig, node_parameters


@dataclass
class PlannedNode:
    spec: NodeSpec
    namespace: str
    parameters: dict[str, Any]
    params_file: Path | None
    remappings: dict[str, str] = field(default_factory=dict)

    @property
    def follows_scenario_clock(self) -> bool:
        """A simulated source whose data are timed from the shared scenario start."""
        return self.spec.parameters.get("scenario_start") == "$(scenario_start)"


def parse_sets(sets: list[str]) -> dict[str, dict[str, Any]]:
    """--set NODE.PARAM=VALUE (VALUE parsed as YAML) -> {node: {param: value}}."""
    out: dict[str, dict[str, Any]] = {}
    for item in sets:
        key, sep, value = item.partition("=")
        node, dot, param = key.partition(".")
        if not sep or not dot or not node or not param:
            raise RigError(f"--set wants NODE.PARAM=VALUE, got {item!r}")
        out.setdefault(node, {})[param] = yaml.safe_load(value)
    return out


def plan(rig: Rig, variant: str, context: dict[str, Any], sets: dict[str, dict[str, Any]]) -> list[PlannedNode]:
    """The nodes to run with their final parameters; unknown executables are an error."""
    planned = []
    names = {n.name for n in rig.nodes_for(variant)}
    unknown_sets = set(sets) - names
    if unknown_sets:
        raise RigError(f"--set names nodes not in the rig: {sorted(unknown_sets)}")
    for spec in rig.nodes_for(variant):
        if spec.executable not in NODES:
            raise RigError(f"rig {rig.name}: node {spec.name} has unknown executable {spec.executable!r}")
        params = node_parameters(rig, spec, context)
        params.update(sets.get(spec.name, {}))
        planned.append(
            PlannedNode(spec, spec.namespace or rig.namespace, params, rig.params_path(spec), dict(spec.remappings))
        )
    return planned


def live_view_node(address: str) -> NodeSpec:
    """The Foxglove bridge as a rig node, from HOST:PORT (or PORT)."""
    host, _, port = address.rpartition(":")
    try:
        port_number = int(port)
    except ValueError:
        raise RigError(f"--live-view wants HOST:PORT, got {address!r}") from None
    return NodeSpec(name="foxglove_bridge", executable="foxglove_bridge",
                    parameters={"host": host or "127.0.0.1", "port": port_number})


def replay_image_transport(bag: str, remap: dict[str, str]) -> str:
    """'compressed' when the replayed camera is only image_transport's JPEG stream."""
    from glasses_bringup.bag import topics_and_types
    from glasses_bringup.bag_profiles import output_topic

    return image_transport_for([output_topic(t, remap) for t in topics_and_types(bag)])


def node_class(executable: str):
    module, cls = NODES[executable].split(":")
    return getattr(importlib.import_module(module), cls)


def ros_args(p: PlannedNode) -> list[str]:
    args = ["--ros-args"]
    if p.params_file is not None:
        args += ["--params-file", str(p.params_file)]
    for src, dst in p.remappings.items():
        args += ["-r", f"{src}:={dst}"]
    return args


def to_parameters(values: dict[str, Any]):
    from rclpy.parameter import Parameter

    return [Parameter(k, value=v) for k, v in values.items()]


# --------------------------------------------------------------------------------------


def add_arguments(parser) -> None:
    parser.add_argument("--rig", default="sim", help="rig name (config/rigs/NAME.yaml) or path")
    parser.add_argument("--variant", choices=("s1", "g1"), help="glasses variant (default: the rig's)")
    parser.add_argument("--scenario", help="scenario file for the sim rig (default: the demo scenario)")
    parser.add_argument("--bag", help="bag directory or .mcap file to replay (replay rig)")
    parser.add_argument("--rate", type=float, default=1.0, help="replay rate factor")
    add_remap_arguments(parser)
    parser.add_argument("--duration", type=float, help="stop after this many seconds of scenario time")
    parser.add_argument("--record", metavar="OUT_DIR", help="record every topic into a rosbag2 MCAP bag")
    parser.add_argument("--record-raw", action="store_true",
                        help="with --record: also store raw camera frames (default: the JPEG stream only)")
    parser.add_argument("--live-view", nargs="?", const="127.0.0.1:8765", metavar="HOST:PORT",
                        help="add the Foxglove bridge (live view) to the rig; default 127.0.0.1:8765")
    parser.add_argument("--isolated", action="store_true", help="one process per node, with respawn")
    parser.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE",
                        help="override a node parameter (repeatable)")
    parser.add_argument("--startup", type=float,
                        help="seconds from start-up to scenario t=0 (composed: after models load, default 1; isolated: 6)")
    parser.add_argument("--executor", choices=("events", "single", "multi"), default="events")
    parser.add_argument("--list", action="store_true", help="print the planned nodes and exit")


def run(args) -> int:
    # glasses_bringup.cli.main (the only way in: `glasses up`, `glasses demo`) has set the
    # DDS environment: discovery on localhost and the stack's Fast DDS profile.
    try:
        rig = load_rig(args.rig)
        if getattr(args, "live_view", None):
            rig.nodes.append(live_view_node(args.live_view))
        variant = args.variant or rig.variant
        scenario_path = None
        duration = args.duration
        if rig.needs_scenario:
            scenario_path = Path(args.scenario or share_path("config", "scenarios", "demo.yaml")).resolve()
            scenario = load(scenario_path)
            if args.variant is None:
                variant = scenario.variant
            duration = duration if duration is not None else scenario.duration_s
        if rig.replay is not None and not args.bag:
            raise RigError(f"rig {rig.name} replays a bag: give --bag DIR")
        remap: dict[str, str] = {}
        image_transport = "raw"
        if args.bag:
            remap = prepare_remaps(args.bag, args.profile, args.remap, rig.namespace,
                                   log=lambda text: print(f"glasses up: {text}", file=sys.stderr, flush=True))
            image_transport = replay_image_transport(args.bag, remap)
        startup = args.startup if args.startup is not None else (6.0 if args.isolated else 1.0)
        run_dir = Path(tempfile.mkdtemp(prefix="glasses_run_"))
        context = {
            "scenario": str(scenario_path or ""),
            "scenario_start": time.time() + startup,
            "variant": variant,
            "run_dir": str(run_dir),
            "image_transport": image_transport,  # replay rig: what the bag's camera stream is
            "remap": remap,
        }
        planned = plan(rig, variant, context, parse_sets(args.set))
    except (RigError, ScenarioError, ProfileError, BagError) as exc:
        print(f"glasses up: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for p in planned:
            print(f"{p.namespace}/{p.spec.name}: {p.spec.executable} {p.parameters}")
        return 0
    print(f"glasses up: rig {rig.name} ({variant}), {len(planned)} nodes, "
          f"{'isolated' if args.isolated else 'composed'}", flush=True)
    runner = IsolatedRun if args.isolated else ComposedRun
    return runner(planned, context, args, rig, duration).run()


class _RunBase:
    def __init__(self, planned, context, args, rig: Rig, duration):
        self.planned = planned
        self.context = context
        self.args = args
        self.rig = rig
        self.duration = duration
        self.stop_requested = False
        self.recorder = None
        self.replayer = None

    def deadline(self, replayer) -> float | None:
        if self.duration is not None:
            return self.context["scenario_start"] + self.duration + 1.5
        return None

    def finished(self, replayer, deadline) -> bool:
        if self.stop_requested:
            return True
        if deadline is not None and time.time() >= deadline:
            return True
        return replayer is not None and replayer.done and time.time() >= replayer.done_at + 1.5

    def extras(self, executor_nodes: list):
        """Recorder and replayer run in this process in both modes."""
        recorder = replayer = None
        if self.args.record:
            from glasses_bringup.recorder import Recorder

            recorder = Recorder(self.args.record, raw_images=getattr(self.args, "record_raw", False))
            executor_nodes.append(recorder)
        if self.args.bag:
            from glasses_bringup.replayer import Replayer

            replayer = Replayer(
                self.args.bag, topics=self.rig.replay.topics if self.rig.replay else None,
                rate=self.args.rate, namespace=self.rig.namespace,
                # the nodes are built by now: give them the start-up time from here, so the first
                # words of the bag are not played to a recognizer still loading its model
                start_at=max(self.context["scenario_start"], time.time() + (self.args.startup or 1.0)),
                remap=self.context.get("remap"),
            )
            executor_nodes.append(replayer)
        return recorder, replayer

    def spin(self, nodes: list, on_tick=None) -> None:
        """Add recorder/replayer, spin all nodes until the run is over (duration, bag end, SIGTERM)."""
        import rclpy

        from glasses_bringup.foundation.ros.node_base import make_executor

        self.recorder, self.replayer = self.extras(nodes)
        executor = make_executor(self.args.executor)
        for node in nodes:
            executor.add_node(node)
        if self.replayer is not None:
            self.replayer.start()
        deadline = self.deadline(self.replayer)
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stop_requested", True))
        while rclpy.ok() and not self.finished(self.replayer, deadline):
            executor.spin_once(timeout_sec=0.05)
            if on_tick is not None:
                on_tick()

    def teardown(self, nodes: list, code: int) -> int:
        """Stop the replayer, close the bag, destroy nodes, shut rclpy down; returns the exit code."""
        import rclpy

        if self.replayer is not None:
            self.replayer.stop()
            code = code or self.replayer.exit_code()
            for topic, reason in sorted(self.replayer.skipped_topics.items()):
                print(f"glasses up: not replayed {topic}: {reason}", file=sys.stderr, flush=True)
        if self.recorder is not None:
            self.recorder.close()
        for node in nodes:
            try:
                node.destroy_node()
            except Exception:
                pass
        if rclpy.ok():
            rclpy.shutdown()
        return code


class ComposedRun(_RunBase):
    def run(self) -> int:
        import rclpy
        from rclpy.executors import ExternalShutdownException

        from glasses_bringup.foundation.ros.node_base import start_node

        rclpy.init(args=[])
        nodes: list = []
        code = 0
        try:
            # Nodes that load models come up first; the scenario clock starts only when they
            # are ready, so simulated speech and frames are not played to nodes still loading.
            early = [p for p in self.planned if not p.follows_scenario_clock]
            late = [p for p in self.planned if p.follows_scenario_clock]
            for group in (early, late):
                if group is late:
                    self.context["scenario_start"] = time.time() + (self.args.startup or 1.0)
                    for p in late:
                        p.parameters["scenario_start"] = self.context["scenario_start"]
                built = []
                for p in group:
                    cls = node_class(p.spec.executable)
                    built.append(cls(
                        node_name=p.spec.name, namespace=p.namespace,
                        parameter_overrides=to_parameters(p.parameters), cli_args=ros_args(p),
                    ))
                for node in built:
                    start_node(node)
                nodes += built
            self.spin(nodes)
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        except Exception as exc:  # a node that cannot start: say which and why
            print(f"glasses up: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = 1
        finally:
            code = self.teardown(nodes, code)
        return code


class IsolatedRun(_RunBase):
    def command(self, p: PlannedNode, params_dir: Path) -> list[str]:
        inline = params_dir / f"{p.spec.name}.yaml"
        inline.write_text(yaml.safe_dump({"/**": {"ros__parameters": p.parameters}}))
        args = ros_args(p) + ["-r", f"__node:={p.spec.name}", "-r", f"__ns:={p.namespace}",
                              "--params-file", str(inline)]
        return [sys.executable, "-c", f"import sys; from glasses_bringup.entry import run; sys.exit(run({p.spec.executable!r}))",
                *args]

    def run(self) -> int:
        import rclpy

        from glasses_bringup.supervision import Child, Supervisor, make_node

        params_dir = Path(self.context["run_dir"])
        procs: dict[str, subprocess.Popen] = {}
        restarts: dict[str, float] = {}
        by_name = {p.spec.name: p for p in self.planned}
        env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE=os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST"))
        full_name = {p.spec.name: f"{p.namespace.rstrip('/')}/{p.spec.name}" for p in self.planned}
        supervisor = Supervisor([Child(full_name[p.spec.name], p.spec.respawn, p.spec.respawn_delay_s,
                                       p.spec.no_respawn_reason) for p in self.planned])  # fmt: skip
        for p in self.planned:
            procs[p.spec.name] = subprocess.Popen(self.command(p, params_dir), env=env)
            supervisor.started(full_name[p.spec.name], procs[p.spec.name].pid, time.time())
        rclpy.init(args=[])
        extra_nodes: list = [make_node(supervisor)]
        code = 0

        def watch() -> None:
            nonlocal code
            for name, proc in list(procs.items()):
                rc = proc.poll()
                if rc is None:
                    continue
                spec = by_name[name].spec
                if name not in restarts:  # just exited: report it once
                    line = supervisor.exited(full_name[name], rc, time.time(), stopping=self.stop_requested)
                    print(f"glasses up: {line}", file=sys.stderr, flush=True)
                    restarts[name] = time.time() + spec.respawn_delay_s
                    if not spec.respawn:
                        procs.pop(name)
                        restarts.pop(name)
                        code = code or (1 if rc != 0 else 0)
                        continue
                if time.time() >= restarts[name] and not self.stop_requested:
                    procs[name] = subprocess.Popen(self.command(by_name[name], params_dir), env=env)
                    supervisor.started(full_name[name], procs[name].pid, time.time())
                    print(f"glasses up: {full_name[name]} respawned (pid {procs[name].pid})", file=sys.stderr, flush=True)
                    restarts.pop(name)

        try:
            self.spin(extra_nodes, on_tick=watch)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
            for proc in procs.values():
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
            code = self.teardown(extra_nodes, code)
        return code
