"""The settings reference, generated from the pydantic models that validate the stack files.

Each field's docstring (the string right under it) is its description, its annotation and
constraints say what is allowed, its default is the model's, and the dev and prod columns
are read from the shipped stack files through the same parser `pulumi up` uses. `make docs`
writes the tables into docs/settings.md and the `config:` descriptions of Pulumi.yaml, so
neither can drift from the code.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from components.settings import NAMESPACE, Settings, parse_settings
from offline.stacks import stack_config

# Not from the `cloud-platform:` namespace (Pulumi's stack, the standard aws:region).
OUTSIDE_NAMESPACE = {"stack", "region"}
STACKS = ("dev", "prod")


@dataclass(frozen=True)
class Row:
    key: str
    allowed: str
    default: str
    description: str
    values: dict[str, str]


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The settings models inside an annotation (`X`, `X | None`, `list[X]`, `dict[str, X]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{v}`" for v in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin in (list, tuple, set, frozenset):
        (inner, *_) = typing.get_args(annotation) or (Any,)
        return f"list of {_type_name(inner)}"
    if origin is dict:
        return f"map to {_type_name(typing.get_args(annotation)[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return getattr(annotation, "__name__", str(annotation)).replace("Strict", "").lower()


def allowed(field: FieldInfo) -> str:
    parts = [_type_name(field.annotation)]
    for m in field.metadata:
        for kind, sign, attr in ((Ge, ">=", "ge"), (Gt, ">", "gt"), (Le, "<=", "le"), (Lt, "<", "lt")):
            if isinstance(m, kind):
                parts.append(f"{sign} {getattr(m, attr)}")
        if isinstance(m, MinLen):
            parts.append(f"length >= {m.min_length}")
        if isinstance(m, MaxLen):
            parts.append(f"length <= {m.max_length}")
        if getattr(m, "pattern", None):
            parts.append(f"matches `{m.pattern}`")
    return ", ".join(parts).replace("|", "\\|").replace("\\\\|", "\\|")


def _shown(value: Any) -> str:
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, BaseModel):
        return ""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) if len(value) <= 4 else f"{len(value)} entries"
    if isinstance(value, dict):
        return f"{len(value)} entries"
    return str(value).replace("|", "\\|")


@functools.cache
def docstrings(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> its docstring, for `model` and the sections it inherits from.

    Read from the source here, for the docs only: pydantic's `use_attribute_docstrings` would
    do the same at import in every plan (components/settings/base.py).
    """
    found: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if cls is BaseModel or not issubclass(cls, BaseModel):
            continue
        body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
        for field, text in zip(body, body[1:], strict=False):
            if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                    and isinstance(text, ast.Expr) and isinstance(text.value, ast.Constant)
                    and isinstance(text.value.value, str)):
                found[field.target.id] = inspect.cleandoc(text.value.value)
    return found


def _description(model: type[BaseModel], name: str) -> str:
    text = model.model_fields[name].description or docstrings(model).get(name, "")
    return " ".join(text.split()).replace("|", "\\|")


def _value_at(settings: BaseModel | None, path: list[str]) -> Any:
    value: Any = settings
    for name in path:
        value = getattr(value, name, None) if isinstance(value, BaseModel) else None
    return value


def rows(model: type[BaseModel], stacks: dict[str, Settings] | None = None,
         path: tuple[tuple[str, str], ...] = ()) -> Iterator[Row]:
    """One row per leaf key of `model` (nested sections flattened into dotted keys)."""
    stacks = stacks or {}
    for name, field in model.model_fields.items():
        if not path and name in OUTSIDE_NAMESPACE:
            continue
        here = (*path, (name, field.alias or name))
        nested = _models(field.annotation)
        # A section (or an optional one): document its keys, not the section itself.
        if nested and typing.get_origin(field.annotation) not in (list, dict):
            yield from rows(nested[0], stacks, here)
            continue
        attr_path = [n for n, _ in here]
        default = field.default if field.default_factory is None else field.default_factory()
        yield Row(
            key=".".join(alias for _, alias in here),
            allowed=allowed(field),
            default=_shown(default),
            description=_description(model, name),
            values={stack: _shown(_value_at(s, attr_path)) for stack, s in stacks.items()},
        )


def shipped_settings() -> dict[str, Settings]:
    return {stack: parse_settings(stack_config(stack), stack=stack) for stack in STACKS}


def sections() -> dict[str, tuple[type[BaseModel] | None, FieldInfo]]:
    """Top-level key -> (its section model, or None for a plain value; its field)."""
    return {
        (field.alias or name): ((_models(field.annotation) or [None])[0], field)
        for name, field in Settings.model_fields.items() if name not in OUTSIDE_NAMESPACE
    }


def reference(stacks: dict[str, Settings] | None = None) -> str:
    """Markdown: one table per top-level key of the `cloud-platform:` namespace."""
    stacks = stacks if stacks is not None else shipped_settings()
    out: list[str] = []
    plain = [r for r in rows(Settings, stacks) if "." not in r.key]
    out += _table("Top level", plain, stacks)
    for key, (model, _field) in sections().items():
        if model is None:
            continue
        found = [r for r in rows(Settings, stacks) if r.key.startswith(key + ".")]
        title = f"`{key}`" + (f" — {' '.join(model.__doc__.split())}" if model.__doc__ else "")
        out += _table(title, found, stacks)
    return "\n".join(out).rstrip()


def _table(title: str, found: list[Row], stacks: dict[str, Settings]) -> list[str]:
    head = "| key | allowed | default | " + " | ".join(stacks) + " | meaning |"
    rule = "|---|---|---|" + "---|" * len(stacks) + "---|"
    lines = [f"### {title}", "", head, rule]
    for r in found:
        cells = [f"`{r.key}`", r.allowed, r.default, *(r.values[s] for s in stacks), r.description]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def pulumi_yaml_config() -> dict[str, dict[str, str]]:
    """The `config:` schema of Pulumi.yaml: a type and a description per top-level key."""
    schema = {}
    names = {field.alias or name: name for name, field in Settings.model_fields.items()}
    for key, (model, _field) in sections().items():
        if model is None:
            kind = "string"
            text = _description(Settings, names[key])
        else:
            kind = "object"
            keys = ", ".join(r.key.split(".", 1)[1] for r in rows(Settings) if r.key.startswith(key + "."))
            text = f"{' '.join((model.__doc__ or key).split())} Keys: {keys}. See docs/settings.md."
        schema[f"{NAMESPACE}:{key}"] = {"type": kind, "description": text.replace("\\|", "|")}
    return schema
