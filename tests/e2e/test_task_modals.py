"""The task modal and each task's menu, through signed requests to the real server."""

from __future__ import annotations

from datetime import date

import pytest

from bot import ids
from bot.listeners.errors import APOLOGY
from bot.listeners.modal_support import FORM_TOO_SLOW
from bot.listeners.task_controls import TASK_ALREADY_DELETED
from bot.listeners.task_modals import NO_MILESTONES, TASK_DELETED
from storage import plans
from storage.models import Side, Status
from tests.e2e.conftest import (
    BUYER,
    SELLER,
    SELLER_2,
    ephemeral_texts,
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
    notice_text,
    only_view,
    option_values,
    pick_from,
    plan_text,
    post_plan,
    row_counts,
    set_room_timezone,
    task_id,
    task_row,
    view_text,
)


def open_add_form(bot, driver, user=SELLER) -> dict:
    driver.command(user, "add task")
    return only_view(bot, user)


def new_task_answers(bot, **overrides) -> dict:
    answers = {
        ids.FIELD_TITLE: "Send the MSA",
        ids.FIELD_MILESTONE: str(milestone_id(bot, "Legal review")),
        ids.FIELD_OWNER: SELLER_2,
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


def open_edit_form(bot, driver, number: int, user=SELLER) -> dict:
    ts = post_plan(bot, driver)
    driver.click(user, ts, ids.TASK_OVERFLOW, value=f"{ids.TASK_EDIT}:{task_id(bot, number)}")
    return only_view(bot, user)


def block_of(view: dict, block_id: str) -> dict:
    return next(block for block in view["blocks"] if block.get("block_id") == block_id)


def edit_answers(view: dict, **overrides) -> dict:
    """Submit the edit form as it is shown, with `overrides` typed over it."""
    answers = initial_values(view)
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


# Adding


def test_add_command_opens_loading_then_form(local_bot, driver):
    sample_plan(driver)
    local_bot.standin.reset_calls()

    view = open_add_form(local_bot, driver)

    methods = [name for name, _ in local_bot.standin.calls if name.startswith("views.")]
    assert methods == ["views.open", "views.update"]
    opened = local_bot.standin.calls_to("views.open")[0]["view"]
    assert all(block["type"] != "input" for block in opened["blocks"])
    assert view["callback_id"] == ids.VIEW_TASK
    assert option_values(view, ids.FIELD_MILESTONE) == [
        str(milestone_id(local_bot, "Security review")),
        str(milestone_id(local_bot, "Legal review")),
    ]
    assert metadata(view) == {"channel_id": "C0DEAL"}


def test_add_saves_every_field(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)

    result = driver.submit(
        SELLER,
        view["id"],
        new_task_answers(
            local_bot,
            **{
                ids.FIELD_OWNER: BUYER,
                ids.FIELD_DUE_DATE: "2027-03-09",
                ids.FIELD_DESCRIPTION: "The redlined copy, please.",
            },
        ),
    )

    assert closed(result)
    assert local_bot.standin.views(SELLER) == []
    task = task_row(local_bot, 4)
    assert task is not None
    assert task.title == "Send the MSA"
    assert task.milestone_id == milestone_id(local_bot, "Legal review")
    assert task.owner_user_id == BUYER
    assert task.side is Side.BUYER
    assert task.due_date == date(2027, 3, 9)
    assert task.description == "The redlined copy, please."
    assert last_ephemeral(local_bot, SELLER) == (
        f"Added task *#4 Send the MSA* to *Legal review* for <@{BUYER}> (buyer), "
        "due Tue Mar 9, 2027."
    )


@pytest.mark.parametrize(
    ("owner", "name", "side", "expected"),
    [
        (SELLER_2, None, None, Side.SELLER),
        (BUYER, None, None, Side.BUYER),
        (None, "Dana Whitfield", None, Side.BUYER),
        (SELLER_2, None, "buyer", Side.BUYER),
        (None, "Dana Whitfield", "seller", Side.SELLER),
    ],
)
def test_add_side_follows_owner(local_bot, driver, owner, name, side, expected):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    answers = new_task_answers(
        local_bot,
        **{ids.FIELD_OWNER: owner, ids.FIELD_OWNER_NAME: name, ids.FIELD_SIDE: side},
    )

    assert closed(driver.submit(SELLER, view["id"], answers))

    task = task_row(local_bot, 4)
    assert task is not None
    assert task.side is expected
    assert task.owner_name == name


@pytest.mark.parametrize(
    ("user", "side", "expected"),
    [
        (SELLER, None, Side.SELLER),
        (BUYER, None, Side.BUYER),
        (SELLER, "buyer", Side.BUYER),
    ],
)
def test_add_without_owner_is_yours(local_bot, driver, user, side, expected):
    sample_plan(driver)
    view = open_add_form(local_bot, driver, user=user)
    answers = new_task_answers(local_bot, **{ids.FIELD_OWNER: None, ids.FIELD_SIDE: side})

    assert closed(driver.submit(user, view["id"], answers))

    task = task_row(local_bot, 4)
    assert task is not None
    assert task.owner_user_id == user
    assert task.owner_name is None
    assert task.side is expected
    assert last_ephemeral(local_bot, user) == (
        f"Added task *#4 Send the MSA* to *Legal review* for <@{user}> ({expected.value})."
    )


def test_add_form_owner_hint_says_yours(local_bot, driver):
    sample_plan(driver)
    add_view = open_add_form(local_bot, driver)
    driver.close(SELLER, add_view["id"])
    edit_view = open_edit_form(local_bot, driver, 1)

    add_owner = block_of(add_view, ids.FIELD_OWNER)
    edit_owner = block_of(edit_view, ids.FIELD_OWNER)
    assert add_owner["optional"] is True
    assert add_owner["hint"]["text"] == (
        "Leave this and the name below empty to own the task yourself."
    )
    assert "hint" not in edit_owner


def test_add_button_opens_form_and_redraws_plan(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)

    driver.click(BUYER, ts, ids.PLAN_ADD_TASK)
    view = only_view(local_bot, BUYER)
    assert metadata(view) == {"channel_id": "C0DEAL", "message_ts": ts}
    driver.submit(BUYER, view["id"], new_task_answers(local_bot))
    send_plan_updates(local_bot)

    assert "Send the MSA" in plan_text(local_bot, ts)


def test_add_outside_deal_room_explains(local_bot, driver):
    local_bot.standin.add_channel("C0OTHER", "random")
    driver.command(SELLER, "add task", channel_id="C0OTHER")
    view = only_view(local_bot, SELLER)
    assert view["callback_id"] == ids.VIEW_NOTICE
    assert plans.NOT_A_ROOM in view_text(view)


def test_add_without_milestones_explains(local_bot, driver):
    start_room(driver)
    view = open_add_form(local_bot, driver)
    assert view["callback_id"] == ids.VIEW_NOTICE
    assert NO_MILESTONES in view_text(view)


def test_add_with_used_trigger_tells_person(local_bot, driver):
    sample_plan(driver)
    local_bot.standin.fail_next("views.open", error="expired_trigger_id")
    driver.command(SELLER, "add task")
    assert local_bot.standin.views(SELLER) == []
    assert last_ephemeral(local_bot, SELLER) == FORM_TOO_SLOW


# Validation


@pytest.mark.parametrize(
    ("overrides", "block_id", "expected"),
    [
        ({ids.FIELD_TITLE: "   "}, ids.FIELD_TITLE, "The task title is empty."),
        ({ids.FIELD_TITLE: "x" * 201}, ids.FIELD_TITLE, "The task title is 201 characters long"),
        ({ids.FIELD_OWNER: "U0OTHERBOT"}, ids.FIELD_OWNER, "otherbot is a bot and can't own"),
        ({ids.FIELD_OWNER: "U0GONE"}, ids.FIELD_OWNER, "gone.person has been deactivated"),
        ({ids.FIELD_OWNER_NAME: "Dana"}, ids.FIELD_OWNER_NAME, "A task has one owner."),
        (
            {ids.FIELD_OWNER: None, ids.FIELD_OWNER_NAME: "n" * 201},
            ids.FIELD_OWNER_NAME,
            "The owner name is 201 characters long",
        ),
        (
            {ids.FIELD_DUE_DATE: "1999-12-31"},
            ids.FIELD_DUE_DATE,
            "1999-12-31 is before the year 2000. Pick a date from 2000-01-01 on.",
        ),
        (
            {ids.FIELD_DUE_DATE: "2036-12-05"},
            ids.FIELD_DUE_DATE,
            "2036-12-05 is more than 10 years away. Pick a date up to 2036-12-04.",
        ),
    ],
)
def test_invalid_field_writes_nothing(local_bot, driver, overrides, block_id, expected):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    before = row_counts(local_bot)

    errors = field_errors(
        driver.submit(SELLER, view["id"], new_task_answers(local_bot, **overrides))
    )

    assert list(errors) == [block_id]
    assert errors[block_id].startswith(expected)
    assert row_counts(local_bot) == before
    assert only_view(local_bot, SELLER)["id"] == view["id"]


def test_all_errors_shown_at_once(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    answers = new_task_answers(local_bot, **{ids.FIELD_TITLE: " ", ids.FIELD_OWNER: "U0OTHERBOT"})
    answers[ids.FIELD_DUE_DATE] = "2026-11-30"

    errors = field_errors(driver.submit(SELLER, view["id"], answers))

    assert set(errors) == {ids.FIELD_TITLE, ids.FIELD_OWNER, ids.FIELD_DUE_DATE}


def test_past_due_date_needs_second_submit(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    answers = new_task_answers(local_bot, **{ids.FIELD_DUE_DATE: "2026-11-30"})
    before = row_counts(local_bot)

    errors = field_errors(driver.submit(SELLER, view["id"], answers))

    assert errors == {
        ids.FIELD_DUE_DATE: "2026-11-30 is in the past: today is 2026-12-04 in this deal "
        "room. Submit again to keep this date, or pick another one."
    }
    assert row_counts(local_bot) == before
    assert metadata(only_view(local_bot, SELLER))["past_due_ok"] == "2026-11-30"

    assert closed(driver.submit(SELLER, view["id"], answers))
    task = task_row(local_bot, 4)
    assert task is not None
    assert task.due_date == date(2026, 11, 30)


def test_other_past_date_warns_again(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    first = new_task_answers(local_bot, **{ids.FIELD_DUE_DATE: "2026-11-30"})
    field_errors(driver.submit(SELLER, view["id"], first))

    second = new_task_answers(local_bot, **{ids.FIELD_DUE_DATE: "2026-11-29"})
    errors = field_errors(driver.submit(SELLER, view["id"], second))

    assert errors[ids.FIELD_DUE_DATE].startswith("2026-11-29 is in the past")
    assert task_row(local_bot, 4) is None


def test_unexpected_error_shows_apology(local_bot, driver):
    sample_plan(driver)
    view = open_add_form(local_bot, driver)
    before = row_counts(local_bot)
    local_bot.standin.fail_next("users.info", status=500)

    result = driver.submit(SELLER, view["id"], new_task_answers(local_bot))

    assert APOLOGY in notice_text(result)
    assert row_counts(local_bot) == before


# Time zones


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Tokyo"])
def test_picked_date_stays_the_same_day(local_bot, driver, zone):
    sample_plan(driver)
    set_room_timezone(local_bot, zone)
    view = open_add_form(local_bot, driver)

    driver.submit(
        SELLER, view["id"], new_task_answers(local_bot, **{ids.FIELD_DUE_DATE: "2027-03-09"})
    )

    task = task_row(local_bot, 4)
    assert task is not None
    assert task.due_date == date(2027, 3, 9)
    edit_view = open_edit_form(local_bot, driver, 4)
    assert initial_values(edit_view)[ids.FIELD_DUE_DATE] == "2027-03-09"
    assert "due Tue Mar 9, 2027" in plan_text(
        local_bot, local_bot.standin.messages("C0DEAL")[-1]["ts"]
    )


@pytest.mark.parametrize(("zone", "warned"), [("America/Los_Angeles", False), ("Asia/Tokyo", True)])
def test_past_date_uses_room_today(local_bot, driver, zone, warned):
    # 15:00 UTC on 2026-12-04 is still the 4th in Los Angeles but already the 5th in Tokyo.
    sample_plan(driver)
    set_room_timezone(local_bot, zone)
    view = open_add_form(local_bot, driver)

    result = driver.submit(
        SELLER, view["id"], new_task_answers(local_bot, **{ids.FIELD_DUE_DATE: "2026-12-04"})
    )

    assert closed(result) is not warned
    if warned:
        assert "today is 2026-12-05" in field_errors(result)[ids.FIELD_DUE_DATE]


# Editing


def test_edit_form_shows_current_values(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 1)

    assert view["callback_id"] == ids.VIEW_TASK
    assert initial_values(view) == {
        ids.FIELD_TITLE: "Share SOC 2 report",
        ids.FIELD_MILESTONE: str(milestone_id(local_bot, "Security review")),
        ids.FIELD_OWNER: SELLER,
        ids.FIELD_SIDE: "seller",
        ids.FIELD_DUE_DATE: "2027-01-10",
    }
    assert metadata(view)["version"] == 1
    assert metadata(view)["task_id"] == task_id(local_bot, 1)


def test_edit_saves_and_redraws_plan(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 1)
    ts = metadata(view)["message_ts"]
    answers = edit_answers(
        view,
        **{
            ids.FIELD_TITLE: "Share SOC 2 Type II report",
            ids.FIELD_MILESTONE: str(milestone_id(local_bot, "Legal review")),
            ids.FIELD_DUE_DATE: "2027-02-01",
        },
    )

    assert closed(driver.submit(SELLER, view["id"], answers))
    send_plan_updates(local_bot)

    task = task_row(local_bot, 1)
    assert task is not None
    assert task.title == "Share SOC 2 Type II report"
    assert task.milestone_id == milestone_id(local_bot, "Legal review")
    assert task.due_date == date(2027, 2, 1)
    assert task.version == 2
    assert "Share SOC 2 Type II report" in plan_text(local_bot, ts)
    assert activity_actions(local_bot)[-1] == "task.edited"


def test_edit_new_owner_brings_side(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 1)

    driver.submit(SELLER, view["id"], edit_answers(view, **{ids.FIELD_OWNER: BUYER}))

    task = task_row(local_bot, 1)
    assert task is not None
    assert task.owner_user_id == BUYER
    assert task.side is Side.BUYER


def test_edit_picked_side_wins(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 1)

    driver.submit(SELLER, view["id"], edit_answers(view, **{ids.FIELD_SIDE: "buyer"}))

    task = task_row(local_bot, 1)
    assert task is not None
    assert task.owner_user_id == SELLER
    assert task.side is Side.BUYER


def test_edit_of_overdue_task_needs_no_confirmation(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 3)
    assert initial_values(view)[ids.FIELD_DUE_DATE] == "2026-12-01"

    result = driver.submit(SELLER, view["id"], edit_answers(view, **{ids.FIELD_TITLE: "Redlines"}))

    assert closed(result)
    task = task_row(local_bot, 3)
    assert task is not None
    assert task.title == "Redlines"


@pytest.mark.parametrize("number", [1, 3])
def test_edit_without_owner_is_rejected(local_bot, driver, number):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, number)
    before = row_counts(local_bot)
    answers = edit_answers(view, **{ids.FIELD_OWNER: None, ids.FIELD_OWNER_NAME: None})

    errors = field_errors(driver.submit(SELLER, view["id"], answers))

    assert list(errors) == [ids.FIELD_OWNER]
    assert errors[ids.FIELD_OWNER].startswith("Pick the person who owns this task")
    assert row_counts(local_bot) == before


def test_edit_can_remove_due_date(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 1)
    answers = edit_answers(view, **{ids.FIELD_REMOVE_DUE_DATE: ["remove"]})

    assert closed(driver.submit(SELLER, view["id"], answers))

    task = task_row(local_bot, 1)
    assert task is not None
    assert task.due_date is None


def test_edit_form_without_due_date_has_no_checkbox(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 2)
    block_ids = [block["block_id"] for block in view["blocks"]]
    assert ids.FIELD_REMOVE_DUE_DATE not in block_ids
    assert ids.FIELD_DUE_DATE in block_ids


def test_edit_without_changes_writes_nothing(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 1)
    before = row_counts(local_bot)

    assert closed(driver.submit(SELLER, view["id"], edit_answers(view)))

    assert row_counts(local_bot) == before
    task = task_row(local_bot, 1)
    assert task is not None
    assert task.version == 1


def test_stale_edit_shows_current_values(local_bot, driver):
    sample_plan(driver)
    first = open_edit_form(local_bot, driver, 1, user=SELLER)
    second = open_edit_form(local_bot, driver, 1, user=SELLER_2)

    saved = driver.submit(
        SELLER_2, second["id"], edit_answers(second, **{ids.FIELD_TITLE: "Send SOC 2 Type II"})
    )
    stale = driver.submit(
        SELLER, first["id"], edit_answers(first, **{ids.FIELD_TITLE: "Share SOC 2 now"})
    )

    assert closed(saved)
    assert field_errors(stale) == {
        ids.FIELD_TITLE: "Someone changed #1 while you were editing: it is now Not started "
        "in “Security review”, titled “Send SOC 2 Type II”, owned by Sam Seller (seller), "
        "due 2027-01-10. Close this and try again."
    }
    task = task_row(local_bot, 1)
    assert task is not None
    assert task.title == "Send SOC 2 Type II"
    assert task.version == 2


def test_status_change_does_not_block_edit(local_bot, driver):
    sample_plan(driver)
    form = open_edit_form(local_bot, driver, 1, user=SELLER)
    driver.command(SELLER_2, "done #1")

    saved = driver.submit(
        SELLER, form["id"], edit_answers(form, **{ids.FIELD_TITLE: "Share SOC 2 now"})
    )

    assert closed(saved)
    task = task_row(local_bot, 1)
    assert task is not None
    assert task.title == "Share SOC 2 now"
    assert task.status.value == "completed"


def test_move_while_editing_is_stale(local_bot, driver):
    sample_plan(driver)
    form = open_edit_form(local_bot, driver, 1, user=SELLER)
    with local_bot.runtime.services.sessions.begin() as session:
        from storage import plan_edits, plans

        room = plans.require_room(session, "T0HOME", "C0DEAL")
        task = plans.find_task(session, room, number=1)
        target = plans.resolve_milestone(session, room, "2")
        plan_edits.move_task(session, room, task, target, actor=SELLER_2, now=local_bot.clock())

    stale = driver.submit(
        SELLER, form["id"], edit_answers(form, **{ids.FIELD_TITLE: "Share SOC 2 now"})
    )

    errors = field_errors(stale)
    assert "while you were editing" in errors[ids.FIELD_TITLE]
    assert "Legal review" in errors[ids.FIELD_TITLE]
    task_now = task_row(local_bot, 1)
    assert task_now is not None
    assert task_now.title == "Share SOC 2 report"


def test_edit_of_deleted_task_explains(local_bot, driver):
    sample_plan(driver)
    view = open_edit_form(local_bot, driver, 1)
    ts = metadata(view)["message_ts"]
    driver.click(
        SELLER_2, ts, ids.TASK_OVERFLOW, value=f"{ids.TASK_DELETE}:{task_id(local_bot, 1)}"
    )
    driver.submit(SELLER_2, only_view(local_bot, SELLER_2)["id"], {})

    result = driver.submit(SELLER, view["id"], edit_answers(view, **{ids.FIELD_TITLE: "Mine"}))

    assert TASK_DELETED in notice_text(result)
    assert task_row(local_bot, 1) is None


# The task menu: status, move, delete


def test_menu_offers_four_options(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    message = local_bot.standin.message("C0DEAL", ts)
    menus = [
        element
        for block in message["blocks"]
        for element in block.get("elements") or []
        if element.get("action_id") == ids.TASK_OVERFLOW
    ]
    assert len(menus) == 3
    first = task_id(local_bot, 1)
    assert [option["value"] for option in menus[0]["options"]] == [
        f"{ids.MENU_IN_PROGRESS}:{first}:not_started",
        f"{ids.TASK_EDIT}:{first}",
        f"{ids.TASK_MOVE}:{first}",
        f"{ids.TASK_DELETE}:{first}",
    ]


def test_outdated_status_pick_is_idempotent(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    shown = local_bot.standin.message_payload("C0DEAL", ts)
    start = f"{ids.MENU_IN_PROGRESS}:{task_id(local_bot, 2)}:not_started"

    for _ in range(2):
        assert pick_from(local_bot, driver, BUYER, shown, start).response.status == 200
    send_plan_updates(local_bot)

    task = task_row(local_bot, 2)
    assert task is not None
    assert task.status is Status.IN_PROGRESS
    assert activity_actions(local_bot).count("task.status") == 1
    assert f"{ids.MENU_NOT_STARTED}:{task.id}" in plan_text(local_bot, ts)


def test_move_task_to_other_milestone(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    first = task_id(local_bot, 1)

    driver.click(SELLER, ts, ids.TASK_OVERFLOW, value=f"{ids.TASK_MOVE}:{first}")
    view = only_view(local_bot, SELLER)
    assert view["callback_id"] == ids.VIEW_TASK_MOVE
    assert initial_values(view) == {
        ids.FIELD_MILESTONE: str(milestone_id(local_bot, "Security review"))
    }
    legal = str(milestone_id(local_bot, "Legal review"))
    assert closed(driver.submit(SELLER, view["id"], {ids.FIELD_MILESTONE: legal}))
    send_plan_updates(local_bot)

    task = task_row(local_bot, 1)
    assert task is not None
    assert task.milestone_id == int(legal)
    assert activity_actions(local_bot)[-1] == "task.moved"
    text = plan_text(local_bot, ts)
    assert text.index("Legal review") < text.index("Share SOC 2 report")


def test_delete_asks_then_deletes(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    second = task_id(local_bot, 2)

    driver.click(SELLER, ts, ids.TASK_OVERFLOW, value=f"{ids.TASK_DELETE}:{second}")
    view = only_view(local_bot, SELLER)
    assert view["callback_id"] == ids.VIEW_TASK_DELETE
    assert "Delete *#2 Fill in questionnaire*?" in view_text(view)
    assert task_row(local_bot, 2) is not None

    assert closed(driver.submit(SELLER, view["id"], {}))
    send_plan_updates(local_bot)

    assert task_row(local_bot, 2) is None
    assert "Fill in questionnaire" not in plan_text(local_bot, ts)
    assert last_ephemeral(local_bot, SELLER) == "Deleted task *#2 Fill in questionnaire*."
    driver.command(SELLER, f"add task Legal review: Sign NDA <@{SELLER}>")
    assert task_row(local_bot, 4) is not None


def test_closing_delete_keeps_task(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    driver.click(SELLER, ts, ids.TASK_OVERFLOW, value=f"{ids.TASK_DELETE}:{task_id(local_bot, 2)}")

    driver.close(SELLER, only_view(local_bot, SELLER)["id"])

    assert task_row(local_bot, 2) is not None


def test_delete_twice_deletes_once(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    value = f"{ids.TASK_DELETE}:{task_id(local_bot, 2)}"
    driver.click(SELLER, ts, ids.TASK_OVERFLOW, value=value)
    driver.click(SELLER_2, ts, ids.TASK_OVERFLOW, value=value)

    first = driver.submit(SELLER, only_view(local_bot, SELLER)["id"], {})
    before = row_counts(local_bot)
    second = driver.submit(SELLER_2, only_view(local_bot, SELLER_2)["id"], {})

    assert closed(first)
    assert TASK_ALREADY_DELETED in notice_text(second)
    assert row_counts(local_bot) == before
    assert activity_actions(local_bot).count("task.deleted") == 1
    assert ephemeral_texts(local_bot, SELLER_2) == []


def test_menu_on_deleted_task_explains(local_bot, driver):
    sample_plan(driver)
    ts = post_plan(local_bot, driver)
    shown = local_bot.standin.message_payload("C0DEAL", ts)
    second = task_id(local_bot, 2)
    driver.click(SELLER, ts, ids.TASK_OVERFLOW, value=f"{ids.TASK_DELETE}:{second}")
    driver.submit(SELLER, only_view(local_bot, SELLER)["id"], {})

    pick_from(local_bot, driver, SELLER_2, shown, f"{ids.TASK_EDIT}:{second}")

    view = only_view(local_bot, SELLER_2)
    assert view["callback_id"] == ids.VIEW_NOTICE
    assert plans.TASK_GONE in view_text(view)
