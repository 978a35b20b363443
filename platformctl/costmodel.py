"""What a cost estimate is (lines, totals, JSON) and how it is shown (`platformctl cost`)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

HOURS_PER_MONTH = 730
FREE_TIER_NOTE = {
    True: "free tier: applied (--free-tier: the permanent AWS allowances, once per account)",
    False: "free tier: not applied (default: list prices; --free-tier applies the permanent AWS allowances)",
}


class PriceError(Exception):
    """The price table, usage profile or pricing rules are unusable (one line for the operator)."""


@dataclass
class Line:
    component: str
    region: str
    type: str
    name: str
    kind: str
    item: str
    quantity: float
    unit: str
    unitPrice: float  # noqa: N815 (JSON field name)
    monthly: float
    basis: str  # "fixed" (runs 730 h whatever the traffic) or "usage" (from the usage profile)
    note: str = ""


@dataclass
class Estimate:
    stack: str
    lines: list[Line]
    unpriced: list[dict[str, str]]
    resource_counts: dict[str, int]
    retrieved: str = ""
    free_tier: bool = False
    by_component: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.component] += line.monthly
        self.by_component = {k: round(v, 2) for k, v in sorted(totals.items())}

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)

    def basis_total(self, basis: str) -> float:
        return round(sum(line.monthly for line in self.lines if line.basis == basis), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "currency": "USD",
            "hoursPerMonth": HOURS_PER_MONTH,
            "pricesRetrieved": self.retrieved,
            "freeTier": self.free_tier,
            "lines": [asdict(line) for line in self.lines],
            "byComponent": self.by_component,
            "fixed": self.basis_total("fixed"),
            "usage": self.basis_total("usage"),
            "total": self.total,
            "unpriced": self.unpriced,
            "resourceCounts": self.resource_counts,
        }


def money(value: float) -> str:
    return f"${value:,.2f}"


def unit_price(value: float) -> str:
    """Unit prices in plain decimals ($0.0000166667, not 1.66667e-05)."""
    return "$" + (f"{value:.10f}".rstrip("0").rstrip(".") if value else "0")


def render_table(est: Estimate, console) -> None:
    from rich.table import Table

    by_component: dict[str, list[Line]] = defaultdict(list)
    for line in est.lines:
        by_component[line.component].append(line)
    for component in sorted(by_component):
        table = Table(title=f"{component}  {money(est.by_component[component])}/month", title_justify="left",
                      show_edge=False, pad_edge=False)
        for col in ("resource", "item", "quantity", "unit price", "monthly", "note"):
            table.add_column(col, justify="right" if col in ("quantity", "unit price", "monthly") else "left",
                             overflow="fold")
        for line in sorted(by_component[component], key=lambda x: (-x.monthly, x.name)):
            table.add_row(_short(line.name, component), line.item, f"{line.quantity:,.4g} {line.unit}",
                          unit_price(line.unitPrice), money(line.monthly), line.note)
        console.print(table)
        console.print()
    console.print(
        f"fixed {money(est.basis_total('fixed'))} + usage {money(est.basis_total('usage'))} "
        f"= [bold]total {money(est.total)}/month[/bold] (USD, {HOURS_PER_MONTH} h, prices of {est.retrieved})"
    )
    console.print(FREE_TIER_NOTE[est.free_tier])
    if est.unpriced:
        console.print(f"[yellow]{len(est.unpriced)} unpriced resource(s):[/yellow]")
        for u in est.unpriced:
            console.print(f"  {u['type']}  {u['name']}  ({u['reason']})")


def _short(name: str, component: str) -> str:
    """Resource name without its component's prefix: `nat-a` under `cloud-platform-prod-network`."""
    return name[len(component) + 1 :] if name.startswith(component + "-") else name


def to_json_text(est: Estimate) -> str:
    return json.dumps(est.to_json(), indent=2) + "\n"
