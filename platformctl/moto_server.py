"""moto's server on 127.0.0.1, answering one request at a time.

moto's in-memory backends are not thread-safe: with several clients receiving from one SQS
queue at once (three worker processes, or the sandbox's API and worker threads), moto's
threaded server corrupts the queue's message list (`list.remove(x): x not in list`, HTTP 500)
and can hand a message out twice within its visibility timeout, which real SQS never does.
Serialising the requests keeps moto's semantics; connections stay concurrent.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


class SerialMotoServer(ThreadedMotoServer):
    """`ThreadedMotoServer` whose application runs one request at a time."""

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def serial(environ: dict[str, Any], start_response: Any) -> Any:
            with lock:
                # Materialise the body under the lock: moto builds it while iterating.
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, serial, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def start_moto_server(host: str = "127.0.0.1") -> tuple[SerialMotoServer, str]:
    """A started server on a free port and its endpoint URL; `server.stop()` ends it."""
    server = SerialMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    bound_host, port = server.get_host_and_port()
    return server, f"http://{bound_host}:{port}"
