"""Entry point of the policy pack: `pulumi preview --policy-pack policy`.

Constructing `PolicyPack` starts the analyzer's gRPC server and blocks until the engine
is done, so it happens here and nowhere else; the policies live in importable modules.
"""

import sys
from pathlib import Path

# The engine runs this directory's __main__.py with only the pack directory on sys.path;
# the policies and the settings models live in the project around it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policy.pack import PackState, build_policies, install_stack_hooks  # noqa: E402

state = PackState.from_environment()
install_stack_hooks(state)

PolicyPack(
    name="cloud-platform-guardrails",
    policies=build_policies(state),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="cloud-platform compliance controls mapped to BSI C5:2020, ISO/IEC 27001:2022 Annex A "
    "and AWS Foundational Security Best Practices.",
    provider="aws",
)
