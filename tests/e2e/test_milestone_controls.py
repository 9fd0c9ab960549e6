"""The milestone modals and each milestone's menu, through signed requests to the real server."""

from __future__ import annotations

from datetime import date

import pytest

from bot import ids
from bot.listeners.milestone_controls import MILESTONE_ALREADY_DELETED
from storage.models import Status
from storage.plan_edits import MILESTONE_GONE
from tests.e2e.conftest import (
    BUYER,
    SELLER,
    SELLER_2,
    last_ephemeral,
    sample_plan,
    send_plan_updates,
    start_room,
)
from tests.e2e.modal_helpers import (
    activity_actions,
    closed,
    field_errors,
    initial_values,
    metadata,
    milestone_id,
    milestone_order,
    milestone_row,
    notice_text,
    only_view,
    pick_from,
    plan_text,
    post_plan,
    row_counts,
    task_id,
    task_row,
    view_text,
)


def open_add_form(bot, driver, user=SELLER) -> dict:
    driver.command(user, "add milestone")
    return only_view(bot, user)


def pick(bot, driver, ts: str, verb: str, title: str, user=SELLER):
    return driver.click(
        user, ts, ids.MILESTONE_OVERFLOW, value=f"{verb}:{milestone_id(bot, title)}"
    )


def menu_values(bot, ts: str) -> dict[str, list[str]]:
    """Map each milestone heading's block_id to the verbs its menu offers."""
    message = bot.standin.message("C0DEAL", ts)
    menus = {}
    for block in message["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == ids.MILESTONE_OVERFLOW:
            verbs = [option["value"].split(":")[0] for option in accessory["options"]]
            menus[block["block_id"]] = verbs
    return menus


# Adding


def test_add_command_opens_form_at_once(local_bot, driver):
    start_room(driver)
    local_bot.standin.reset_calls()

    view = open_add_form(local_bot, driver)

    methods = [name for name, _ in local_bot.standin.calls if name.startswith("views.")]
    assert methods == ["views.open"]
    assert view["callback_id"] == ids.VIEW_MILESTONE_ADD
    assert [block["block_id"] for block in view["blocks"]] == [
        ids.FIELD_TITLE,
        ids.FIELD_DUE_DATE,
        ids.FIELD_POSITION,
    ]


def test_add_at_position_with_due_date(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)

    result = driver.submit(
        SELLER,
        view["id"],
        {ids.FIELD_TITLE: "Discovery", ids.FIELD_DUE_DATE: "2027-03-09", ids.FIELD_POSITION: "1"},
    )

    assert closed(result)
    assert milestone_order(local_bot) == [
        (1, "Discovery"),
        (2, "Security review"),
        (3, "Legal review"),
    ]
    milestone = milestone_row(local_bot, "Discovery")
    assert milestone is not None
    assert milestone.due_date == date(2027, 3, 9)
    assert last_ephemeral(local_bot, SELLER) == (
        "Added milestone 1. *Discovery*, due Tue Mar 9, 2027."
    )


def test_add_without_position_goes_last(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)

    driver.submit(SELLER, view["id"], {ids.FIELD_TITLE: "Kickoff"})

    assert milestone_order(local_bot)[-1] == (3, "Kickoff")


def test_add_button_redraws_plan(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)

    driver.click(BUYER, ts, ids.PLAN_ADD_MILESTONE)
    view = only_view(local_bot, BUYER)
    assert metadata(view) == {"channel_id": "C0DEAL", "message_ts": ts}
    driver.submit(BUYER, view["id"], {ids.FIELD_TITLE: "Procurement"})
    send_plan_updates(local_bot)

    assert "3. Procurement" in plan_text(local_bot, ts)


def test_add_in_empty_plan_button(local_bot, driver):
    start_room(driver)
    ts = post_plan(local_bot, driver)

    driver.click(SELLER, ts, ids.PLAN_ADD_MILESTONE)
    driver.submit(SELLER, only_view(local_bot, SELLER)["id"], {ids.FIELD_TITLE: "Discovery"})

    assert milestone_order(local_bot) == [(1, "Discovery")]


@pytest.mark.parametrize(
    ("answers", "block_id", "expected"),
    [
        ({ids.FIELD_TITLE: "  "}, ids.FIELD_TITLE, "The milestone title is empty."),
        ({ids.FIELD_TITLE: "m" * 201}, ids.FIELD_TITLE, "The milestone title is 201 characters"),
        (
            {ids.FIELD_TITLE: "Kickoff", ids.FIELD_POSITION: "0"},
            ids.FIELD_POSITION,
            "Position 0 is not in the plan: positions start at 1.",
        ),
        (
            {ids.FIELD_TITLE: "Kickoff", ids.FIELD_POSITION: "9"},
            ids.FIELD_POSITION,
            "Position 9 is past the end: this plan has 2 milestones. Use a number from 1 to 3",
        ),
        (
            {ids.FIELD_TITLE: "Kickoff", ids.FIELD_POSITION: "1.5"},
            ids.FIELD_POSITION,
            "1.5 is not a whole number.",
        ),
        (
            {ids.FIELD_TITLE: "Kickoff", ids.FIELD_DUE_DATE: "2040-01-01"},
            ids.FIELD_DUE_DATE,
            "2040-01-01 is more than 10 years away.",
        ),
    ],
)
def test_invalid_add_writes_nothing(local_bot, driver, answers, block_id, expected):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    before = row_counts(local_bot)

    errors = field_errors(driver.submit(SELLER, view["id"], answers))

    assert list(errors) == [block_id]
    assert errors[block_id].startswith(expected)
    assert row_counts(local_bot) == before


def test_add_past_due_date_needs_second_submit(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    answers = {ids.FIELD_TITLE: "Kickoff", ids.FIELD_DUE_DATE: "2026-12-01"}

    errors = field_errors(driver.submit(SELLER, view["id"], answers))
    assert errors[ids.FIELD_DUE_DATE].startswith("2026-12-01 is in the past")
    assert milestone_row(local_bot, "Kickoff") is None

    assert closed(driver.submit(SELLER, view["id"], answers))
    milestone = milestone_row(local_bot, "Kickoff")
    assert milestone is not None
    assert milestone.due_date == date(2026, 12, 1)


# The menu on each milestone


def test_menu_leaves_out_impossible_moves(local_bot, driver):
    sample_plan(driver)
    driver.command(SELLER, "add milestone Kickoff")
    ts = post_plan(local_bot, driver)

    menus = menu_values(local_bot, ts)

    security = f"milestone:{milestone_id(local_bot, 'Security review')}"
    legal = f"milestone:{milestone_id(local_bot, 'Legal review')}"
    kickoff = f"milestone:{milestone_id(local_bot, 'Kickoff')}"
    assert menus[security] == ["edit", "status", "down", "delete"]
    assert menus[legal] == ["edit", "status", "up", "down", "delete"]
    assert menus[kickoff] == ["edit", "status", "up", "delete"]


def test_rename_and_set_due_date(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)

    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Legal review")
    view = only_view(local_bot, SELLER)
    assert view["callback_id"] == ids.VIEW_MILESTONE_EDIT
    assert initial_values(view) == {ids.FIELD_TITLE: "Legal review"}
    answers = {ids.FIELD_TITLE: "Legal and redlines", ids.FIELD_DUE_DATE: "2027-03-09"}
    assert closed(driver.submit(SELLER, view["id"], answers))
    send_plan_updates(local_bot)

    milestone = milestone_row(local_bot, "Legal and redlines")
    assert milestone is not None
    assert milestone.due_date == date(2027, 3, 9)
    assert activity_actions(local_bot)[-2:] == ["milestone.renamed", "milestone.due_date"]
    assert "2. Legal and redlines" in plan_text(local_bot, ts)
    assert "due Tue Mar 9, 2027" in plan_text(local_bot, ts)


def test_edit_can_remove_due_date(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Security review")
    view = only_view(local_bot, SELLER)
    assert initial_values(view)[ids.FIELD_DUE_DATE] == "2027-01-15"

    answers = {ids.FIELD_TITLE: "Security review", ids.FIELD_REMOVE_DUE_DATE: ["remove"]}
    assert closed(driver.submit(SELLER, view["id"], answers))

    milestone = milestone_row(local_bot, "Security review")
    assert milestone is not None
    assert milestone.due_date is None
    assert activity_actions(local_bot)[-1] == "milestone.due_date"


def test_rename_to_empty_title_is_rejected(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Legal review")

    errors = field_errors(
        driver.submit(SELLER, only_view(local_bot, SELLER)["id"], {ids.FIELD_TITLE: " "})
    )

    assert errors[ids.FIELD_TITLE].startswith("The milestone title is empty.")
    assert milestone_row(local_bot, "Legal review") is not None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("security REVIEW", "Milestone 1 is already titled “Security review”."),
        ("2", "“2” can't be a milestone title"),
    ],
)
def test_rename_to_unusable_title_is_rejected(local_bot, driver, title, expected):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Legal review")
    before = row_counts(local_bot)

    errors = field_errors(
        driver.submit(SELLER, only_view(local_bot, SELLER)["id"], {ids.FIELD_TITLE: title})
    )

    assert errors[ids.FIELD_TITLE].startswith(expected)
    assert milestone_row(local_bot, "Legal review") is not None
    assert row_counts(local_bot) == before


def test_add_with_used_title_is_rejected(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    before = row_counts(local_bot)

    errors = field_errors(driver.submit(SELLER, view["id"], {ids.FIELD_TITLE: "Legal Review"}))

    assert errors[ids.FIELD_TITLE].startswith("Milestone 2 is already titled “Legal review”.")
    assert row_counts(local_bot) == before


def test_manual_status_kept_until_automatic(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)

    pick(local_bot, driver, ts, ids.MILESTONE_STATUS, "Security review")
    view = only_view(local_bot, SELLER)
    assert initial_values(view) == {ids.FIELD_STATUS: "automatic"}
    driver.submit(SELLER, view["id"], {ids.FIELD_STATUS: Status.COMPLETED.value})
    send_plan_updates(local_bot)

    security = milestone_row(local_bot, "Security review")
    assert security is not None
    assert (security.status, security.status_manual) == (Status.COMPLETED, True)
    assert "Completed (set by hand)" in plan_text(local_bot, ts)
    assert task_row(local_bot, 1).status is Status.NOT_STARTED
    assert task_row(local_bot, 2).status is Status.NOT_STARTED

    driver.click(
        SELLER,
        ts,
        ids.TASK_OVERFLOW,
        value=f"{ids.MENU_IN_PROGRESS}:{task_id(local_bot, 1)}:not_started",
    )
    security = milestone_row(local_bot, "Security review")
    assert security.status is Status.COMPLETED

    pick(local_bot, driver, ts, ids.MILESTONE_STATUS, "Security review")
    view = only_view(local_bot, SELLER)
    assert initial_values(view) == {ids.FIELD_STATUS: Status.COMPLETED.value}
    driver.submit(SELLER, view["id"], {ids.FIELD_STATUS: "automatic"})
    send_plan_updates(local_bot)

    security = milestone_row(local_bot, "Security review")
    assert (security.status, security.status_manual) == (Status.IN_PROGRESS, False)
    assert "set by hand" not in plan_text(local_bot, ts)


def test_move_down_and_up(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)

    pick(local_bot, driver, ts, ids.MILESTONE_DOWN, "Security review")
    send_plan_updates(local_bot)

    assert milestone_order(local_bot) == [(1, "Legal review"), (2, "Security review")]
    text = plan_text(local_bot, ts)
    assert text.index("1. Legal review") < text.index("2. Security review")

    pick(local_bot, driver, ts, ids.MILESTONE_UP, "Security review")
    assert milestone_order(local_bot) == [(1, "Security review"), (2, "Legal review")]
    assert activity_actions(local_bot).count("milestone.moved") == 2


def test_move_past_the_end_changes_nothing(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    shown = local_bot.standin.message_payload("C0DEAL", ts)
    down = f"{ids.MILESTONE_DOWN}:{milestone_id(local_bot, 'Security review')}"
    # Both clicks come from the same rendering, where Security review was first.
    pick_from(local_bot, driver, SELLER, shown, down)
    before = row_counts(local_bot)

    pick_from(local_bot, driver, SELLER_2, shown, down)

    assert milestone_order(local_bot) == [(1, "Legal review"), (2, "Security review")]
    assert row_counts(local_bot) == before
    assert last_ephemeral(local_bot, SELLER_2) == (
        "That milestone is already the last one, so nothing was moved."
    )


def test_delete_says_how_many_tasks_go(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)

    pick(local_bot, driver, ts, ids.MILESTONE_DELETE, "Security review")
    view = only_view(local_bot, SELLER)
    assert view["callback_id"] == ids.VIEW_MILESTONE_DELETE
    assert "Its 2 tasks (#1, #2) will be deleted with it." in view_text(view)
    assert milestone_row(local_bot, "Security review") is not None

    assert closed(driver.submit(SELLER, view["id"], {}))
    send_plan_updates(local_bot)

    assert milestone_row(local_bot, "Security review") is None
    assert task_row(local_bot, 1) is None
    assert task_row(local_bot, 2) is None
    assert milestone_order(local_bot) == [(1, "Legal review")]
    assert last_ephemeral(local_bot, SELLER) == (
        "Deleted milestone *1. Security review* and its 2 tasks."
    )
    assert "Security review" not in plan_text(local_bot, ts)


def test_delete_empty_milestone_says_so(local_bot, driver):
    sample_plan(driver)
    driver.command(SELLER, "add milestone Kickoff")
    ts = post_plan(local_bot, driver)

    pick(local_bot, driver, ts, ids.MILESTONE_DELETE, "Kickoff")
    view = only_view(local_bot, SELLER)
    assert "It has no tasks." in view_text(view)

    driver.submit(SELLER, view["id"], {})

    assert last_ephemeral(local_bot, SELLER) == "Deleted milestone *3. Kickoff*."


def test_delete_twice_says_already_deleted(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_DELETE, "Legal review", user=SELLER)
    pick(local_bot, driver, ts, ids.MILESTONE_DELETE, "Legal review", user=SELLER_2)

    first = driver.submit(SELLER, only_view(local_bot, SELLER)["id"], {})
    before = row_counts(local_bot)
    second = driver.submit(SELLER_2, only_view(local_bot, SELLER_2)["id"], {})

    assert closed(first)
    assert MILESTONE_ALREADY_DELETED in notice_text(second)
    assert row_counts(local_bot) == before
    assert activity_actions(local_bot).count("milestone.deleted") == 1
    assert milestone_order(local_bot) == [(1, "Security review")]


def test_edit_of_deleted_milestone_explains(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Legal review", user=SELLER)
    pick(local_bot, driver, ts, ids.MILESTONE_DELETE, "Legal review", user=SELLER_2)
    driver.submit(SELLER_2, only_view(local_bot, SELLER_2)["id"], {})

    result = driver.submit(SELLER, only_view(local_bot, SELLER)["id"], {ids.FIELD_TITLE: "Legal"})

    assert MILESTONE_GONE in notice_text(result)
    assert milestone_order(local_bot) == [(1, "Security review")]


def test_menu_click_from_other_room_changes_nothing(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    local_bot.standin.add_channel("C0OTHER", "other-deal")
    driver.command(SELLER, "init Globex", channel_id="C0OTHER")
    shown = local_bot.standin.message_payload("C0DEAL", ts)
    security = milestone_id(local_bot, "Security review")
    before = row_counts(local_bot)

    # A forged click in another room's channel names this room's milestone.
    pick_from(local_bot, driver, SELLER, shown, f"down:{security}", channel_id="C0OTHER")
    pick_from(local_bot, driver, SELLER, shown, f"delete:{security}", channel_id="C0OTHER")

    assert row_counts(local_bot) == before
    assert milestone_order(local_bot)[0] == (1, "Security review")
    ephemerals = local_bot.standin.ephemerals("C0OTHER", SELLER)
    assert ephemerals[-1]["text"] == MILESTONE_GONE
    assert MILESTONE_GONE in view_text(only_view(local_bot, SELLER))


# Edits made while someone else had the same form open


def alpha_plan(bot, driver) -> str:
    """Start a room with one milestone, Alpha, due 2027-01-15; return the plan message ts."""
    start_room(driver)
    driver.command(SELLER, "add milestone Alpha due 2027-01-15")
    return post_plan(bot, driver)


def form_answers(view: dict, **overrides) -> dict:
    """Return the answers of a form as it is shown, with `overrides` typed over it."""
    answers = initial_values(view)
    answers.update(overrides)
    return answers


def test_stale_edit_keeps_other_due_date(local_bot, driver):
    ts = alpha_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Alpha", user=SELLER)
    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Alpha", user=SELLER_2)
    sams_form = only_view(local_bot, SELLER)
    sols_form = only_view(local_bot, SELLER_2)
    assert metadata(sams_form)["shown_values"] == {"title": "Alpha", "due_date": "2027-01-15"}

    saved = driver.submit(
        SELLER_2, sols_form["id"], form_answers(sols_form, **{ids.FIELD_DUE_DATE: "2027-03-01"})
    )
    before = row_counts(local_bot)
    stale = driver.submit(
        SELLER, sams_form["id"], form_answers(sams_form, **{ids.FIELD_TITLE: "Alpha launch"})
    )

    assert closed(saved)
    assert field_errors(stale) == {
        ids.FIELD_TITLE: "Someone changed this milestone while you were editing: it is now "
        "titled “Alpha”, due 2027-03-01, with the status Not started (from its tasks). "
        "Close this and try again."
    }
    milestone = milestone_row(local_bot, "Alpha")
    assert milestone is not None
    assert milestone.due_date == date(2027, 3, 1)
    assert row_counts(local_bot) == before
    assert only_view(local_bot, SELLER)["id"] == sams_form["id"]


def test_stale_status_pick_changes_nothing(local_bot, driver):
    ts = alpha_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_STATUS, "Alpha", user=SELLER)
    pick(local_bot, driver, ts, ids.MILESTONE_STATUS, "Alpha", user=SELLER_2)
    sams_form = only_view(local_bot, SELLER)
    sols_form = only_view(local_bot, SELLER_2)
    assert metadata(sams_form)["shown_values"] == {"manual_status": None}

    driver.submit(SELLER_2, sols_form["id"], {ids.FIELD_STATUS: Status.COMPLETED.value})
    before = row_counts(local_bot)
    stale = driver.submit(SELLER, sams_form["id"], {ids.FIELD_STATUS: "automatic"})

    errors = field_errors(stale)
    assert list(errors) == [ids.FIELD_STATUS]
    assert errors[ids.FIELD_STATUS].endswith(
        "with the status Completed (set by hand). Close this and try again."
    )
    milestone = milestone_row(local_bot, "Alpha")
    assert milestone is not None
    assert (milestone.status, milestone.status_manual) == (Status.COMPLETED, True)
    assert row_counts(local_bot) == before


def test_edit_ignores_status_and_moves_meanwhile(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Security review", user=SELLER)
    pick(local_bot, driver, ts, ids.MILESTONE_STATUS, "Security review", user=SELLER_2)
    driver.submit(
        SELLER_2, only_view(local_bot, SELLER_2)["id"], {ids.FIELD_STATUS: Status.COMPLETED.value}
    )
    pick(local_bot, driver, ts, ids.MILESTONE_DOWN, "Security review", user=SELLER_2)
    view = only_view(local_bot, SELLER)

    result = driver.submit(SELLER, view["id"], form_answers(view, **{ids.FIELD_TITLE: "Security"}))

    assert closed(result)
    milestone = milestone_row(local_bot, "Security")
    assert milestone is not None
    assert milestone.due_date == date(2027, 1, 15)
    assert (milestone.position, milestone.status) == (2, Status.COMPLETED)


def test_edit_past_due_date_survives_warning(local_bot, driver):
    ts = alpha_plan(local_bot, driver)
    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, "Alpha")
    view = only_view(local_bot, SELLER)
    answers = form_answers(view, **{ids.FIELD_DUE_DATE: "2026-12-01"})

    errors = field_errors(driver.submit(SELLER, view["id"], answers))
    assert errors[ids.FIELD_DUE_DATE].startswith("2026-12-01 is in the past")
    assert metadata(only_view(local_bot, SELLER))["shown_values"] == {
        "title": "Alpha",
        "due_date": "2027-01-15",
    }

    assert closed(driver.submit(SELLER, view["id"], answers))
    milestone = milestone_row(local_bot, "Alpha")
    assert milestone is not None
    assert milestone.due_date == date(2026, 12, 1)


def test_longest_title_fits_form_metadata(local_bot, driver):
    # Each of these characters is 12 characters in JSON's ASCII form, the worst case.
    title = "🚀" * 200
    start_room(driver)
    driver.command(SELLER, "add milestone")
    driver.submit(SELLER, only_view(local_bot, SELLER)["id"], {ids.FIELD_TITLE: title})
    ts = post_plan(local_bot, driver)

    pick(local_bot, driver, ts, ids.MILESTONE_EDIT, title)
    view = only_view(local_bot, SELLER)
    assert view["callback_id"] == ids.VIEW_MILESTONE_EDIT
    assert len(view["private_metadata"]) <= 3000
    answers = form_answers(view, **{ids.FIELD_DUE_DATE: "2027-03-01"})

    assert closed(driver.submit(SELLER, view["id"], answers))
    milestone = milestone_row(local_bot, title)
    assert milestone is not None
    assert milestone.due_date == date(2027, 3, 1)
