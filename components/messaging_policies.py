"""The policy documents of Messaging: its key policy and its queue policies (JSON text)."""

from __future__ import annotations

import json
from typing import Any


def key_policy(partition: str, region: str, account: str, topic_names: list[str],
               extra: list[dict[str, Any]] | None = None) -> str:
    """The account administers the key through IAM; SNS may use it only for `topic_names`; then `extra`."""
    topics = [f"arn:{partition}:sns:{region}:{account}:{t}" for t in topic_names]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                # Lets IAM policies grant use of the key (the roles do, per ARN).
                # In a key policy "*" means this key.
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                # SNS encrypts for SSE-KMS queues it delivers to, and for its own topics'
                # deliveries; only on behalf of this component's topics.
                "Sid": "SnsDeliversFromOurTopics",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnEquals": {"aws:SourceArn": topics},
                },
            },
            *(extra or []),
        ],
    })


def queue_policy(queue_arn: str, topic_arn: str | None) -> str:
    """TLS only; with `topic_arn`, SNS may send on behalf of that topic (and no other)."""
    sns = [{
        "Sid": "OnlyOurTopicSends",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }] if topic_arn else []
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            *sns,
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    })
