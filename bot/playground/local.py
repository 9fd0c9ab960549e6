"""The whole bot on this machine: the Slack stand-in, the real HTTP server and a driver.

`mapbot try`, the end-to-end tests and the benchmarks all start mapbot this
way, so what they exercise is what `mapbot run` serves: Bolt behind waitress,
signature checks on, a real database, and Web API calls over loopback.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from bot.config import Config
from bot.playground.driver import SlackDriver
from bot.playground.slack_requests import SentResponse, SignedSender
from bot.playground.standin import SlackStandIn
from bot.runtime import Runtime, build_runtime
from bot.server import bound_port, create_server, make_wsgi_app, stop_server
from bot.services import utc_now

if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer

logger = logging.getLogger(__name__)

HOME_TEAM = "T0HOME"
BUYER_TEAM = "T0BUYER"
DEAL_CHANNEL = "C0DEAL"


@dataclass(frozen=True)
class Person:
    user_id: str
    team_id: str
    name: str
    real_name: str


# The people `mapbot try` and the tests act as: sellers in the app's own
# workspace, and a buyer who is a Slack Connect guest from another workspace.
PEOPLE = (
    Person("U0SELLER", HOME_TEAM, "sam.seller", "Sam Seller"),
    Person("U0SE2", HOME_TEAM, "sol.engineer", "Sol Engineer"),
    Person("U0BUYER", BUYER_TEAM, "bea.buyer", "Bea Buyer"),
)


class LocalBot:
    """Start with `with LocalBot(database_url) as bot:`; everything stops on exit."""

    def __init__(
        self,
        database_url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        channel_id: str = DEAL_CHANNEL,
        live_plan_thread: bool = True,
    ) -> None:
        self.database_url = database_url
        self.clock = clock
        self.channel_id = channel_id
        # Tests turn the live plan thread off and call `runtime.live_plan.flush_due()`.
        self.live_plan_thread = live_plan_thread
        self.signing_secret = secrets.token_hex(16)
        self.standin = SlackStandIn(team_id=HOME_TEAM)
        self._server_thread: threading.Thread | None = None
        self._server: BaseWSGIServer | None = None
        self.runtime: Runtime | None = None
        self.url = ""

    def __enter__(self) -> LocalBot:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.standin.start()
        for person in PEOPLE:
            self.standin.add_user(
                person.user_id, person.team_id, person.name, real_name=person.real_name
            )
        self.standin.add_user("U0OTHERBOT", HOME_TEAM, "otherbot", is_bot=True)
        self.standin.add_user("U0GONE", HOME_TEAM, "gone.person", deleted=True)
        self.standin.add_channel(self.channel_id, "deal-acme", is_ext_shared=True)

        config = Config(
            bot_token=self.standin.bot_token,
            signing_secret=self.signing_secret,
            app_token=None,
            database_url=self.database_url,
            slack_api_url=self.standin.api_url,
            port=0,
        )
        self.runtime = build_runtime(config, clock=self.clock, migrate=True)
        if self.live_plan_thread:
            self.runtime.live_plan.start()
        server = create_server(make_wsgi_app(self.runtime.app, self.runtime.engine), "127.0.0.1", 0)
        self._server = server
        port = bound_port(server)
        self.url = f"http://127.0.0.1:{port}"
        self._server_thread = threading.Thread(target=server.run, name="mapbot-http", daemon=True)
        self._server_thread.start()
        logger.info("Local bot serving on %s", self.url)

    def stop(self) -> None:
        if self._server is not None and self._server_thread is not None:
            stop_server(self._server, self._server_thread)
        if self.runtime is not None:
            self.runtime.background.shutdown(wait=True)
            self.runtime.live_plan.stop()
            self.runtime.engine.dispose()
        self.standin.stop()

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def sender(self) -> SignedSender:
        return _WaitingSender(self)

    def driver(self, channel_id: str | None = None) -> SlackDriver:
        return SlackDriver(self.standin, self.sender(), HOME_TEAM, channel_id or self.channel_id)


class _WaitingSender(SignedSender):
    """Sends signed requests and returns once the bot's background work is done.

    Commands run after the HTTP response, so without the wait a caller could
    look at the channel before the bot has posted to it.
    """

    def __init__(self, bot: LocalBot) -> None:
        super().__init__(bot.events_url, bot.signing_secret)
        self._bot = bot

    def post(
        self, body: bytes, *, timestamp: int | None = None, signature: str | None = None
    ) -> SentResponse:
        response = super().post(body, timestamp=timestamp, signature=signature)
        runtime = self._bot.runtime
        if runtime is not None and not runtime.background.wait_idle(timeout=30):
            logger.warning("Background work still running after 30 s")
        return response
