"""Wire config, database, Web API client and Bolt app into one running bot."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.app import build_app
from bot.background import BackgroundWork
from bot.config import Config, ConfigError
from bot.live_plan import LivePlan
from bot.services import Services, utc_now
from storage.db import make_engine, make_session_factory, upgrade

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    config: Config
    engine: Engine
    client: WebClient
    services: Services
    app: App
    # Not started here: `mapbot run` starts its thread, tests drive it by hand.
    live_plan: LivePlan
    background: BackgroundWork


def build_runtime(
    config: Config,
    *,
    clock: Callable[[], datetime] = utc_now,
    migrate: bool | None = None,
) -> Runtime:
    """Connect to the database and to Slack, and build the app.

    SQLite databases are migrated here; other databases only when `migrate`
    is True, because production runs `mapbot db upgrade` as its own step.
    """
    engine = make_engine(config.database_url)
    if migrate or (migrate is None and engine.dialect.name == "sqlite"):
        upgrade(engine)
    client = make_client(config)
    team_id = installed_team(client)
    sessions = make_session_factory(engine)
    live_plan = LivePlan(sessions, client, clock=clock)
    background = BackgroundWork()
    services = Services(
        sessions=sessions,
        team_id=team_id,
        clock=clock,
        live_plan=live_plan,
        background=background,
    )
    app = build_app(config, services, client)
    return Runtime(
        config=config,
        engine=engine,
        client=client,
        services=services,
        app=app,
        live_plan=live_plan,
        background=background,
    )


def make_client(config: Config) -> WebClient:
    if config.slack_api_url is None:
        return WebClient(token=config.bot_token)
    return WebClient(token=config.bot_token, base_url=config.slack_api_url)


def installed_team(client: WebClient) -> str:
    """Return the id of the workspace the bot token belongs to."""
    try:
        response = client.auth_test()
    except SlackApiError as error:
        raise ConfigError(
            f"Slack rejected SLACK_BOT_TOKEN ({error.response.get('error')}): copy the Bot "
            "User OAuth Token again from OAuth & Permissions in your app's settings."
        ) from error
    team_id = str(response["team_id"])
    logger.info("Connected to Slack as %s in workspace %s", response.get("user_id"), team_id)
    return team_id
