"""Markdown for a pull-request comment: offline plan summary and cost difference vs a base.

The base is the `cost --format json` output of the target branch (e.g. `main`); the head is
the estimate of the checked-out code. Both carry `resourceCounts` and `byComponent`, so the
comment shows what changed in count and in money per component.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .cost import money


class CompareError(Exception):
    """The base file is missing or not a cost JSON (one line for the operator)."""


def load_base(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise CompareError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise CompareError(f"{path} is not JSON: {exc}") from None
    if not isinstance(doc, dict) or "total" not in doc or "byComponent" not in doc:
        raise CompareError(f"{path} is not the output of `platformctl cost --format json`")
    return doc


def _signed(value: float) -> str:
    if abs(value) < 0.005:
        return "±$0.00"
    return ("+" if value > 0 else "−") + money(abs(value))


def _count_delta(value: int) -> str:
    return f"{value:+d}" if value else "0"


def markdown(head: dict[str, Any], base: dict[str, Any]) -> str:
    stack = head["stack"]
    delta = head["total"] - base["total"]
    out = [f"### Offline plan and cost: `{stack}`", ""]
    out.append(f"**Monthly estimate {money(head['total'])}** ({_signed(delta)} vs base {money(base['total'])}; "
               f"fixed {money(head.get('fixed', 0))}, usage profile {money(head.get('usage', 0))}; USD, "
               f"{head.get('hoursPerMonth', 730)} h)")
    out += ["", "| component | resources | Δ resources | monthly | Δ monthly |", "|---|---:|---:|---:|---:|"]
    counts_h, counts_b = head.get("resourceCounts", {}), base.get("resourceCounts", {})
    cost_h, cost_b = head.get("byComponent", {}), base.get("byComponent", {})
    for component in sorted(set(counts_h) | set(counts_b) | set(cost_h) | set(cost_b)):
        n_h, n_b = counts_h.get(component, 0), counts_b.get(component, 0)
        c_h, c_b = cost_h.get(component, 0.0), cost_b.get(component, 0.0)
        out.append(f"| {component} | {n_h} | {_count_delta(n_h - n_b)} | {money(c_h)} | {_signed(c_h - c_b)} |")
    total_h, total_b = sum(counts_h.values()), sum(counts_b.values())
    out.append(f"| **total** | {total_h} | {_count_delta(total_h - total_b)} | {money(head['total'])} | {_signed(delta)} |")
    changed = _changed_lines(head.get("lines", []), base.get("lines", []))
    if changed:
        out += ["", "<details><summary>Changed cost lines</summary>", "", "| resource | item | base | head | Δ |",
                "|---|---|---:|---:|---:|"]
        for (name, item), (b, h) in changed:
            out.append(f"| `{name}` | {item} | {money(b)} | {money(h)} | {_signed(h - b)} |")
        out += ["", "</details>"]
    if head.get("unpriced"):
        out += ["", f"⚠️ {len(head['unpriced'])} resource(s) could not be priced: "
                + ", ".join(f"`{u['type']}` {u['name']}" for u in head["unpriced"])]
    return "\n".join(out) + "\n"


def _changed_lines(head: list[dict], base: list[dict]) -> list[tuple[tuple[str, str], tuple[float, float]]]:
    def totals(lines):
        acc: dict[tuple[str, str], float] = {}
        for line in lines:
            key = (line["name"], line["item"])
            acc[key] = acc.get(key, 0.0) + line["monthly"]
        return acc

    h, b = totals(head), totals(base)
    return [(key, (b.get(key, 0.0), h.get(key, 0.0))) for key in sorted(set(h) | set(b))
            if abs(h.get(key, 0.0) - b.get(key, 0.0)) >= 0.005]
