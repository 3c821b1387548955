"""Seconds to compile and procedurally test each domain (aim: < 10 s for a 50-tool domain).

The baseline in the same run is the compile alone, so the ratio shows what testing adds.

    python bench/build_and_probe.py [DOMAIN ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.compile.build import compile_domain  # noqa: E402
from generator.probe.run import run_probe  # noqa: E402
from generator.spec.load import DOMAINS  # noqa: E402


def main() -> None:
    names = sys.argv[1:] or sorted(p.stem for p in DOMAINS.glob("*.yaml"))
    print(f"{'domain':<12} {'tools':>5} {'cases':>6} {'compile s':>10} {'probe s':>8} {'total s':>8} {'total/compile':>14}")
    for name in names:
        start = time.perf_counter()
        build = compile_domain(name)
        compiled = time.perf_counter() - start
        report = run_probe(name, build)
        total = time.perf_counter() - start
        print(f"{name:<12} {len(build.ir.tools):>5} {len(report.outcomes):>6} {compiled:>10.2f} "
              f"{total - compiled:>8.2f} {total:>8.2f} {total / compiled:>13.1f}x"
              + (f"  ({report.unexpected} unexpected)" if report.unexpected else ""))


if __name__ == "__main__":
    main()
