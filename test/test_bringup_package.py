"""The package builds with colcon (the ROS 2 machine path) and installs what launch needs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COLCON = Path(sys.executable).with_name("colcon")


@pytest.mark.skipif(not COLCON.exists(), reason="colcon is a test dependency: pip install -e '.[test]'")
def test_colcon_build_installs_executables_launch_files_and_the_ament_index(tmp_path):
    from glasses_bringup.registry import NODES

    # A source tree without the venv and build outputs (colcon would scan them).
    src = tmp_path / "src" / "glasses_stack"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "out", "build", "install", "log", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"))
    result = subprocess.run(
        [str(COLCON), "build", "--packages-select", "glasses_stack"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, COLCON_HOME=str(tmp_path / ".colcon")),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    prefix = tmp_path / "install" / "glasses_stack"
    executables = {p.name for p in (prefix / "lib" / "glasses_stack").iterdir()}
    assert set(NODES) | {"glasses"} <= executables
    share = prefix / "share" / "glasses_stack"
    assert {"sim.launch.py", "replay.launch.py", "jetson.launch.py"} <= {p.name for p in (share / "launch").iterdir()}
    assert (share / "package.xml").exists() and (share / "config" / "rigs" / "sim.yaml").exists()
    assert (prefix / "share" / "ament_index" / "resource_index" / "packages" / "glasses_stack").exists()

    # The installed package finds its share directory through the ament index, as `ros2 launch` does.
    site = next((prefix / "lib").glob("python3*/site-packages"))
    probe = subprocess.run(
        [sys.executable, "-c", "from glasses_bringup.foundation.paths import share_dir; print(share_dir())"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(site), AMENT_PREFIX_PATH=str(prefix)),
    )
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()) == share
