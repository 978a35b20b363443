"""The subscriptions API handler against moto: routes, bad requests, events, fuzz."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api import handler, store
from tests.functions.apigw import body, event, headers

TABLE = "subscribers-test"


def create_table() -> None:
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "email", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "email", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def api(aws, monkeypatch, lambda_context):
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.delenv("EVENTS_TOPIC_ARN", raising=False)
    store.reset_clients()
    create_table()

    def call(*args, **kwargs):
        response = handler.lambda_handler(event(*args, **kwargs), lambda_context)
        assert headers(response)["access-control-allow-origin"] == "*", response
        return response

    yield call
    store.reset_clients()


def stored(email: str) -> dict | None:
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"email": {"S": email}}).get("Item")
    return {k: v["S"] for k, v in item.items()} if item else None


# --- GET /hello -------------------------------------------------------------------------

def test_hello_greets_by_name(api):
    response = api("GET", "/hello", query={"name": "Nico"})
    assert response["statusCode"] == 200
    assert body(response) == {"message": "Hello, Nico!"}
    assert headers(response)["content-type"] == "application/json"


def test_hello_accepts_the_course_key1_as_alias_of_name(api):
    response = api("GET", "/hello", query={"key1": "Nico"})
    assert response["statusCode"] == 200
    assert body(response) == {"message": "Hello, Nico!"}


@pytest.mark.parametrize("query,error", [
    ({}, "query parameter 'name' (or 'key1') is required"),
    ({"name": "Ada", "key1": "Nico"}, "give query parameter 'name' or 'key1', not both"),
    ({"key1": ["a", "b"]}, "query parameter 'key1' must be given once"),
    ({"key1": ""}, "name is required"),
    ({"name": ""}, "name is required"),
    ({"name": "   "}, "name is required"),
    ({"name": "x" * 65}, "name must be at most 64 characters"),
    ({"name": "bad\x07bell"}, "name must contain printable characters only"),
    ({"name": ["a", "b"]}, "query parameter 'name' must be given once"),
])
def test_hello_rejects_bad_names(api, query, error):
    response = api("GET", "/hello", query=query)
    assert response["statusCode"] == 400
    assert body(response) == {"error": error}


def test_hello_accepts_64_unicode_chars(api):
    response = api("GET", "/hello", query={"name": "é" * 64})
    assert body(response) == {"message": f"Hello, {'é' * 64}!"}


# --- POST /subscribers --------------------------------------------------------------------

def test_subscribe_stores_with_timestamp_and_returns_202(api):
    response = api("POST", "/subscribers", body={"name": " Ada ", "email": "Ada@Example.org"})
    assert response["statusCode"] == 202
    assert body(response) == {"email": "ada@example.org", "message": "subscription received"}
    item = stored("ada@example.org")
    assert item["email"] == "ada@example.org" and item["name"] == "Ada"
    assert item["createdAt"].endswith("Z") and item["createdAt"][:4].isdigit()


def test_duplicate_email_is_idempotent_and_answered_like_a_new_one(api):
    """Same status, same body: a POST cannot tell whether someone is subscribed (or their name)."""
    first = api("POST", "/subscribers", body={"name": "Ada", "email": "ada@example.org"})
    second = api("POST", "/subscribers", body={"name": "Other", "email": "ADA@example.org"})
    assert (first["statusCode"], body(first)) == (second["statusCode"], body(second)) == (
        202, {"email": "ada@example.org", "message": "subscription received"})
    assert "Ada" not in second["body"]
    assert stored("ada@example.org")["name"] == "Ada"
    assert boto3.client("dynamodb").scan(TableName=TABLE)["Count"] == 1


def test_content_type_with_charset_is_json(api):
    response = api("POST", "/subscribers", body=json.dumps({"name": "A", "email": "a@b.co"}),
                   headers={"content-type": "application/json; charset=utf-8"})
    assert response["statusCode"] == 202


def test_base64_body_is_decoded(api, lambda_context):
    ev = event("POST", "/subscribers", body={"name": "A", "email": "a@b.co"})
    ev["body"], ev["isBase64Encoded"] = base64.b64encode(ev["body"].encode()).decode(), True
    assert handler.lambda_handler(ev, lambda_context)["statusCode"] == 202


@pytest.mark.parametrize("payload,content_type,status,error", [
    ('{"name": "A", "email": "a@b.co"}', "text/plain", 415, "content type must be application/json"),
    ('{"name": "A", "email": "a@b.co"}', None, 415, "content type must be application/json"),
    ("", "application/json", 400, "request body is required"),
    ("{not json", "application/json", 400, "request body must be valid JSON"),
    ("[1, 2]", "application/json", 400, "request body must be a JSON object"),
    ('{"name": "A", "email": "a@b.co", "admin": true}', "application/json", 400, "unexpected field(s): admin"),
    ('{"email": "a@b.co"}', "application/json", 400, "name is required"),
    ('{"name": 5, "email": "a@b.co"}', "application/json", 400, "name is required"),
    ('{"name": "A"}', "application/json", 400, "email is required"),
    ('{"name": "A", "email": "not-an-email"}', "application/json", 400, "email must be a valid e-mail address"),
    ('{"name": "A", "email": "a@b"}', "application/json", 400, "email must be a valid e-mail address"),
    ('{"name": "A", "email": "a..b@c.de"}', "application/json", 400, "email must be a valid e-mail address"),
    ('{"name": "A", "email": "a b@c.de"}', "application/json", 400, "email must be a valid e-mail address"),
    (json.dumps({"name": "A", "email": "a@b.co", "pad": "x" * 5000}), "application/json", 413,
     "request body must be at most 4096 bytes"),
])
def test_subscribe_rejects_bad_requests(api, payload, content_type, status, error):
    hdrs = {"Content-Type": content_type} if content_type else {}
    response = api("POST", "/subscribers", body=payload, headers=hdrs)
    assert response["statusCode"] == status
    assert body(response) == {"error": error}
    assert boto3.client("dynamodb").scan(TableName=TABLE)["Count"] == 0


# --- GET /subscribers/{email} ---------------------------------------------------------------

def test_get_subscriber_found_and_missing(api):
    api("POST", "/subscribers", body={"name": "Ada", "email": "ada@example.org"})
    found = api("GET", "/subscribers/ADA@example.org")
    assert found["statusCode"] == 200 and body(found)["name"] == "Ada"
    missing = api("GET", "/subscribers/bob@example.org")
    assert missing["statusCode"] == 404
    assert body(missing) == {"error": "no subscriber with e-mail bob@example.org"}
    bad = api("GET", "/subscribers/not-an-email")
    assert bad["statusCode"] == 400


def test_path_is_decoded_once_as_api_gateway_delivers_it(api):
    """A client's `x%2541y@…` reaches the handler as `x%41y@…` (API Gateway decoded it once).
    A second decode would read `xAy@…`, someone else's record; a `%` is refused instead."""
    api("POST", "/subscribers", body={"name": "Victim", "email": "xay@example.org"})
    double = api("GET", "/subscribers/x%41y@example.org")
    assert double["statusCode"] == 400 and "Victim" not in double["body"]
    assert body(double) == {"error": "email in the path may contain only letters, digits, @ and . _ + - ! $ & ' * = ~"}
    assert api("GET", "/subscribers/xay%40example.org")["statusCode"] == 400
    assert body(api("GET", "/subscribers/xay@example.org"))["name"] == "Victim"


