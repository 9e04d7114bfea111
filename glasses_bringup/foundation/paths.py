"""Where the package's shared files (config/, launch/, assets/) are, installed or in a checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = "glasses_stack"
_CHECKOUT = Path(__file__).resolve().parents[2]


def share_dir() -> Path:
    """share/glasses_stack of a colcon/pip install, or the repository root of a checkout."""
    if (_CHECKOUT / "config").is_dir() and (_CHECKOUT / "package.xml").exists():
        return _CHECKOUT
    try:
        from ament_index_python.packages import get_package_share_directory

        return Path(get_package_share_directory(PACKAGE))
    except Exception:
        pass
    candidate = Path(sys.prefix) / "share" / PACKAGE
    if candidate.is_dir():
        return candidate
    raise FileNotFoundError(f"cannot find the {PACKAGE} share directory (config/, launch/)")


def share_path(*parts: str) -> Path:
    return share_dir().joinpath(*parts)


def use_stack_dds_profile() -> None:
    """Fast DDS default: shared memory big enough for images and bursts, UDP on loopback only
    (docs/bringup.md, "Transport"). An explicit FASTDDS_DEFAULT_PROFILES_FILE wins."""
    profile = share_path("config", "dds", "fastdds_shm_loopback.xml")
    if profile.exists():
        os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(profile))
