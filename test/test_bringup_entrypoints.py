"""Node executables: names that shadow no system command, and the stack's DDS set-up when started on their own."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from glasses_bringup import entry, registry
from glasses_bringup.foundation.ros.domain import claim_free_domain

REPO = Path(__file__).resolve().parents[1]


def script_names() -> list[str]:
    return [s.split("=")[0].strip() for s in registry.console_scripts()]


def test_no_console_script_shadows_a_system_command():
    shadowing = [(name, d) for name in script_names() for d in ("/usr/bin", "/bin") if (Path(d) / name).exists()]
    assert shadowing == []
    assert {"touch_input", "hud_display"} <= set(script_names())


def test_every_node_entry_point_goes_through_the_dds_set_up():
    for script in registry.console_scripts():
        name, target = (part.strip() for part in script.split("="))
        if name in registry.NODES:
            assert target == f"glasses_bringup.entry:{name}"
            assert callable(getattr(entry, name))
    installed = Path(sys.executable).with_name("camera")
    if installed.exists():  # the venv's script, as pip wrote it
        assert "glasses_bringup.entry" in installed.read_text()


PROBE = """
import os
SEEN = (os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE"), os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE"))
import rclpy  # noqa: E402,F401  (what a node module does first)

def main(args=None):
    print(*SEEN, sep="|")
    return 0
"""


@pytest.mark.parametrize("user_range", [None, "OFF"])
def test_the_environment_is_set_before_the_node_module_loads_rclpy(tmp_path, user_range):
    (tmp_path / "probe_node.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k not in ("ROS_AUTOMATIC_DISCOVERY_RANGE", "FASTDDS_DEFAULT_PROFILES_FILE")}
    if user_range:
        env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = user_range
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    code = ("import sys; from glasses_bringup import entry; entry.NODES['probe'] = 'probe_node:Probe'; "
            "sys.exit(entry.probe())")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen_range, profile = result.stdout.strip().split("|")
    assert seen_range == (user_range or "LOCALHOST")  # the user's choice wins
    assert profile.endswith("config/dds/fastdds_shm_loopback.xml") and Path(profile).exists()


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
def test_a_node_started_on_its_own_listens_on_loopback_only(tmp_path):
    domain = claim_free_domain(201, 30)  # a domain of its own: the port check must see only this node
    env = {k: v for k, v in os.environ.items() if k not in ("ROS_AUTOMATIC_DISCOVERY_RANGE", "FASTDDS_DEFAULT_PROFILES_FILE")}
    env.update(ROS_DOMAIN_ID=str(domain), ROS_LOG_DIR=str(tmp_path), PYTHONPATH=str(REPO))
    # .venv/bin/orientation_filter is this, as pip writes it
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from glasses_bringup.entry import orientation_filter; "
                             "sys.exit(orientation_filter())"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ports = {7400 + 250 * domain + offset for offset in (0, 1, 10, 11, 12, 13, 14, 15)}
        bound: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not bound:
            time.sleep(0.5)
            out = subprocess.run(["ss", "-lunpaH"], capture_output=True, text=True).stdout
            bound = [line.split()[3] for line in out.splitlines() if f"pid={proc.pid}," in line]
        assert bound, "the node opened no UDP socket"
        well_known = [addr for addr in bound if int(addr.rsplit(":", 1)[1]) in ports]
        assert well_known and all(addr.startswith("127.0.0.1:") for addr in well_known), bound
        tcp = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
        assert not [line for line in tcp.splitlines() if f"pid={proc.pid}," in line]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_concurrent_runs_claim_different_ros_domains(tmp_path):
    held = [claim_free_domain(1, 3, lock_dir=tmp_path) for _ in range(3)]
    assert sorted(held) == [1, 2, 3]  # each claim holds its domain for the life of the process
    code = ("import sys; from glasses_bringup.foundation.ros.domain import claim_free_domain as c; "
            f"print(c(1, 4, lock_dir={str(tmp_path)!r}))")
    other = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(REPO)),
                           capture_output=True, text=True, timeout=60)
    assert other.returncode == 0 and other.stdout.strip() == "4", other.stderr  # another process gets the free one
    with pytest.raises(RuntimeError, match="held by other runs"):
        claim_free_domain(1, 3, lock_dir=tmp_path)
