"""Previous, Next and "Go to milestone…" on a plan message too long for one message.

The page on show is stored on the room, not per person: a click turns the
page of the live plan message for everyone in the channel.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot import ids
from bot.blocks.plan import lay_out_plan
from bot.dates import today_in_zone
from bot.payloads import ActionRequest
from bot.services import Services
from storage import live_messages, plans
from storage.errors import NotFoundError, UserError

logger = logging.getLogger(__name__)

OUTDATED_BUTTON = "That button is out of date. Type `/map status` to post the current plan."
MILESTONE_GONE = (
    "That milestone is no longer in this plan. Type `/map status` to post the current plan."
)


class PageNavigation:
    """Stores the page a person picked and schedules a redraw of the live message."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        click = ActionRequest.from_body(body)
        try:
            self.turn_page(click)
        except UserError as error:
            respond(text=error.message, response_type="ephemeral", replace_original=False)
            return
        self.services.plan_changed(click.channel_id, source_ts=click.message_ts or None)

    def turn_page(self, click: ActionRequest) -> None:
        if click.team_id != self.services.team_id:
            logger.warning(
                "Rejected a page click from another workspace (team=%s channel=%s user=%s)",
                click.team_id,
                click.channel_id,
                click.user_id,
            )
            raise NotFoundError(OUTDATED_BUTTON)
        if not click.value.isdecimal():
            logger.warning(
                "Rejected a page click with a malformed value (action=%s)", click.action_id
            )
            raise NotFoundError(OUTDATED_BUTTON)
        if click.action_id == ids.PLAN_PAGE_MILESTONE:
            self.services.write(lambda session: self._show_milestone(session, click))
        else:
            self.services.write(lambda session: self._show_page(session, click, int(click.value)))

    def _show_page(self, session: Session, click: ActionRequest, page: int) -> None:
        if page < 1 or not live_messages.set_live_page(
            session, self.services.team_id, click.channel_id, page
        ):
            raise NotFoundError(OUTDATED_BUTTON)

    def _show_milestone(self, session: Session, click: ActionRequest) -> None:
        plan = plans.load_plan(session, self.services.team_id, click.channel_id)
        if plan is None:
            raise NotFoundError(plans.NOT_A_ROOM)
        today = today_in_zone(self.services.now(), plan.room.timezone)
        page = lay_out_plan(plan, today).page_of_milestone(int(click.value))
        if page is None:
            raise NotFoundError(MILESTONE_GONE)
        self._show_page(session, click, page)


def register(app: App, services: Services) -> None:
    handler = PageNavigation(services)
    app.action(ids.PLAN_PAGE_PREVIOUS)(handler)
    app.action(ids.PLAN_PAGE_NEXT)(handler)
    app.action(ids.PLAN_PAGE_MILESTONE)(handler)
