"""Monthly cost estimate of an offline plan: `platformctl cost --stack dev|prod`.

The pricing is data: `prices/rules.yaml` says what each resource type costs (lines of
quantity x unit price, with conditions and the usage figures they read), `prices/eu.yaml`
holds the unit prices, `prices/usage.yaml` the per-stack usage assumptions. This module is
the small engine that applies them. Every custom resource is priced, free (listed as such),
or reported as unpriced: nothing that can cost money is dropped silently.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from . import costfacts
from .costmodel import HOURS_PER_MONTH, Estimate, Line, PriceError, money, render_table, to_json_text, unit_price

PRICES_DIR = Path(__file__).resolve().parent / "prices"
__all__ = ["EXPLAIN", "HOURS_PER_MONTH", "Estimate", "Line", "PriceError", "above_minimum", "estimate", "load_prices",
           "load_usage", "money", "render_table", "to_json_text", "unit_price"]


def _read(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PriceError(f"cannot read {what} {path}: {exc}") from None


def load_prices(path: Path = PRICES_DIR / "eu.yaml") -> dict[str, Any]:
    doc = _read(path, "price table")
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), dict):
        raise PriceError(f"price table {path} has no 'regions' mapping")
    return doc


def load_usage(stack: str, path: Path = PRICES_DIR / "usage.yaml") -> dict[str, dict[str, float]]:
    doc = _read(path, "usage profile") or {}
    profile = {k: dict(v) for k, v in (doc.get("defaults") or {}).items()}
    for kind, values in (doc.get(stack) or {}).items():
        profile.setdefault(kind, {}).update(values or {})
    return profile


@cache
def load_rules(path: Path = PRICES_DIR / "rules.yaml") -> dict[str, Any]:
    doc = _read(path, "pricing rules")
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), dict):
        raise PriceError(f"pricing rules {path} have no 'rules' mapping")
    return doc


EXPLAIN: dict[str, str] = load_rules()["explain"]


class MissingPriceError(Exception):
    """No price (or usage figure) for what a resource needs: the resource is reported unpriced."""


# --- expressions ---------------------------------------------------------------------------
# Rules are our own data, but still evaluated as expressions only: no statements, no imports,
# no dunder attributes, and a fixed set of functions.
_FUNCTIONS = {"num": costfacts.num, "len": len, "min": min, "max": max, "sum": sum, "round": round,
              "int": int, "str": str}
_ALLOWED = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.Call, ast.Constant,
            ast.Attribute, ast.Subscript, ast.Name, ast.Load, ast.List, ast.Tuple, ast.Dict, ast.GeneratorExp,
            ast.comprehension, ast.Store, ast.operator, ast.boolop, ast.unaryop, ast.cmpop, ast.keyword)


@cache
def _compile(expression: str):
    try:
        tree = ast.parse(str(expression).strip(), mode="eval")
    except SyntaxError:
        raise PriceError(f"pricing rule expression is not valid: {expression!r}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED) or (isinstance(node, ast.Attribute) and node.attr.startswith("_")):
            raise PriceError(f"pricing rule expression not allowed: {expression!r}")
    return compile(tree, "<rules.yaml>", "eval")


class Scope(dict):
    """Names of one resource's rule: its `let` values, then its inputs (missing input = None)."""

    def __init__(self, inputs: dict[str, Any], **names: Any):
        super().__init__(_FUNCTIONS)
        self.inputs = inputs
        self.update(names)

    def __missing__(self, name: str) -> Any:
        return self.inputs.get(name)

    def eval(self, expression: Any) -> Any:
        if not isinstance(expression, str):
            return expression
        return eval(_compile(expression), {"__builtins__": {}}, self)  # noqa: S307 (whitelisted AST above)

    def text(self, template: Any) -> str:
        """`"EC2 {type}"`, `"{count:g} tasks"`: a string with expressions (and format specs) in braces."""

        def field(match: re.Match) -> str:
            expression, _, spec = match.group(1).partition(":")
            return format(self.eval(expression), spec)

        return re.sub(r"\{([^{}]+)\}", field, str(template))


class Usage:
    """`use.alb.averageLcu` in rules: the stack's usage profile, a missing figure is reported."""

    def __init__(self, profile: dict[str, dict[str, float]], kind: str | None = None):
        self._profile, self._kind = profile, kind

    def __getattr__(self, key: str) -> Any:
        if self._kind is None:
            return Usage(self._profile, key.removesuffix("_"))  # `use.lambda_`: `lambda` is a keyword
        try:
            return float(self._profile[self._kind][key])
        except KeyError:
            raise MissingPriceError(f"usage profile has no {self._kind}.{key}") from None


@dataclass
class Context:
    index: Any  # PlanIndex (None when only prices are looked up)
    prices: dict[str, Any]
    usage: dict[str, dict[str, float]]

    def price(self, region: str, *path: str) -> float:
        node: Any = self.prices["regions"].get(region)
        for key in path:
            if not isinstance(node, dict) or key not in node:
                raise MissingPriceError(f"no price {'.'.join(path)} for {region}")
            node = node[key]
        return float(node)


