"""Run every benchmark in bench/ (or the one named) in its own process.

Each bench/<name>.py writes bench/results/<name>.json: a flat object of named
figures, units in the names, plus "machine" and "date".
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in ("run", "common"))
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONPATH=str(HERE.parent))
    failed = []
    for name in names:
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"bench: no benchmark named {name!r}", file=sys.stderr)
            return 2
        print(f"== bench {name}", flush=True)
        if subprocess.call([sys.executable, str(script)], env=env) != 0:
            failed.append(name)
    if failed:
        print("bench: failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
