"""`make bench`: every benchmark in turn, each printing its own table (PostgreSQL and Redis must be running).

The data sets are loaded on the first run (a few minutes) and reused afterwards; see bench/README.md.
Benchmarks other helpers add (bench/availability.py, booking.py, reminders.py) run too when present.
"""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = ("search.py", "growth.py", "api_load.py", "availability.py", "booking.py", "reminders.py", "fhir_search.py")


def main() -> int:
    failed = []
    for name in ORDER:
        script = BENCH / name
        if not script.exists():
            continue
        print(f"\n===== bench/{name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=BENCH.parent).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
