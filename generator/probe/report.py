"""Verdicts of the probe's cases and the fidelity report.

Per tool, how many cases succeeded, were rejected as anticipated, or failed unexpectedly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.probe.plan import Case

SUCCESS, REJECTION, UNEXPECTED = "success", "anticipated rejection", "unexpected failure"


@dataclass
class Outcome:
    case: Case
    verdict: str
    detail: str = ""


@dataclass
class Report:
    domain: str
    tools: list[str]
    outcomes: list[Outcome]
    warnings: list[str]

    @property
    def unexpected(self) -> int:
        return sum(o.verdict == UNEXPECTED for o in self.outcomes)

    def by_tool(self) -> dict[str, dict[str, int]]:
        table = {t: {SUCCESS: 0, REJECTION: 0, UNEXPECTED: 0} for t in self.tools}
        for o in self.outcomes:
            table[o.case.tool][o.verdict] += 1
        return table


def print_report(report: Report, console: Any, verbose: bool = False) -> None:
    """The fidelity table, then the failures (and every case with verbose)."""
    from rich.table import Table

    table = Table(title=f"{report.domain}: procedural tests")
    for col in ("tool", SUCCESS, REJECTION, UNEXPECTED):
        table.add_column(col, justify="left" if col == "tool" else "right")
    for tool, row in report.by_tool().items():
        bad = row[UNEXPECTED]
        table.add_row(tool, str(row[SUCCESS]), str(row[REJECTION]), f"[red]{bad}[/]" if bad else "0")
    console.print(table)
    for o in report.outcomes:
        if verbose or o.verdict == UNEXPECTED:
            console.print(f"  {o.verdict}: {o.case.tool} / {o.case.name}: {o.detail}", markup=False)
    for w in report.warnings:
        console.print(f"  warning: {w}", markup=False)
    total = len(report.outcomes)
    ok = total - report.unexpected
    tools_ok = sum(1 for r in report.by_tool().values() if not r[UNEXPECTED])
    console.print(
        f"{report.domain}: {total} cases, {ok} as expected, {report.unexpected} unexpected; "
        f"{tools_ok}/{len(report.tools)} tools with no unexpected failure"
    )

