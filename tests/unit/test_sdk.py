"""offline.sdk: the one adapter over private Pulumi SDK internals, pinned to the installed SDK.

An SDK upgrade fails here first; re-check the internals listed in offline/sdk.py, then move the pins.
"""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version

import pulumi
import pulumi_aws as aws

from offline import sdk
from offline.recording_mock import RecordingMocks, RecordingMonitor
from tests.conftest import ROOT


def _pinned(requirements: str, package: str) -> str:
    text = (ROOT / requirements).read_text()
    return re.search(rf"^{re.escape(package)}==(\S+)", text, re.MULTILINE).group(1)


def test_adapter_is_pinned_to_the_installed_and_required_sdk():
    assert version("pulumi") == sdk.PULUMI_VERSION == _pinned("requirements.txt", "pulumi")
    assert version("pulumi-policy") == sdk.PULUMI_POLICY_VERSION == _pinned("requirements-dev.txt", "pulumi-policy")
    assert _pinned("policy/requirements.txt", "pulumi") == sdk.PULUMI_VERSION


def test_the_private_internals_it_relies_on_exist():
    from pulumi.runtime import settings
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    assert isinstance(settings.ROOT, type(settings.ROOT)) and hasattr(settings.ROOT, "set")
    assert hasattr(settings.SETTINGS.rpc_manager, "clear") and hasattr(settings.SETTINGS.outputs, "clear")
    assert callable(sdk.MockMonitor.make_urn) and callable(sdk.MockMonitor.RegisterResource)
    from pulumi.runtime import resource

    # register_resource/read_resource look the stack-trace builder up by module global name.
    assert "stack_trace = _get_stack_trace()" in inspect.getsource(resource.register_resource)
    assert callable(_PolicyAnalyzerServicer.ConfigureStack)
    assert callable(_PolicyAnalyzerServicer._get_enforcement_level)
    # The explicit `--policy-pack-config` levels live in a name-mangled attribute.
    assert "__policy_pack_config_enforcement_level" in inspect.getsource(_PolicyAnalyzerServicer)


def test_registrations_under_the_mock_carry_no_stack_trace():
    sent = []

    class Monitor(RecordingMonitor):
        def RegisterResource(self, request):  # noqa: N802
            sent.append((request.type, len(request.stackTrace.frames), request.HasField("sourcePosition")))
            return super().RegisterResource(request)

    mocks = RecordingMocks()
    sdk.install_mock_runtime(mocks, Monitor(mocks), project="p", stack="a", config={})
    sdk.run_program(lambda: aws.sqs.Queue("one"))
    assert ("aws:sqs/queue:Queue", 0, False) in sent
    assert [r.name for r in mocks.resources if r.custom] == ["one"]


def test_runs_follow_each_other_and_outputs_resolve():
    first, second = RecordingMocks(), RecordingMocks()
    sdk.install_mock_runtime(first, RecordingMonitor(first), project="p", stack="a", config={"p:x": "1"})
    sdk.run_program(lambda: aws.sqs.Queue("one"))
    assert pulumi.Config("p").get("x") == "1"
    sdk.install_mock_runtime(second, RecordingMonitor(second), project="p", stack="b", config={})
    holder = {}
    sdk.run_program(lambda: holder.setdefault("q", aws.sqs.Queue("two")))
    # The second run forgot the first one's root stack, config and pending work.
    assert [r.name for r in second.resources if r.custom] == ["two"]
    assert pulumi.Config("p").get("x") is None
    assert sdk.resolve(holder["q"].name).startswith("two-")
    assert sdk.resolve({"a": pulumi.Output.from_input(2)}) == {"a": 2}
