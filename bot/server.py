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

    Worker threads finish first. Then the loop's socket map is emptied, which
    ends the loop at its next turn, and the loop is woken through its trigger.
    Sockets are closed only after the loop thread has ended, because closing
    them while it may be in `select()` raises EBADF there.
    """
    server.task_dispatcher.shutdown()
    # The stubs type these loosely, so they are reached through Any.
    loop: Any = server
    socket_map: dict[int, Any] = loop._map
    dispatchers = list(socket_map.values())
    socket_map.clear()
    try:
        loop.trigger.pull_trigger()
    except OSError:
        logger.debug("The server's wake-up pipe was already closed; the loop ends on its timeout")
    thread.join(timeout=10)
    for dispatcher in dispatchers:
        try:
            dispatcher.close()
        except OSError:
            logger.debug("A server socket was already closed")


def bound_port(server: BaseWSGIServer) -> int:
    """Return the port a server listens on, useful after binding port 0."""
    loop: Any = server
    return int(loop.effective_port)
