"""Service back-ends: interfaces (base), the embedded SQLite sandbox (default) and an HTTP client."""

from __future__ import annotations

from pathlib import Path


def default_db_path() -> Path:
    """~/.local/share/glasses_stack/agent.sqlite (XDG_DATA_HOME respected)."""
    import os

    root = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return root / "glasses_stack" / "agent.sqlite"


def make_services(backend: str = "sqlite", db_path: str = "", services_url: str = "", speed: float = 1.0):
    """The configured back-end: "sqlite" (sandbox at db_path) or "http" (services_url)."""
    if backend == "http":
        if not services_url:
            raise ValueError("backend 'http' needs services_url")
        from glasses_agent.backends.http import HttpBackend

        return HttpBackend(services_url)
    from glasses_agent.backends.sqlite import SqliteSandbox

    return SqliteSandbox(db_path or default_db_path(), speed=speed)
