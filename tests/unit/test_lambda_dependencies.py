"""Every Lambda function of the shipped stacks finds what it imports: in its own archive, the
standard library, the Lambda runtime, or the Powertools layer of its own architecture.

Imports are read from the files the plan packages (module level and inside functions); an
import guarded by `except ImportError` is optional (the OCR worker runs without pygments).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from components.lambda_runtime import POWERTOOLS_LAYER_MODULES, RUNTIME, RUNTIME_MODULES, powertools_layer_arn
from tests.harness import shipped_plan

FUNCTION = "aws:lambda/function:Function"


def required_imports(source: str) -> set[str]:
    """Top-level names of the absolute imports in `source`, less those guarded by `except ImportError`."""
    tree = ast.parse(source)
    optional: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers
        ):
            optional.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            found.add(node.module.split(".")[0])
    return found


def test_optional_imports_are_told_apart():
    source = "import json\nfrom pydantic import BaseModel\ndef f():\n    try:\n        import pygments\n    except ImportError:\n        pass\n    import boto3\n"
    assert required_imports(source) == {"json", "pydantic", "boto3"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_function_finds_what_it_imports(stack):
    functions = shipped_plan(stack).mocks.of_type(FUNCTION)
    assert functions
    checked = set()
    for fn in functions:
        inputs = fn.inputs
        files = {name: asset.path for name, asset in inputs["code"].assets.items()}
        packaged = {name.split("/")[0] for name in files}
        (architecture,) = inputs["architectures"]
        layers = inputs.get("layers") or []
        assert inputs["runtime"] == RUNTIME
        for name, path in files.items():
            if not name.endswith(".py"):
                continue
            for module in required_imports(Path(path).read_text()):
                if module in sys.stdlib_module_names or module in packaged or module in RUNTIME_MODULES:
                    continue
                assert module in POWERTOOLS_LAYER_MODULES, f"{fn.name}: {name} imports {module}, in no layer: package it"
                # ... and the function carries the layer built for its own CPU architecture.
                assert any(arn.split(":")[-2].endswith(f"-{architecture}") for arn in layers), (fn.name, module, layers)
                checked.add((architecture, module))
    # Both architectures really rely on the layer's compiled and pure-Python libraries.
    assert {m for a, m in checked if a == "arm64"} >= {"aws_lambda_powertools"}
    assert {m for a, m in checked if a == "x86_64"} >= {"aws_lambda_powertools", "pydantic"}


def test_layer_arn_names_the_runtime_and_architecture():
    assert powertools_layer_arn("eu-west-1", 27, "arm64") == (
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27")
