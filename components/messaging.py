"""Messaging: SNS fan-out to an SQS queue (+ DLQ) and two Lambda subscribers — no message lost.

    publisher --> events topic --+--> queue --(ESM, partial batch failures)--> worker --> idempotency table
                  (SSE-KMS)      |      '-- after maxReceiveCount --> DLQ
                                 +--> notifier (async) --ok--> outcomes topic
                                 |                    '-fail--> notifier-failures queue
                                 +--> e-mail / SMS subscribers (config)

Every path that can fail ends in a queue instead of dropping the message: the queue's
redrive policy and the SNS subscriptions' own redrive policies (SNS gives up on an endpoint
it cannot reach after its retries) in the DLQ; the notifier's on-failure destination (Lambda
drops an asynchronous event after its retries or its maximum age) in a queue of its own, so
the DLQ keeps the event shapes its readers parse (gameday, delivery_check, redrive).

The on-success destination is a separate `outcomes` topic, not the events topic: the
notifier is subscribed to the events topic, so sending its results there would invoke it
again with its own output, forever (and each success would be re-processed by the worker).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from .alarms import AlarmTargets
from .blocks import LambdaFunction, LambdaFunctionArgs, Moved, package_handler, statement
from .blocks.kms import PERSONAL_DATA_TAG, log_group_arn, logs_for
from .latency_lab import latency_lab
from .messaging_args import MessagingArgs
from .messaging_policies import key_policy, queue_policy
from .settings.messaging import MAX_RETENTION_SECONDS

# Functions that see subscribers' e-mail addresses (subscriber.created events).
PERSONAL_DATA_FUNCTIONS = ("worker", "notifier")

# Powertools idempotency's defaults (DynamoDBPersistenceLayer key_attr / expiry_attr).
IDEMPOTENCY_KEY_ATTRIBUTE = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"


class Messaging(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    outcomes_topic_arn: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_name: pulumi.Output[str]
    notifier_failures_arn: pulumi.Output[str]
    notifier_failures_url: pulumi.Output[str]
    notifier_failures_name: pulumi.Output[str]
    """The notifier's on-failure destination: Lambda's failure records of events it gave up on."""
    notifier_function_name: pulumi.Output[str]
    worker_function_name: pulumi.Output[str]
    worker_function_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str] | None
    """The component's customer key; None with aws-managed encryption (nothing to grant)."""
    idempotency_table_name: pulumi.Output[str]
    state_machine_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: MessagingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:messaging:Messaging", name, None, opts)
        self._name = name
        self._settings = s = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._stateful = pulumi.ResourceOptions(parent=self, protect=s.protect, retain_on_delete=s.protect)
        invoke = pulumi.InvokeOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._region = aws.get_region_output(opts=invoke).region
        self._partition = aws.get_partition_output(opts=invoke).partition

        # Physical names are fixed so policies can name ARNs before the resources exist
        # (the key policy is created before the topics that use the key).
        self._topic_name = f"{name}-events"
        self._outcomes_name = f"{name}-outcomes"

        self._key()
        self._topics()
        self._queues()
        self._table()
        self._worker(args.functions_dir)
        self._notifier(args.functions_dir)
        self._subscriptions()
        self.state_machine_arn = None
        if s.latency_lab.enabled:
            self.state_machine = latency_lab(self, name, self._account, self.worker.arn, s.latency_lab.type)
            self.state_machine_arn = self.state_machine.arn

        self.register_outputs({
            "topicArn": self.topic_arn,
            "outcomesTopicArn": self.outcomes_topic_arn,
            "queueUrl": self.queue_url,
            "dlqUrl": self.dlq_url,
            "notifierFailuresUrl": self.notifier_failures_url,
            "workerFunctionName": self.worker_function_name,
            "notifierFunctionName": self.notifier_function_name,
            "idempotencyTableName": self.idempotency_table_name,
            "keyArn": self.key_arn,
            "stateMachineArn": self.state_machine_arn,
        })

    def alarm_targets(self) -> AlarmTargets:
        """Both functions, the dead-letter queue and the notifier's failure queue."""
        return AlarmTargets(functions=[("notifier", self.notifier_function_name), ("worker", self.worker_function_name)],
                            dead_letter_queues=[("messaging", self.dlq_name)],
                            failure_queues=[("notifier", self.notifier_failures_name)])

    # --- encryption ------------------------------------------------------------------
    def _key(self) -> None:
        name = self._name
        if self._settings.encryption == "aws-managed":
            self.key, self.key_arn = None, None
            return

        def policy(args: list[str]) -> str:
            partition, region, account = args
            # The worker and the notifier see subscribers' addresses: their log groups use this key.
            logs = [logs_for(region, [log_group_arn(partition, region, account, f"/aws/lambda/{name}-{kind}")
                                      for kind in PERSONAL_DATA_FUNCTIONS])] if self._settings.encrypt_logs else []
            return key_policy(partition, region, account, [self._topic_name, self._outcomes_name], logs)

        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{name}: SNS topics, SQS queues and idempotency table",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(self._partition, self._region, self._account).apply(policy),
            opts=self._stateful,
        )
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/{name}", target_key_id=self.key.key_id, opts=self._child)
        self.key_arn = self.key.arn

    def _queue_encryption(self) -> dict[str, Any]:
        if self.key is None:
            # SNS can deliver to SSE-SQS queues, not to ones under alias/aws/sqs (its key policy
            # cannot be changed to let sns.amazonaws.com use it).
            return {"sqs_managed_sse_enabled": True}
        return {"kms_master_key_id": self.key.arn, "kms_data_key_reuse_period_seconds": 300}

    # --- topics and queues --------------------------------------------------------------
    def _topics(self) -> None:
        topic_key = self.key.arn if self.key is not None else "alias/aws/sns"
        self.topic = aws.sns.Topic(
            f"{self._name}-events", name=self._topic_name, kms_master_key_id=topic_key, opts=self._child
        )
        # Destination of the notifier's successful invocations (never the events topic: loop).
        self.outcomes = aws.sns.Topic(
            f"{self._name}-outcomes", name=self._outcomes_name, kms_master_key_id=topic_key, opts=self._child
        )
        self.topic_arn = self.topic.arn
        self.outcomes_topic_arn = self.outcomes.arn

    def _queues(self) -> None:
        name, s = self._name, self._settings
        # 14 days, the SQS maximum: the enqueue timestamp of a standard queue's message
        # survives the redrive, so a DLQ shorter than the queue would expire messages early.
        self.dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{name}-dlq",
            message_retention_seconds=MAX_RETENTION_SECONDS,
            **self._queue_encryption(),
            opts=self._stateful,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=f"{name}-queue",
            visibility_timeout_seconds=s.queue_visibility_seconds,
            message_retention_seconds=s.message_retention_seconds,
            receive_wait_time_seconds=20,
            **self._queue_encryption(),
            redrive_policy=self.dlq.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": s.max_receive_count})
            ),
            opts=self._child,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=self.dlq.id,
            redrive_allow_policy=self.queue.arn.apply(
                lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})
            ),
            opts=self._child,
        )
        self.queue_policy = self._queue_policy("queue", self.queue)
        # SNS's subscription redrive policies send undeliverable messages here.
        self.dlq_policy = self._queue_policy("dlq", self.dlq)
        self.queue_arn, self.queue_url, self.queue_name = self.queue.arn, self.queue.url, self.queue.name
        self.dlq_arn, self.dlq_url, self.dlq_name = self.dlq.arn, self.dlq.url, self.dlq.name
        self._notifier_failures()

    def _notifier_failures(self) -> None:
        """The notifier's on-failure destination. Lambda sends its records with the notifier's
        role (no queue policy grant needed); they wait 14 days for someone to look."""
        name = self._name
        self.notifier_failures = aws.sqs.Queue(
            f"{name}-notifier-failures",
            name=f"{name}-notifier-failures",
            message_retention_seconds=MAX_RETENTION_SECONDS,
            **self._queue_encryption(),
            opts=self._stateful,
        )
        # Not a dead-letter queue of any source queue: nothing may redrive into it.
        aws.sqs.RedriveAllowPolicy(
            f"{name}-notifier-failures-redrive-allow",
            queue_url=self.notifier_failures.id,
            redrive_allow_policy=json.dumps({"redrivePermission": "denyAll"}),
            opts=self._child,
        )
        self._queue_policy("notifier-failures", self.notifier_failures, sns_sends=False)
        q = self.notifier_failures
        self.notifier_failures_arn, self.notifier_failures_url, self.notifier_failures_name = q.arn, q.url, q.name

    def _queue_policy(self, suffix: str, queue: aws.sqs.Queue, sns_sends: bool = True) -> aws.sqs.QueuePolicy:
        return aws.sqs.QueuePolicy(
            f"{self._name}-{suffix}-policy",
            queue_url=queue.id,
            policy=pulumi.Output.all(queue.arn, self.topic.arn).apply(
                lambda a: queue_policy(a[0], a[1] if sns_sends else None)),
            opts=self._child,
        )

    def _table(self) -> None:
        name = self._name
        self.table = aws.dynamodb.Table(
            f"{name}-idempotency",
            name=f"{name}-idempotency",
            billing_mode="PAY_PER_REQUEST",
            hash_key=IDEMPOTENCY_KEY_ATTRIBUTE,
            attributes=[aws.dynamodb.TableAttributeArgs(name=IDEMPOTENCY_KEY_ATTRIBUTE, type="S")],
            # What Powertools' DynamoDBPersistenceLayer reads and writes (functions/worker/idempotency.py).
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=IDEMPOTENCY_TTL_ATTRIBUTE, enabled=True),
            # Without a key ARN: the AWS managed key aws/dynamodb (still KMS, no monthly fee).
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=self.key_arn),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=self._settings.protect),
            deletion_protection_enabled=self._settings.protect,
            tags={"Name": f"{name}-idempotency", "Backup": "true"},
            opts=self._stateful,
        )
        self.idempotency_table_name = self.table.name

    # --- functions ------------------------------------------------------------------------
    def _function(
        self,
        kind: str,
        functions_dir: Path,
        timeout: int,
        memory: int,
        statements: pulumi.Output[list[dict[str, Any]]],
        environment: dict[str, pulumi.Input[str]] | None = None,
    ) -> aws.lambda_.Function:
        """A Lambda with its own log group (retention) and a role naming only `statements`' ARNs."""
        name, s = self._name, self._settings
        personal = kind in PERSONAL_DATA_FUNCTIONS
        block = LambdaFunction(
            f"{name}-{kind}",
            LambdaFunctionArgs(
                code=package_handler(functions_dir, kind),
                handler=f"{kind}.app.lambda_handler",
                region=self._region,
                statements=statements,
                environment=environment or {},
                memory_size=memory,
                timeout=timeout,
                log_retention_days=s.log_retention_days,
                log_kms_key_arn=self.key_arn if personal and s.encrypt_logs else None,
                tags=dict(PERSONAL_DATA_TAG) if personal else {},
                powertools_layer_version=s.powertools_layer_version,
                service_name=kind,
                tracing=s.tracing,
                moved=Moved(parent=self),
            ),
            opts=self._child,
        )
        return block.function

    def _worker(self, functions_dir: Path) -> None:
        w = self._settings.worker
        statements = pulumi.Output.all(self.queue.arn, self.table.arn, self.key_arn).apply(lambda a: [
            # ChangeMessageVisibility (+ GetQueueUrl to address it): records returned with a backoff.
            statement("ConsumeQueue", ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                        "sqs:GetQueueAttributes", "sqs:GetQueueUrl"], [a[0]]),
            statement("IdempotencyRecords", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                              "dynamodb:DeleteItem"], [a[1]]),
            # Decrypt SSE-KMS messages; encrypt/decrypt idempotency items (table SSE with this key).
            # AWS managed keys need no grant: their policies admit the account's callers via the service.
            *([statement("UseMessagingKey", ["kms:Decrypt", "kms:GenerateDataKey"], [a[2]])] if a[2] else []),
        ])
        self.worker = self._function(
            "worker", functions_dir, w.timeout_seconds, w.memory_mb, statements,
            environment={
                "IDEMPOTENCY_TABLE": self.table.name,
                "IDEMPOTENCY_TTL_SECONDS": str(self._settings.idempotency_ttl_seconds),
                # A claim outlives the invocation that made it by no more than this.
                "IDEMPOTENCY_LOCK_SECONDS": str(w.timeout_seconds),
                **({} if w.retry_delay_seconds is None else {"RETRY_DELAY_SECONDS": str(w.retry_delay_seconds)}),
            },
        )
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{self._name}-worker-esm",
            event_source_arn=self.queue.arn,
            function_name=self.worker.arn,
            batch_size=w.batch_size,
            maximum_batching_window_in_seconds=w.maximum_batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=(
                aws.lambda_.EventSourceMappingScalingConfigArgs(maximum_concurrency=w.maximum_concurrency)
                if w.maximum_concurrency else None
            ),
            opts=self._child,
        )
        self.worker_function_name = self.worker.name
        self.worker_function_arn = self.worker.arn

    def _notifier(self, functions_dir: Path) -> None:
        n = self._settings.notifier
        statements = pulumi.Output.all(self.notifier_failures.arn, self.outcomes.arn, self.key_arn).apply(lambda a: [
            # Lambda sends destination records with the function's own role.
            statement("FailureDestination", ["sqs:SendMessage"], [a[0]]),
            statement("SuccessDestination", ["sns:Publish"], [a[1]]),
            *([statement("EncryptForDestinations", ["kms:GenerateDataKey", "kms:Decrypt"], [a[2]])] if a[2] else []),
        ])
        self.notifier = self._function("notifier", functions_dir, n.timeout_seconds, n.memory_mb, statements)
        self.notifier_permission = aws.lambda_.Permission(
            f"{self._name}-notifier-from-topic",
            action="lambda:InvokeFunction",
            function=self.notifier.name,
            principal="sns.amazonaws.com",
            source_arn=self.topic.arn,
            opts=self._child,
        )
        D = aws.lambda_  # noqa: N806 (short alias for the long args class names)
        self.invoke_config = D.FunctionEventInvokeConfig(
            f"{self._name}-notifier-async",
            function_name=self.notifier.name,
            maximum_retry_attempts=n.maximum_retry_attempts,
            maximum_event_age_in_seconds=n.maximum_event_age_seconds,
            destination_config=D.FunctionEventInvokeConfigDestinationConfigArgs(
                on_success=D.FunctionEventInvokeConfigDestinationConfigOnSuccessArgs(destination=self.outcomes.arn),
                on_failure=D.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=self.notifier_failures.arn),
            ),
            opts=self._child,
        )
        self.notifier_function_name = self.notifier.name

    # --- subscriptions ----------------------------------------------------------------------
    def _subscriptions(self) -> None:
        name, subs = self._name, self._settings.subscriptions
        # What SNS cannot deliver after its retries goes to the DLQ instead of being dropped.
        sns_redrive = self.dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn}))
        self.queue_subscription = aws.sns.TopicSubscription(
            f"{name}-to-queue",
            topic=self.topic.arn,
            protocol="sqs",
            endpoint=self.queue.arn,
            raw_message_delivery=True,
            redrive_policy=sns_redrive,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.queue_policy, self.dlq_policy]),
        )
        self.notifier_subscription = aws.sns.TopicSubscription(
            f"{name}-to-notifier",
            topic=self.topic.arn,
            protocol="lambda",
            endpoint=self.notifier.arn,
            redrive_policy=sns_redrive,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.notifier_permission, self.dlq_policy]),
        )
        for i, address in enumerate(subs.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{i}", topic=self.topic.arn, protocol="email", endpoint=address, opts=self._child
            )
        for i, number in enumerate(subs.sms):
            aws.sns.TopicSubscription(
                f"{name}-sms-{i}", topic=self.topic.arn, protocol="sms", endpoint=number, opts=self._child
            )
