"""The one adapter over private Pulumi SDK internals.

The offline engine runs a Pulumi program in-process without the engine or the CLI, and the
policy pack takes per-stack settings from the analyzer's ConfigureStack request. Neither has
a public API, so every reliance on SDK internals lives here and nowhere else:

- `pulumi.runtime.sync_await._sync_await` and `pulumi.runtime.stack.run_pulumi_func`
  (run a program and wait for every registration),
- `pulumi.runtime.settings.ROOT` / `SETTINGS.rpc_manager` / `SETTINGS.outputs`
  (forget the previous run's root stack and pending work, so runs can follow each other),
- `pulumi.runtime.mocks.MockMonitor` (`make_urn`, `RegisterResource`: the recording mock sees
  parent and resource options),
- `pulumi.runtime.resource._get_stack_trace` (the source positions sent with each registration:
  the engine shows them next to a failed resource; a mock monitor drops them unread),
- `pulumi_policy.policy._PolicyAnalyzerServicer` (`ConfigureStack`, `_get_enforcement_level`
  and its name-mangled explicit-enforcement map).

`tests/unit/test_sdk.py` pins the versions these were checked against: an SDK upgrade fails
that test first, and this module is the only place to re-check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pulumi
from pulumi.runtime import resource as _resource
from pulumi.runtime import settings as _settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

# The SDK versions whose internals this module was written against (requirements*.txt pins).
PULUMI_VERSION = "3.272.0"
PULUMI_POLICY_VERSION = "1.21.0"

T = TypeVar("T")

__all__ = [
    "MockMonitor",
    "PULUMI_POLICY_VERSION",
    "PULUMI_VERSION",
    "install_mock_runtime",
    "patch_policy_analyzer",
    "resolve",
    "run_program",
    "wait",
]


def wait(awaitable: Awaitable[T]) -> T:
    """Block until `awaitable` is done on the SDK's own event loop."""
    return _sync_await(awaitable)


def resolve(value: Any) -> Any:
    """The plain value of an Output (or of a structure holding Outputs)."""
    return wait(pulumi.Output.from_input(value).future())


def run_program(program: Callable[[], Any]) -> None:
    """Run `program` and wait until every resource it registers has been answered."""
    wait(run_pulumi_func(program))


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def install_mock_runtime(mocks: pulumi.runtime.Mocks, monitor: MockMonitor, *, project: str, stack: str,
                         config: dict[str, str]) -> None:
    """Point the (process-global) runtime at `mocks`, forgetting any previous run's root and work.

    Registrations carry no stack trace from then on: the SDK walks and formats the whole Python
    stack of every resource (the source position the engine prints next to a failed resource),
    a quarter of a warm plan's CPU, and nothing reads it without an engine.
    """
    _resource._get_stack_trace = _no_stack_trace
    pulumi.runtime.set_all_config(config)
    _settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    _settings.SETTINGS.rpc_manager.clear()
    _settings.SETTINGS.outputs.clear()


def patch_policy_analyzer(
    on_configure: Callable[[str, dict[str, str]], None],
    enforcement_level: Callable[[Any, dict[str, Any]], Any],
) -> None:
    """Hook pulumi-policy's analyzer: `on_configure(stack, config)` on every ConfigureStack, and
    `enforcement_level(policy, explicit)` decides a policy's level (`explicit`: the levels given by
    `--policy-pack-config`, which must keep precedence)."""
    from pulumi_policy.policy import _PolicyAnalyzerServicer as Servicer

    original_configure = Servicer.ConfigureStack

    def configure_stack(self, request, context):
        on_configure(request.stack, dict(request.config))
        return original_configure(self, request, context)

    def get_enforcement_level(self, policy):
        return enforcement_level(policy, getattr(self, "_PolicyAnalyzerServicer__policy_pack_config_enforcement_level", {}))

    Servicer.ConfigureStack = configure_stack
    Servicer._get_enforcement_level = get_enforcement_level
