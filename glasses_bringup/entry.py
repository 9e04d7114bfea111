"""Console entry points of the node executables (`ros2 run glasses_stack NODE`, .venv/bin/NODE).

Each entry point sets the stack's DDS environment and only then imports its node
module (which loads rclpy): discovery on this machine
(ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST) and the stack's Fast DDS profile
(shared memory, UDP on 127.0.0.1 only), each unless the user has set it. A node
started on its own therefore behaves as one started by `glasses up`.
This module must not import rclpy.
"""

from __future__ import annotations

import functools
import importlib
import os

from glasses_bringup.foundation.paths import use_stack_dds_profile
from glasses_bringup.registry import NODES


def prepare_dds_environment() -> None:
    """Before rclpy loads: keep DDS on this machine unless the user chose otherwise."""
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    use_stack_dds_profile()


def run(executable: str, args: list[str] | None = None) -> int:
    """Set the DDS environment, then run the node of ``executable`` (a registry name)."""
    prepare_dds_environment()
    module = importlib.import_module(NODES[executable].split(":")[0])
    return module.main(args)


def __getattr__(name: str):
    """``glasses_bringup.entry:camera`` and so on: one entry point per registry node."""
    if name in NODES:
        return functools.partial(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
