"""A ROS domain of its own for a test run or a benchmark on a shared machine.

Two test runs (or a run and a benchmark) in the same domain see each other's
topics and mix up. ``claim_free_domain`` takes an exclusive lock on a file per
domain id and holds it for the life of the process, so concurrent runs on one
machine never share a domain. Standard library only: it runs before rclpy loads
(ROS_DOMAIN_ID is read when the context starts).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

_held: list = []  # open lock files, closed (released) when the process exits


def claim_free_domain(first: int = 1, count: int = 100, lock_dir: str | Path | None = None) -> int:
    """A domain id in [first, first + count) that no other process on this machine holds."""
    folder = Path(lock_dir or Path(tempfile.gettempdir()) / "glasses_stack_ros_domains")
    folder.mkdir(parents=True, exist_ok=True)
    start = os.getpid() % count
    for k in range(count):
        domain = first + (start + k) % count
        handle = open(folder / f"{domain}.lock", "w")  # noqa: SIM115 - held open for the life of the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _held.append(handle)
        return domain
    raise RuntimeError(f"all ROS domains {first}..{first + count - 1} are held by other runs on this machine")
