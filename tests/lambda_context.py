"""A stand-in Lambda context, in a module of its own: the handler tests' subprocesses import it
without the test harness (tests/harness.py loads Pulumi and moto, ~2 s of a fresh interpreter)."""


class FakeLambdaContext:
    """What Powertools' `inject_lambda_context` reads from a Lambda context."""

    function_name = "test-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/test-function"
    log_stream_name = "2026/01/01/[$LATEST]0"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000