@pytest.mark.parametrize("path", ["x#y@example.org", "x^y@example.org", "x{y}@example.org", "x|y@example.org",
                                  "x`y@example.org", "x?y@example.org", "x y@example.org"])
def test_path_accepts_only_path_safe_address_characters(api, path):
    """Valid in an address, not in a path segment: refused (400), or no route at all (404)."""
    response = api("GET", f"/subscribers/{path}")
    assert response["statusCode"] in (400, 404) and "error" in body(response)


# Address characters a path segment carries unencoded, plus the ones it must not.
_LOCAL = st.text(alphabet="abcxyzAXZ019.!$&'*+=_~-", min_size=1, max_size=12).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s)
_ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}.example.org", _LOCAL,
                     st.sampled_from(["a", "b", "mail"]))


def _variants(address: str) -> st.SearchStrategy[str]:
    """What a caller might put in the path to reach `address`'s record: itself, another case,
    one character percent-encoded once or twice (as delivered after API Gateway's one decode)."""
    def encoded(index: int, times: int) -> str:
        piece = address[index]
        for _ in range(times):
            piece = "".join(f"%{b:02X}" for b in piece.encode())
        return address[:index] + piece + address[index + 1:]
    return st.one_of(
        st.just(address), st.just(address.upper()), st.just(address.swapcase()),
        st.builds(encoded, st.integers(0, len(address) - 1), st.integers(1, 2)),
        _ADDRESS,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_record_is_read_back_only_by_its_own_exact_address(api, data):
    stored_address = data.draw(_ADDRESS).lower()
    store.create("Owner", stored_address)
    path = data.draw(_variants(stored_address))
    response = api("GET", "/subscribers/" + path)
    if response["statusCode"] == 200:
        # Only the address itself (case aside: addresses are stored lower-cased) reads it.
        assert path.lower() == stored_address and body(response)["email"] == stored_address
    else:
        assert response["statusCode"] in (400, 404) and "Owner" not in response["body"]
    if path.lower() == stored_address:
        assert response["statusCode"] == 200
    boto3.client("dynamodb").delete_item(TableName=TABLE, Key={"email": {"S": stored_address}})


# --- routing, CORS, faults ---------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [("GET", "/nope"), ("DELETE", "/hello"), ("GET", "/"), ("PUT", "/subscribers")])
def test_unknown_routes_are_404_json(api, method, path):
    response = api(method, path)
    assert response["statusCode"] == 404
    assert body(response) == {"error": f"no route for {method} {path}"}


def test_preflight_allows_the_methods(api):
    response = api("OPTIONS", "/subscribers", headers={"Access-Control-Request-Method": "POST"})
    assert response["statusCode"] == 204
    allowed = headers(response)
    assert "POST" in allowed["access-control-allow-methods"]
    assert "content-type" in allowed["access-control-allow-headers"].lower()


def test_cors_headers_without_origin(api):
    response = api("GET", "/hello", query={"name": "x"}, origin=None)
    assert headers(response)["access-control-allow-origin"] == "*"


def test_store_fault_is_a_generic_500(api):
    boto3.client("dynamodb").delete_table(TableName=TABLE)
    response = api("POST", "/subscribers", body={"name": "A", "email": "a@b.co"})
    assert response["statusCode"] == 500
    assert body(response) == {"error": "internal error"}
    assert "Traceback" not in response["body"] and "ResourceNotFound" not in response["body"]


@pytest.mark.parametrize("direct_event", [
    {"key1": "Nico"},  # the course's console test event
    {"path": "/hello"},
    {"httpMethod": "GET"},
    {},
    ["not", "an", "object"],
    "hello",
])
def test_non_api_gateway_event_is_a_400_json_error_with_cors(api, lambda_context, direct_event):
    response = handler.lambda_handler(direct_event, lambda_context)
    assert response["statusCode"] == 400
    assert body(response) == {"error": "not an API Gateway REST proxy request: expected httpMethod and path"}
    assert headers(response)["access-control-allow-origin"] == "*"
    assert headers(response)["content-type"] == "application/json"


# --- events (issue 5 item 2) -------------------------------------------------------------------

@pytest.fixture
def topic_queue(aws, monkeypatch):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="events")["TopicArn"]
    queue = sqs.create_queue(QueueName="events-copy")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("EVENTS_TOPIC_ARN", topic)
    store.reset_clients()

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return received


