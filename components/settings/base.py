"""Shared machinery for typed stack settings.

Every section is a pydantic model with camelCase aliases (the Pulumi YAML convention),
`extra="forbid"` so a typo in a key is an error instead of a silently ignored value, and
frozen instances so nothing downstream can mutate what was validated.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

NAMESPACE = "cloud-platform"


class SettingsError(pulumi.RunError):
    """A stack setting is invalid. Pulumi prints a RunError as one line, without traceback."""


class Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        # Every plan and `pulumi up` validates the whole Settings once: one validator, built at
        # that first validation, instead of one per section at import (nested sections are
        # defaults through `default_factory`, so no section is instantiated at import).
        defer_build=True,
    )
    # A field's docstring (the string right under it) is its meaning: platformctl.settings_docs
    # reads them from the source for docs/settings.md and Pulumi.yaml. Not pydantic's
    # `use_attribute_docstrings`: that reads and parses the source of every model at import,
    # in every plan (a fifth of the settings' import time), for text only the docs use.


class ComponentSection(Section):
    """A component area: every one can be switched off per stack."""

    enabled: bool = False
    """Build this component in this stack."""


def invalid(key: str, message: str) -> PydanticCustomError:
    """Error for a cross-field rule; `key` is relative to the model that raises it.

    Used from model validators, where pydantic's location stops at the model and would
    not name the offending key by itself.
    """
    return PydanticCustomError("setting", "{key} {message}", {"key": key, "message": message})


def _aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that owns the last element of `loc` (for listing allowed keys)."""
    model: Any = root
    for part in loc[:-1]:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = next(
            (f for n, f in model.model_fields.items() if part in (n, f.alias)), None
        )
        if field is None:
            return None
        annotation = field.annotation
        # Optional[Model] / Model | None
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
        else:
            # dict[str, Model]: the key is part of the location, skip it
            args = getattr(annotation, "__args__", ())
            if args and isinstance(args[-1], type) and issubclass(args[-1], BaseModel):
                model = ("dict", args[-1])
            else:
                return None
        if isinstance(model, tuple):
            model = model[1]
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


_MESSAGES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "string_pattern_mismatch": "must match {pattern}",
    "string_too_short": "must not be empty",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "list_type": "must be a list",
    "missing": "is required",
}


def describe(error: ValidationError, root: type[BaseModel], namespace: str = NAMESPACE) -> str:
    """One line for the first error: the full config key, what is wrong, the value given."""
    err = error.errors(include_url=False)[0]
    loc = tuple(err["loc"])
    key = namespace + ":" + ".".join(str(p) for p in loc) if loc else namespace
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "setting":
        sep = "." if loc else ":"
        return f"{key}{sep}{ctx['key']} {ctx['message']}"
    if kind == "extra_forbidden":
        owner = _model_at(root, loc)
        allowed = f" (allowed: {', '.join(_aliases(owner))})" if owner else ""
        return f"{key} is not a known setting{allowed}"
    if kind == "missing":
        return f"{key} is required"
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
    elif kind in _MESSAGES:
        try:
            message = _MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            message = err["msg"]
    else:
        message = err["msg"][:1].lower() + err["msg"][1:]
    return f"{key} {message} (got {err['input']!r})"


def decode_json(value: Any) -> Any:
    """Structured values arrive as JSON text (stack config, policy inputs); scalars stay as they are."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
