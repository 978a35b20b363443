"""moto's server on 127.0.0.1, answering one request at a time.

moto's in-memory backends are not thread-safe: with several clients receiving from one SQS
queue at once (three worker processes, or the sandbox's API and worker threads), moto's
threaded server corrupts the queue's message list (`list.remove(x): x not in list`, HTTP 500)
and can hand a message out twice within its visibility timeout, which real SQS never does.
Serialising the requests keeps moto's semantics; connections stay concurrent.

moto's SQS is also quadratic where AWS is not (`fast_sqs`): the sandbox, game day and the
delivery tests push a thousand messages through one queue.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


def fast_sqs() -> None:
    """Make moto 5's SQS linear again, keeping its results (idempotent, process-wide).

    For every message a ReceiveMessage hands out, moto reads the queue's retention period
    through `get_queue_attributes`, which builds every attribute twice, the approximate counts
    included: three scans over all of the queue's messages, each message asking moto's clock
    (two naive datetimes per call) whether it is visible and not delayed. With 1,100 messages
    queued one receive of ten took ~0.7 s. Here the retention check reads the queue's period
    directly and the clock is `time.time()`, which is what moto's datetime arithmetic computes.
    tests/functions/test_moto_sqs.py pins both against moto's own behaviour.
    """
    from moto.sqs import models

    if getattr(models, "_fast_sqs", False):
        return
    slow_unix_time, slow_unix_time_millis = models.unix_time, models.unix_time_millis

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else slow_unix_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else slow_unix_time_millis(dt)

    def within_retention(backend: Any, queue_name: str, message: Any) -> bool:
        retention = int(backend.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > unix_time()

    models.unix_time, models.unix_time_millis = unix_time, unix_time_millis
    models.SQSBackend.is_message_valid_based_on_retention_period = within_retention
    models._fast_sqs = True


def backends_listed_once() -> None:
    """Answer moto's "is this host a backend's name?" from one listing of its package (idempotent).

    moto's server asks it twice per request, and each time lists the moto package folder and
    stats its ~170 entries (`moto.backends.list_of_moto_modules`): about a tenth of the
    server's time. The installed package does not change while the process runs.
    tests/functions/test_moto_server.py pins the answer against moto's own listing."""
    from moto import backends

    if getattr(backends.list_of_moto_modules, "listed_once", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules.listed_once = True
    backends.list_of_moto_modules = list_of_moto_modules


class QuietRequestHandler(MotoRequestHandler):
    """No access-log line per request: at thousands of requests per delivery test or game day
    they are noise on stderr and a lock and a flush each. Errors are still logged."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


class SerialMotoServer(ThreadedMotoServer):
    """`ThreadedMotoServer` whose application runs one request at a time."""

    def _server_entry(self) -> None:
        fast_sqs()
        backends_listed_once()
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def serial(environ: dict[str, Any], start_response: Any) -> Any:
            with lock:
                # Materialise the body under the lock: moto builds it while iterating.
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, serial, True, request_handler=QuietRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def reset_moto(endpoint: str) -> None:
    """Empty moto: its backends are per process, not per server, so a new server would otherwise
    hold what an earlier one (or in-process moto) created here; OSError if it cannot be reached."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(  # noqa: S310 (moto on loopback)
        f"{endpoint}/moto-api/reset", method="POST"), timeout=5).close()


def start_moto_server(host: str = "127.0.0.1") -> tuple[SerialMotoServer, str]:
    """A started, empty server on a free port and its endpoint URL; `server.stop()` ends it."""
    server = SerialMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    bound_host, port = server.get_host_and_port()
    endpoint = f"http://{bound_host}:{port}"
    reset_moto(endpoint)
    return server, endpoint
