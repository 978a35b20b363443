"""Settings of the Alarms component (`cloud-platform:alarms`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import ComponentSection, invalid


class AlarmSettings(ComponentSection):
    """Alarms: the ops topic and CloudWatch alarms on what the stack runs (docs/guardrails.md)."""

    enabled: bool = True
    """The ops topic and the CloudWatch alarms of every component."""
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """Optional e-mail subscription of the ops topic (confirmed by the recipient)."""
    require_subscriber: bool = False
    """Refuse a stack whose alarms would page nobody: `email` must be set (prod)."""
    period_seconds: int = 60
    """Length of one alarm evaluation period."""
    evaluation_periods: int = Field(1, ge=1, le=100)
    """Periods an alarm looks back."""
    datapoints_to_alarm: int | None = Field(None, ge=1)
    """Breaching periods within them that raise the alarm."""
    alb_5xx_threshold: int = Field(5, ge=0, alias="alb5xxThreshold")
    """HTTPCode_Target_5XX_Count per period and target group above which the alarm fires."""
    unhealthy_hosts_threshold: int = Field(1, ge=1)
    """UnHealthyHostCount (maximum) at or above which the alarm fires."""
    lambda_errors_threshold: int = Field(1, ge=1)
    """Function errors per period that raise the alarm."""
    lambda_throttles_threshold: int = Field(1, ge=1)
    """Function throttles per period that raise the alarm."""
    api_5xx_threshold: int = Field(5, ge=0, alias="api5xxThreshold")
    """API Gateway 5XXError count per period above which the alarm fires."""
    # 10 alarm metrics per account are free, each further one is $0.10/month: dev stays within
    # them by watching aggregates (prod keeps one alarm per function and target group).
    lambda_scope: Literal["function", "region"] = "function"
    """Lambda alarms per function, or one per metric over all functions of the region (AWS/Lambda without dimensions)."""
    lambda_throttles: bool = True
    """Alarm on Lambda throttles as well as errors (without reserved concurrency they need the account's limit)."""
    alb_5xx_scope: Literal["targetGroup", "loadBalancer"] = Field("targetGroup", alias="alb5xxScope")
    """Target 5xx alarms per target group, or one per load balancer over all its target groups."""
    # Each failed attempt of an asynchronous invocation is also a Lambda Errors datapoint, so with
    # this off the errors alarm still pages; the queue alarm adds the events that were given up on.
    failure_queues: bool = True
    """Alarm on events in the on-failure destination queues of asynchronously invoked functions (the notifier's)."""

    @field_validator("period_seconds")
    @classmethod
    def _period(cls, value: int) -> int:
        if value not in (10, 30) and (value < 60 or value % 60):
            raise ValueError("must be 10, 30 or a multiple of 60 (CloudWatch periods)")
        return value

    @model_validator(mode="after")
    def _datapoints(self) -> AlarmSettings:
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > self.evaluation_periods:
            raise invalid(
                "datapointsToAlarm",
                f"must be <= evaluationPeriods (got {self.datapoints_to_alarm} > {self.evaluation_periods})",
            )
        return self

    @model_validator(mode="after")
    def _subscriber(self) -> AlarmSettings:
        if self.enabled and self.require_subscriber and not self.email:
            raise invalid("email", "is required when requireSubscriber is true (every alarm must reach someone)")
        return self
