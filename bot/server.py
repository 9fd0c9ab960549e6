"""The HTTP front door: `POST /slack/events` and `GET /healthz` on waitress."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from waitress.server import BaseWSGIServer
from waitress.server import create_server as create_waitress_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
SERVER_THREADS = 8


def make_wsgi_app(app: App, engine: Engine) -> WSGIApplication:
    """Route Slack's requests to Bolt and health checks to a database ping."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            return _health(engine, start_response)
        return slack(environ, start_response)

    return wsgi


def _health(engine: Engine, start_response: Callable[..., object]) -> list[bytes]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("Health check failed: the database is not reachable")
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"database unavailable\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


def create_server(wsgi: WSGIApplication, host: str, port: int) -> BaseWSGIServer:
    """Bind a waitress server on one address; `run()` serves until `stop_server()`."""
    server = create_waitress_server(
        wsgi, host=host, port=port, threads=SERVER_THREADS, ident="mapbot"
    )
    if not isinstance(server, BaseWSGIServer):
        raise ValueError(f"{host} resolves to several addresses; give one address to listen on")
    return server


def stop_server(server: BaseWSGIServer, thread: threading.Thread) -> None:
    """Stop a server that runs in `thread`, and wait for it.

    Worker threads finish first. The loop's own thread then closes the
    sockets, because closing them from outside races with its `select()`.
    The wake-up pipe is only taken out of the loop and closed after the loop
    has ended, because late worker callbacks may still write to it.
    """
    server.task_dispatcher.shutdown()
    # The stubs type these loosely, so they are reached through Any.
    loop: Any = server
    trigger = loop.trigger
    trigger.pull_trigger(lambda: _close_all_but(loop._map, trigger))
    thread.join(timeout=10)
    trigger.close()


def _close_all_but(socket_map: dict[int, Any], keep: Any) -> None:
    for fileno, dispatcher in list(socket_map.items()):
        if dispatcher is keep:
            del socket_map[fileno]
        else:
            dispatcher.close()


def bound_port(server: BaseWSGIServer) -> int:
    """Return the port a server listens on, useful after binding port 0."""
    loop: Any = server
    return int(loop.effective_port)
