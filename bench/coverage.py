"""Coverage-gap analysis for the whole city (ownership, patrol, grid gaps and overlaps), as the leaders' map asks
for it. Target: < 1 s at city scale. Baseline in the same run: the registry's tabular ownership report
(`coverage.ownership`), which finds the same unowned features without drawing them.

    .venv/bin/python -m bench.coverage --scale city
"""

from __future__ import annotations

from bench.common import console, ms, p, parser, prepare, timings
from gis.db import transaction
from layers.analytics import gaps
from layers.registry import coverage


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    prepare(args.scale, None)
    with transaction() as s:
        kinds = ["ownership", "patrol", "grid_gap", "grid_overlap"]
        result = gaps.gaps(s, kinds=kinds)
        drawn = timings(lambda: gaps.gaps(s, kinds=kinds), args.repeat)
        tabular = timings(lambda: coverage.ownership(s), args.repeat)
        per_kind = {k: timings(lambda k=k: gaps.gaps(s, kinds=[k]), max(3, args.repeat // 2)) for k in kinds}
    counts = ", ".join(f"{k} {v['count']:,}" for k, v in result["summary"].items())
    console.print(f"[bold]coverage gaps[/bold], scale {args.scale}: {counts}")
    console.print(f"  all four kinds: p50 {ms(p(drawn, 50))}, p95 {ms(p(drawn, 95))} (target < 1 s); "
                  f"tabular ownership report {ms(p(tabular, 50))}")
    for k, v in per_kind.items():
        console.print(f"  {k:<13} {ms(p(v, 50))}")


if __name__ == "__main__":
    main()
