"""cloud-platform's compliance policy pack.

The policies are plain functions with metadata (`policy.registry`) so that the very same
checks run inside `pulumi preview --policy-pack policy` (adapted in `policy.pack`) and
offline over the recording mock's plan (`policy.engine`, `platformctl check`).
Importing this package never imports pulumi_policy: only `policy/__main__.py` does.
"""
