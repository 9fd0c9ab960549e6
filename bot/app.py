"""Build the Bolt app from a config object. Nothing happens at import time."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Config
from bot.listeners import (
    actions,
    activity,
    commands,
    errors,
    milestone_controls,
    nudges,
    pages,
    task_controls,
    task_modals,
)
from bot.services import Services


def build_app(config: Config, services: Services, client: WebClient) -> App:
    """Create the Bolt app with every listener registered.

    `process_before_response=True` runs each listener before the HTTP response
    is sent. Bolt's default runner instead polls for `ack()` every 10 ms, which
    adds about 10 ms to every request. Slow work, such as a `/map` command
    that calls the Web API, runs as a lazy listener on `services.background`
    after the HTTP response is sent, so Slack's 3-second limit does not depend
    on the database or the Web API.
    """
    app = App(
        client=client,
        signing_secret=config.signing_secret,
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=not config.socket_mode,
        logger=logging.getLogger("slack_bolt"),
        listener_executor=services.background,
    )
    activity.register(app, services)
    commands.register(app, services)
    actions.register(app, services)
    pages.register(app, services)
    nudges.register(app, services)
    task_forms = task_modals.register(app, services)
    task_controls.register(app, services, task_forms)
    milestone_controls.register(app, services)
    errors.register(app)
    return app
