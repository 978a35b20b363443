"""platformctl.moto_server's server keeps moto's answers while dropping per-request work:
the backend listing is read once, and requests leave no access-log line."""

from __future__ import annotations

import logging
from pathlib import Path

import boto3
import moto
from moto import backends

from platformctl.moto_server import backends_listed_once


def test_the_backend_listing_is_moto_s_own_read_once():
    backends_listed_once()
    listing = backends.list_of_moto_modules
    backends_listed_once()
    assert backends.list_of_moto_modules is listing  # installed once
    package = Path(moto.__file__).parent
    assert list(listing()) == sorted(p.name for p in package.iterdir() if p.is_dir() and not p.name.startswith("__"))
    assert {"sqs", "dynamodb", "sns", "s3"} <= set(listing())


def test_requests_route_to_their_backends_and_leave_no_access_log(moto_server, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    options = {"endpoint_url": moto_server, "region_name": "eu-west-1",
               "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # noqa: S106 (moto)
    sqs, dynamodb = boto3.client("sqs", **options), boto3.client("dynamodb", **options)
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["hello"]
    assert dynamodb.list_tables()["TableNames"] == []
    assert [r for r in caplog.records if r.name == "werkzeug"] == []
