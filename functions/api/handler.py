"""Routes of the subscriptions API (API Gateway REST proxy integration -> this handler).

Environment:
  TABLE_NAME        DynamoDB table of subscribers (hash key `email`)      required
  ALLOWED_ORIGIN    CORS origin allowed to call the API                    default `*`
  EVENTS_TOPIC_ARN  SNS topic for `subscriber.created` events               optional
  POWERTOOLS_TRACE_DISABLED  "false" traces with Powertools Tracer (X-Ray)  default: traced in Lambda
  POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL as usual for Powertools.

Every response is JSON and carries the CORS headers; client mistakes are 4xx with
`{"error": "..."}`; only real faults are 500, with a generic message (details go to the log).
"""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths

from . import ocr_jobs, store, validation
from .validation import InvalidInputError

ALLOWED_ORIGIN = os.environ.get("ALLOWED_ORIGIN", "*")
CORS = CORSConfig(allow_origin=ALLOWED_ORIGIN, max_age=600)
# Sent on every response, also to callers without an Origin header (curl, checkers) and
# on the paths Powertools does not decorate (faults outside a route).
CORS_HEADERS = {
    "Access-Control-Allow-Origin": ALLOWED_ORIGIN,
    "Access-Control-Allow-Headers": ",".join(sorted(CORS.allow_headers)),
}

SUBSCRIBED = "subscription received"
# What Powertools reads as true in POWERTOOLS_TRACE_DISABLED (its strtobool).
TRUTHY = frozenset({"1", "y", "yes", "t", "true", "on"})

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "subscriptions-api"))
# X-Ray segments per invocation and boto3 call when `serverless.tracing` is on (the LambdaFunction
# block sets POWERTOOLS_TRACE_DISABLED from it). Powertools' Tracer imports and configures the X-Ray
# SDK even when it is disabled (a third of this module's cold import), so with tracing off it is
# not built at all. Outside Lambda (tests, the sandbox) the Tracer disables itself as usual.
TRACING = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() not in TRUTHY
app = APIGatewayRestResolver(cors=CORS)
app.include_router(ocr_jobs.router)  # /ocr/jobs: screenshot-to-source (functions/api/ocr_jobs.py)


def _error(status: int, message: str) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body={"error": message})


@app.exception_handler(InvalidInputError)
def _invalid(exc: InvalidInputError) -> Response:
    logger.info("rejected request", extra={"reason": exc.message, "status": exc.status})
    return _error(exc.status, exc.message)


@app.not_found
def _no_route(_: NotFoundError) -> Response:
    event = app.current_event
    return _error(404, f"no route for {event.http_method} {event.path}"[:200])


@app.exception_handler(Exception)
def _fault(exc: Exception) -> Response:
    logger.exception("unhandled error")
    return _error(500, "internal error")


def _one_query_value(key: str) -> str | None:
    values = app.current_event.multi_value_query_string_parameters.get(key)
    if values:
        if len(values) > 1:
            raise InvalidInputError(f"query parameter {key!r} must be given once")
        return values[0]
    return app.current_event.query_string_parameters.get(key)


@app.get("/hello")
def hello() -> dict[str, str]:
    """The course's `key1` example done right: a named, validated parameter (`key1` still works)."""
    name, key1 = _one_query_value("name"), _one_query_value("key1")
    if name is not None and key1 is not None:
        raise InvalidInputError("give query parameter 'name' or 'key1', not both")
    raw = name if name is not None else key1
    if raw is None:
        raise InvalidInputError("query parameter 'name' (or 'key1') is required")
    return {"message": f"Hello, {validation.name(raw)}!"}


@app.post("/subscribers")
def subscribe() -> Response:
    """202 and the same body whether the address is new or known: no probing who subscribed."""
    event = app.current_event
    data = validation.json_object(event.body, bool(event.is_base64_encoded), event.headers.get("content-type"))
    name, email = validation.subscriber(data)
    _, created = store.create(name, email)
    logger.info("subscriber stored" if created else "subscriber exists", extra={"new_subscriber": created})
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON,
                    body={"email": email, "message": SUBSCRIBED})


@app.get("/subscribers/<email>")
def subscriber(email: str) -> dict[str, str]:
    """IAM (SigV4) authorized at the gateway: operators only, the site never reads."""
    address = validation.path_email(email)
    item = store.get(address)
    if item is None:
        raise InvalidInputError(f"no subscriber with e-mail {address}", status=404)
    return item


def _with_cors(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.setdefault("multiValueHeaders", {})
    present = {k.lower() for k in headers} | {k.lower() for k in response.get("headers") or {}}
    for key, value in CORS_HEADERS.items():
        if key.lower() not in present:
            headers[key] = [value]
    return response


def _json_response(status: int, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "body": json.dumps({"error": message}),
        "isBase64Encoded": False,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
    }


def _is_proxy_request(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get("httpMethod"), str) and isinstance(event.get("path"), str)


def _traced(handler: Any) -> Any:
    """The handler with one X-Ray subsegment per invocation (and patched boto3) when tracing is on."""
    if not TRACING:
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer().capture_lambda_handler(handler)


@_traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if not _is_proxy_request(event):
        # e.g. the console's test event {"key1": "..."}: a caller mistake, not a fault of ours
        logger.info("rejected a non-API-Gateway event")
        return _with_cors(_json_response(400, "not an API Gateway REST proxy request: expected httpMethod and path"))
    try:
        response = app.resolve(event, context)
    except Exception:  # a malformed event never reaches a route; still answer in JSON with CORS
        logger.exception("could not resolve the request")
        response = _json_response(500, "internal error")
    return _with_cors(response)