def price_resource(r, rule: dict[str, Any], ctx: Context, region: str) -> list[Line]:
    """The lines of one resource under its rule (raises MissingPriceError when it cannot be priced)."""
    scope = Scope(r.inputs, hours=HOURS_PER_MONTH, region=region, use=Usage(ctx.usage),
                  facts=costfacts.Facts(r, ctx.index, ctx.usage), price=lambda path: ctx.price(region, *path.split(".")))
    for name, expression in (rule.get("let") or {}).items():
        scope[name] = scope.eval(expression)
    for name, message in (rule.get("require") or {}).items():
        if not scope[name]:
            raise MissingPriceError(scope.text(message))
    lines = []
    for spec in rule.get("lines") or []:
        for item in scope.eval(spec["each"]) if "each" in spec else [None]:
            scope["x"] = item
            if "when" in spec and not scope.eval(spec["when"]):
                continue
            quantity = float(scope.eval(spec["quantity"]))
            # "ec2.{type}": split the path before filling it in (instance types have dots).
            unit_price = ctx.price(region, *map(scope.text, re.split(r"\.(?![^{]*\})", spec["price"])))
            unit_price = round(unit_price * float(scope.eval(spec.get("factor", 1))), 8)
            lines.append(Line(
                component="", region=region, type=r.type, name=r.name, kind=scope.text(spec["kind"]),
                item=scope.text(spec["item"]), quantity=round(quantity, 6), unit=str(spec["unit"]),
                unitPrice=unit_price, monthly=round(quantity * unit_price, 4), basis=spec.get("basis", "fixed"),
                note=scope.text(spec.get("note", "")),
            ))
    return lines


def is_free(type_: str, rules: dict[str, Any] | None = None) -> bool:
    rules = rules or load_rules()
    return type_ not in rules["rules"] and (type_ in rules["free"] or type_.startswith(tuple(rules["freePrefixes"])))


def estimate(plan, prices: dict[str, Any] | None = None, usage: dict[str, dict[str, float]] | None = None,
             free_tier: bool = False) -> Estimate:
    from offline.planindex import PlanIndex

    rules = load_rules()
    prices = prices if prices is not None else load_prices()
    usage = usage if usage is not None else load_usage(plan.stack)
    index = PlanIndex(plan)
    ctx = Context(index, prices, usage)
    lines: list[Line] = []
    unpriced: list[dict[str, str]] = []
    for r in [*index.custom, *index.awsx]:
        component, region = index.component_name(r), index.region(r)
        rule = rules["rules"].get(r.type)
        try:
            if rule is None:
                if is_free(r.type, rules):
                    continue
                raise MissingPriceError("no price rule for this type")
            found = price_resource(r, rule, ctx, region)
        except MissingPriceError as exc:
            unpriced.append({"type": r.type, "name": r.name, "component": component, "region": region,
                             "reason": str(exc)})
            continue
        for line in found:
            line.component = component
        lines.extend(found)
    # Registration order depends on the async engine: sort so JSON and docs are stable.
    lines.sort(key=lambda x: (x.component, x.name, x.item))
    if free_tier:
        lines = apply_free_tier(lines, rules["freeTier"])
    unpriced.sort(key=lambda u: (u["component"], u["name"]))
    counts = Counter(index.component_name(r) for r in index.custom)
    return Estimate(stack=plan.stack, lines=lines, unpriced=unpriced, resource_counts=dict(sorted(counts.items())),
                    retrieved=str(prices.get("retrieved", "")), free_tier=free_tier)


def apply_free_tier(lines: list[Line], allowances: list[dict[str, Any]]) -> list[Line]:
    """Credit lines for the permanent free tiers: each allowance once per account, consumed by the
    matching lines in their sorted order (so the same plan always gets the same credits)."""
    credits = []
    for allowance in allowances:
        left = float(allowance["allowance"])
        for line in lines:
            if left <= 0:
                break
            if line.kind != allowance["kind"] or not fnmatch.fnmatchcase(line.item, allowance["item"]):
                continue
            used = min(left, line.quantity)
            left -= used
            if used > 0:
                credits.append(Line(
                    component=line.component, region=line.region, type=line.type, name=line.name, kind=line.kind,
                    item=f"{line.item} (free tier)", quantity=-round(used, 6), unit=line.unit, unitPrice=line.unitPrice,
                    monthly=-round(used * line.unitPrice, 4), basis=line.basis,
                    note=f"always free: {allowance['what']} per account",
                ))
    return sorted([*lines, *credits], key=lambda x: (x.component, x.name, x.item))


# Instance types that are "the smallest that works" for the course's web servers.
SMALLEST_INSTANCES = frozenset({"t3.nano", "t3.micro", "t4g.nano", "t4g.micro"})


def above_minimum(est: Estimate) -> list[str]:
    """Fixed costs beyond the cheapest stack that still runs every component (the dev cost goal).

    For prod most of these are deliberate (HA egress, capacity); for dev each is a config fix.
    """
    found: list[str] = []
    fixed = [line for line in est.lines if line.basis == "fixed" and line.monthly > 0]
    for line in fixed:
        where = f"`{line.name}` ({line.component}): {money(line.monthly)}/month"
        if line.kind == "nat":
            found.append(f"NAT gateway {where}: natStrategy none + gateway endpoints")
        elif line.kind == "endpoint":
            found.append(f"interface endpoint {where}: gateway endpoints or none")
        elif line.kind == "fargate" and "On-Demand" in line.item:
            found.append(f"Fargate On-Demand {where}: FARGATE_SPOT weight")
        elif line.kind == "instance" and line.item.split()[-1] not in SMALLEST_INSTANCES:
            found.append(f"{line.item} {where}: smallest instance type")
        elif line.kind == "ec2" and (line.quantity > HOURS_PER_MONTH or line.item.split()[-1] not in SMALLEST_INSTANCES):
            found.append(f"{line.item} x {line.quantity / HOURS_PER_MONTH:g} {where}: one smallest instance")
    albs = sorted({line.name for line in fixed if line.kind in ("alb", "nlb")})
    if len(albs) > 1:
        found.append(f"{len(albs)} load balancers ({', '.join(albs)}): share one ALB")
    return found
