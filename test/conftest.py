"""Test set-up: every ROS process of the run keeps DDS on loopback, in its own domain."""

import os
import sys
import tempfile
from pathlib import Path

# Must be set before rclpy loads: discovery stays on 127.0.0.1; one domain per run.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="glasses_roslog_"))
os.environ.setdefault("GLASSES_EXECUTOR", "events")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import pytest  # noqa: E402


@pytest.fixture
def ros():
    """A running rclpy harness (glasses_bringup.foundation.testing.RosHarness), shut down after the test."""
    from glasses_bringup.foundation.testing import RosHarness

    harness = RosHarness()
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