def test_new_subscriber_publishes_one_created_event(api, topic_queue):
    first = api("POST", "/subscribers", body={"name": "Ada", "email": "ada@example.org"})
    api("POST", "/subscribers", body={"name": "Ada", "email": "ada@example.org"})  # idempotent: no event
    events = topic_queue()
    assert len(events) == 1
    (event_,) = events
    assert event_["type"] == "subscriber.created"
    assert len(event_["id"]) == 36 and event_["id"].count("-") == 4
    assert first["statusCode"] == 202
    assert event_["subscriber"] == stored("ada@example.org")
    assert event_["occurredAt"] == stored("ada@example.org")["createdAt"]


def test_failed_publish_undoes_the_write_so_a_retry_publishes(api, topic_queue, monkeypatch):
    monkeypatch.setenv("EVENTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:missing")
    failed = api("POST", "/subscribers", body={"name": "Ada", "email": "ada@example.org"})
    assert failed["statusCode"] == 500 and stored("ada@example.org") is None
    monkeypatch.setenv("EVENTS_TOPIC_ARN", boto3.client("sns").list_topics()["Topics"][0]["TopicArn"])
    retried = api("POST", "/subscribers", body={"name": "Ada", "email": "ada@example.org"})
    assert retried["statusCode"] == 202
    assert [e["subscriber"]["email"] for e in topic_queue()] == ["ada@example.org"]


# --- fuzz: no 500, always CORS -----------------------------------------------------------------

header_names = st.sampled_from(["Content-Type", "content-type", "Origin", "Accept", "X-Amz-Date", "Cookie", "X-Any"])
text = st.text(max_size=80)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    st.none(), text, st.binary(max_size=200),
    json_values.map(json.dumps),
    st.fixed_dictionaries({"name": json_values | text, "email": json_values | st.emails()}).map(json.dumps),
    st.builds(lambda n: json.dumps({"name": "A", "email": "a@b.co", "x": "y" * n}), st.integers(4000, 5000)),
)
requests = st.fixed_dictionaries({
    "method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"]),
    "path": st.sampled_from(["/hello", "/subscribers", "/subscribers/", "/"]) | st.builds(
        lambda s: "/subscribers/" + s, st.text(st.characters(exclude_characters="/?#"), max_size=40)
    ) | st.builds(lambda s: "/" + s, text),
    "query": st.dictionaries(st.sampled_from(["name", "key1", "x"]) | text, st.lists(text, min_size=1, max_size=3), max_size=3),
    "headers": st.lists(st.tuples(header_names, text), max_size=4),
    "body": bodies,
    "base64": st.booleans(),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(req=requests)
def test_fuzz_never_500_and_always_cors(api, lambda_context, req):
    from platformctl.sandbox_events import proxy_event

    raw = req["body"].encode() if isinstance(req["body"], str) else (req["body"] or b"")
    ev = proxy_event(req["method"], req["path"], req["headers"], req["query"], raw)
    if req["base64"] and ev["body"] is not None and not ev["isBase64Encoded"]:
        ev["body"], ev["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    response = handler.lambda_handler(ev, lambda_context)
    assert response["statusCode"] < 500, (req, response)
    hdrs = headers(response)
    assert "access-control-allow-origin" in hdrs, response
    if response["statusCode"] >= 400:
        assert isinstance(body(response)["error"], str)
