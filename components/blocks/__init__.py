"""Building blocks every component uses: one place for each secure default.

- `HardenedBucket`: an S3 bucket with public access blocked, owner-enforced objects, SSE,
  versioning, a lifecycle (incl. abort of incomplete uploads) and a TLS-only policy, with
  website and log-delivery variants.
- `LambdaFunction`: packaged code, its log group (retention) created first, a role trusted
  by Lambda for this account only, the statements it is given and nothing more, tracing,
  the Powertools layer.
- `log_group`, `security_group`: functions, where no component of their own is needed.

Naming: a block is named like the resource it stands for (`<component>-<role>`) and its
children `<block>-<part>`. Blocks that took over resources a component created directly
before they existed carry `pulumi.Alias`es to the old URNs (`Moved`), so nothing is replaced.
"""

from .bucket import HardenedBucket, HardenedBucketArgs, LogDelivery, Website
from .function import LambdaFunction, LambdaFunctionArgs, package_handler, statement
from .logs import log_group
from .moved import Moved
from .security_group import Rule, add_rules, security_group

__all__ = [
    "HardenedBucket", "HardenedBucketArgs", "LambdaFunction", "LogDelivery", "LambdaFunctionArgs", "Moved", "Rule", "Website",
    "add_rules", "log_group", "package_handler", "security_group", "statement",
]
