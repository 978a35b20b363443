"""The floor a plan is measured against (`make bench`): the same Pulumi work without our program.

Reads a plan JSON (`platformctl plan --format json`), imports the pulumi_aws classes of its
types, and registers the same resources (type, name, inputs, parent, provider) as plain
`CustomResource`/`ComponentResource`s under a trivial mock that echoes inputs, with Python's
default settings (GC on). What the plan costs beyond this is our program, mock and settings.

usage: python tools/bench_floor.py PLAN.json
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pulumi

from offline.sdk import run_program


class EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def class_of(type_: str) -> tuple[str, str] | None:
    """`aws:ec2/vpc:Vpc` -> (`pulumi_aws.ec2`, `Vpc`): what the program's `aws.ec2.Vpc` imports;
    `docker-build:index:Image` -> (`pulumi_docker_build`, `Image`)."""
    provider, _, rest = type_.partition(":")
    if provider in ("pulumi", "cloud-platform") or rest.startswith("providers:"):
        return None
    module, _, name = rest.partition(":")
    root = "pulumi_" + provider.replace("-", "_")
    package = {"lambda": "lambda_"}.get(module.split("/")[0], module.split("/")[0])
    return (root if package == "index" else f"{root}.{package}"), name


def main(path: str) -> None:
    doc = json.loads(open(path).read())
    resources = doc["resources"]
    for package, name in sorted({c for r in resources if (c := class_of(r["type"]))}):
        getattr(importlib.import_module(package), name)  # the class module and its input types
    pulumi.runtime.set_mocks(EchoMocks(), project="cloud-platform", stack=doc["stack"], preview=False)

    def program() -> None:
        made: dict[str, pulumi.Resource] = {}
        for r in resources:
            opts = pulumi.ResourceOptions(parent=made.get(r["parent"]),
                                          provider=made.get((r.get("provider") or {}).get("urn")))
            if r["type"].startswith("pulumi:providers:"):
                made[r["urn"]] = pulumi.ProviderResource(r["type"].split(":")[-1], r["name"], dict(r["inputs"]),
                                                         opts=pulumi.ResourceOptions(parent=made.get(r["parent"])))
            elif r["id"] is not None:
                made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]), opts=opts)
            else:
                made[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], None, opts=opts)

    run_program(program)


if __name__ == "__main__":
    main(sys.argv[1])
