"""A file-backed stack for rehearsing release -> cutover -> retire without Pulumi.

`PLATFORMCTL_STACK_BACKEND=file:<state.json>` swaps the Pulumi stack for a JSON file:

    {"outputs": {...stack outputs...},
     "resources": [{"urn", "type", "outputs"}, ...],   # the deployed resources (URNs as Pulumi names them)
     "configFile": "Pulumi.prod.yaml",                 # optional; default: the project's stack file
     "ups": [...]}                                     # appended by every up

Its targeted `up` does to AWS (moto in the tests, via boto3 and AWS_ENDPOINT_URL) what the
program does for the targeted resources: the listener's forward weights and stickiness,
a colour's launch template version (image) and group sizes, as the stack file configures
them. Untargeted resources are left alone, and each up records which resources it deployed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from components.settings.web import COLOURS, WebSettings
from offline.stacks import stack_file

from .config_file import ConfigWriteError, StackConfigFile, atomic_write
from .web_stack import LISTENER_TYPE, StackBackendError, urn_name


class FileStackBackend:
    def __init__(self, name: str, path: Path, session: boto3.session.Session | None = None):
        self.name = name
        self.path = path
        if not path.is_file():
            raise StackBackendError(f"PLATFORMCTL_STACK_BACKEND: no such file {str(path)!r}")
        self._session = session

    def _load(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StackBackendError(f"{self.path}: {str(exc).splitlines()[0]}") from None

    def config_path(self) -> Path:
        where = self._load().get("configFile")
        if not where:
            return stack_file(self.name)
        path = Path(where)
        return path if path.is_absolute() else self.path.parent / path

    def outputs(self) -> dict[str, Any]:
        return dict(self._load().get("outputs") or {})

    def resources(self) -> list[dict[str, Any]]:
        return list(self._load().get("resources") or [])

    def up(self, targets: list[str]) -> None:
        state = self._load()
        by_urn = {r["urn"]: r for r in state.get("resources") or []}
        unknown = [t for t in targets if t not in by_urn]
        if not targets or unknown:
            raise StackBackendError(f"pulumi up of stack {self.name!r} failed: unknown targets {unknown or 'none'}")
        try:
            web = StackConfigFile(self.name, self.config_path()).web()
        except ConfigWriteError as exc:
            raise StackBackendError(f"pulumi up of stack {self.name!r} failed: {exc}") from None
        session = self._session or boto3.session.Session()
        deployed = []
        try:
            for urn in targets:
                deployed.append(self._deploy(session, by_urn[urn], state["outputs"], web))
        except (ClientError, BotoCoreError) as exc:
            raise StackBackendError(f"pulumi up of stack {self.name!r} failed: {str(exc).splitlines()[0]}") from None
        finally:
            if deployed:
                state.setdefault("ups", []).append({"targets": [urn_name(t) for t in targets[: len(deployed)]],
                                                    "deployed": deployed})
                atomic_write(self.path, json.dumps(state, indent=2) + "\n")

    def _deploy(self, session: Any, resource: dict[str, Any], outputs: dict[str, Any], web: WebSettings) -> dict:
        name = urn_name(resource["urn"])
        if resource["type"] == LISTENER_TYPE:
            weights = web.traffic.as_dict()
            groups = outputs["targetGroupArns"]
            session.client("elbv2").modify_listener(
                ListenerArn=resource["outputs"]["arn"],
                DefaultActions=[{"Type": "forward", "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": groups[c], "Weight": weights[c]} for c in COLOURS],
                    "TargetGroupStickinessConfig": {"Enabled": web.stickiness.enabled,
                                                    "DurationSeconds": web.stickiness.duration_seconds}}}],
            )
            return {"resource": name, "weights": weights}
        colour = next(c for c in COLOURS if name.endswith((f"-{c}-lt", f"-{c}-asg")))
        fleet = web.colour(colour)
        if name.endswith("-lt"):
            ec2 = session.client("ec2")
            template = resource["outputs"]["id"]
            current = ec2.describe_launch_template_versions(LaunchTemplateId=template, Versions=["$Latest"])
            data = current["LaunchTemplateVersions"][0]["LaunchTemplateData"]
            image = fleet.ami_id or data.get("ImageId")
            if image != data.get("ImageId"):
                ec2.create_launch_template_version(LaunchTemplateId=template, SourceVersion="$Latest",
                                                   LaunchTemplateData={"ImageId": image},
                                                   VersionDescription=fleet.version)
            return {"resource": name, "amiId": image, "version": fleet.version}
        autoscaling = session.client("autoscaling")
        group = resource["outputs"]["name"]
        current = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
        # desiredCapacity is ignore_changes in the program: AWS only moves it into [min, max].
        desired = min(max(current["DesiredCapacity"], fleet.min_size), fleet.max_size)
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=group, MinSize=fleet.min_size, MaxSize=fleet.max_size, DesiredCapacity=desired,
            LaunchTemplate={"LaunchTemplateId": current["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Latest"},
        )
        return {"resource": name, "minSize": fleet.min_size, "maxSize": fleet.max_size, "desired": desired}
