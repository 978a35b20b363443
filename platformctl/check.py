"""`platformctl check`: every compliance policy over the offline plan of a stack.

The same policy functions the pack registers for `pulumi preview --policy-pack policy`
run here over the recording mock's plan, with the stack's `cloud-platform:compliance`
settings deciding enforcement. Exit 1 when a mandatory policy is violated.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from offline.stacks import merge_overrides, stack_config


@dataclass
class CheckResult:
    stack: str
    policies: int
    resources: int
    violations: list  # list[policy.engine.Violation]

    @property
    def mandatory(self) -> list:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list:
        return [v for v in self.violations if v.enforcement == "advisory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        line = (f"{verdict} check {self.stack}: {self.policies} policies over {self.resources} resources, "
                f"{len(self.mandatory)} mandatory and {len(self.advisory)} advisory violation(s)")
        if self.violations:
            counts = Counter((v.enforcement, v.policy) for v in self.violations)
            line += " [" + ", ".join(f"{policy} x{n} ({level})" for (level, policy), n in counts.items()) + "]"
        return line

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "passed": self.passed,
            "policies": self.policies,
            "resources": self.resources,
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "violations": [v.to_json() for v in self.violations],
        }


def check_plan(plan, settings) -> CheckResult:
    """Evaluate every enabled policy over an offline plan with the stack's validated settings."""
    from policy.engine import context_for, evaluate, from_recorded
    from policy.registry import all_policies

    resources = from_recorded(plan.resources)
    ctx = context_for(settings, plan.stack)
    policies = [p for p in all_policies() if ctx.level(p) != "disabled"]
    return CheckResult(plan.stack, len(policies), len(resources), evaluate(resources, ctx, policies))


def run_check(stack: str, overrides: dict[str, Any] | None = None, root: Path | None = None) -> CheckResult:
    """Plan `stack` offline and check it (raises StackError/SettingsError for the operator)."""
    from components.settings import parse_settings
    from offline import stacks
    from offline.plan import run_offline

    root = root or stacks.ROOT
    settings = parse_settings(merge_overrides(stack_config(stack, root), overrides), stack)
    return check_plan(run_offline(stack, overrides, root=root), settings)


def render(result: CheckResult, console: Console) -> None:
    if result.violations:
        table = Table(title=f"compliance violations: stack {result.stack}", show_lines=True)
        for column in ("level", "policy", "controls", "resource", "violation", "fix"):
            table.add_column(column, overflow="fold")
        for v in result.violations:
            style = "bold red" if v.enforcement == "mandatory" else "yellow"
            resource = f"{v.resource_name}\n{v.resource_type}" if v.resource_name else "(stack)"
            # Messages quote config and code ("[80, 443]"): never read them as rich markup.
            table.add_row(Text(v.enforcement, style=style), *map(Text, (v.policy, v.controls, resource, v.message, v.fix)))
        console.print(table)
    # markup=False: the per-policy counts are in [brackets], which rich would take for tags.
    console.print(result.summary(), style="bold green" if result.passed else "bold red", markup=False)


def command(stack: str, output: str) -> int:
    result = run_check(stack)
    if output == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        render(result, Console(highlight=False, width=None if sys.stdout.isatty() else 220))
    return 0 if result.passed else 1
