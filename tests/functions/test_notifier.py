"""The notifier: SNS event in, outcome out (-> on-success destination), raise on invalid (-> retries, DLQ)."""

from __future__ import annotations

import json

import pytest

from functions.notifier.app import InvalidNotificationError, lambda_handler

from .events import sns_event, subscriber_created


def test_valid_events_are_returned_for_the_success_destination():
    a, b = subscriber_created("id-a"), {"type": "latency.probe", "id": "id-b"}
    result = lambda_handler(sns_event(json.dumps(a), json.dumps(b)), None)
    assert result == {"notified": [{"id": "id-a", "type": "subscriber.created"}, {"id": "id-b", "type": "latency.probe"}]}


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("not json", "message is not JSON"),
        ('{"type": "subscriber.created"}', "id: Field required"),
        ('{"type": "order.created", "id": "1"}', "unknown event type 'order.created'"),
        ('{"type": "subscriber.created", "id": ""}', "id: String should have at least 1 character"),
    ],
)
def test_invalid_message_raises_so_lambda_retries_then_dead_letters(message, error):
    with pytest.raises(InvalidNotificationError, match=error):
        lambda_handler(sns_event(json.dumps(subscriber_created()), message), None)


@pytest.mark.parametrize("kind", ["worker", "notifier"])
def test_shipped_package_imports_as_its_handler(kind, tmp_path):
    """Lay the Lambda archive out as the task root and import `<kind>.app.lambda_handler` there."""
    import shutil
    import subprocess
    import sys

    from components.blocks import package_handler
    from components.messaging_args import FUNCTIONS_DIR

    for name, asset in package_handler(FUNCTIONS_DIR, kind).assets.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(asset.path, tmp_path / name)
    code = f"import {kind}.app as m; assert callable(m.lambda_handler); print(m.__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "AWS_DEFAULT_REGION": "eu-west-1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(tmp_path))
