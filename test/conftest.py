"""Test set-up: every ROS process of the run keeps DDS on loopback, in its own domain."""

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from glasses_bringup.foundation.ros.domain import claim_free_domain  # noqa: E402 - stdlib only, before rclpy

# Must be set before rclpy loads: discovery stays on 127.0.0.1; a domain no other run on this machine holds.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_DOMAIN_ID", str(claim_free_domain(1, 100)))
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="glasses_roslog_"))
os.environ.setdefault("GLASSES_EXECUTOR", "events")

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
