"""`/map` commands through signed requests to the real server."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import Activity, DealRoom, Milestone, Side, Task
from tests.e2e.conftest import (
    BUYER,
    SELLER,
    channel_messages,
    ephemeral_texts,
    last_ephemeral,
    plan_messages,
    sample_plan,
    start_room,
)


def count(bot, model) -> int:
    with bot.runtime.services.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(model))


def tasks(bot) -> list[Task]:
    with bot.runtime.services.sessions.begin() as session:
        return list(session.scalars(select(Task).order_by(Task.number)))


def test_init_announces_room(local_bot, driver):
    driver.command(SELLER, "init Acme renewal")
    announcements = channel_messages(local_bot)
    assert len(announcements) == 1
    assert "deal room for *Acme renewal*" in announcements[0]["text"]
    assert count(local_bot, DealRoom) == 1


def test_init_twice_names_existing_room(local_bot, driver):
    start_room(driver, "Acme renewal")
    driver.command(BUYER, "init Something else")
    assert "already the deal room for *Acme renewal*" in last_ephemeral(local_bot, BUYER)
    assert count(local_bot, DealRoom) == 1


def test_status_outside_room_explains_init(local_bot, driver):
    driver.command(SELLER, "status")
    assert "/map init" in last_ephemeral(local_bot, SELLER)
    assert channel_messages(local_bot) == []


def test_status_posts_plan(local_bot, driver):
    sample_plan(driver)
    driver.command(BUYER, "status")
    [plan] = plan_messages(local_bot)
    assert plan["text"] == "Mutual Action Plan for Acme renewal: 0/3 tasks, 0%"
    text = str(plan["blocks"])
    assert "*#1* Share SOC 2 report" in text
    assert f"<@{BUYER}> (buyer)" in text
    assert "Dana Whitfield (buyer)" in text
    # Task #3 was due 2026-12-01 and the clock is at 2026-12-04.
    assert text.count("*overdue*") == 1
    assert "1. Security review" in text


def test_add_task_sides_follow_workspace(local_bot, driver):
    sample_plan(driver)
    sides = {task.title: task.side for task in tasks(local_bot)}
    assert sides["Share SOC 2 report"] is Side.SELLER
    assert sides["Fill in questionnaire"] is Side.BUYER
    assert sides["Send redlines"] is Side.BUYER


def test_add_task_explicit_side_wins(local_bot, driver):
    start_room(driver)
    driver.command(SELLER, "add milestone Kickoff")
    driver.command(SELLER, f"add task Kickoff: Book the room <@{BUYER}> seller")
    [task] = tasks(local_bot)
    assert task.side is Side.SELLER
    assert task.owner_user_id == BUYER


def test_add_task_without_owner_uses_caller(local_bot, driver):
    start_room(driver)
    driver.command(SELLER, "add milestone Kickoff")
    driver.command(BUYER, "add task Kickoff: Confirm attendees")
    [task] = tasks(local_bot)
    assert task.owner_user_id == BUYER
    assert task.side is Side.BUYER


def test_natural_due_date_in_room_zone(local_bot, driver):
    start_room(driver)
    driver.command(SELLER, "add milestone Kickoff due tomorrow")
    with local_bot.runtime.services.sessions.begin() as session:
        milestone = session.scalars(select(Milestone)).one()
        # The clock is 2026-12-04 15:00 UTC and the room's zone is UTC.
        assert milestone.due_date.isoformat() == "2026-12-05"


def test_done_and_start_by_number(local_bot, driver):
    sample_plan(driver)
    driver.command(BUYER, "done #2")
    assert "Marked *#2 Fill in questionnaire* as Completed" in last_ephemeral(local_bot, BUYER)
    driver.command(BUYER, "done 2")
    assert "already Completed" in last_ephemeral(local_bot, BUYER)
    driver.command(SELLER, "start #1")
    statuses = {task.number: task.status.value for task in tasks(local_bot)}
    assert statuses == {1: "in_progress", 2: "completed", 3: "not_started"}
    assert count(local_bot, Activity) == 1 + 2 + 3 + 2


BAD_INPUTS = [
    ("stauts", "`/map status`"),
    ("add milestone Legal due blursday", "blursday"),
    ('add milestone ""', "title is missing"),
    ("add milestone " + "x" * 201, "201 characters"),
    ("add task Procurement: Send PO", "`Procurement`"),
    ("add task Security review: " + "y" * 201, "201 characters"),
    ("add task Security review: Sign <@U0OTHERBOT>", "is a bot"),
    ("add task Security review: Sign <@U0GONE>", "deactivated"),
    ("add task Security review: Sign <@U0NOBODY>", "U0NOBODY"),
    ("done #99", "#99"),
    ("done #abc", "abc"),
    ("add task Security review Share report", "`:`"),
    ("add task Security review: Sign due 10 01 2027", "can be read as day-month or as month-day"),
    ("add task Security review: Sign due 10,01,2027", "can be read as day-month or as month-day"),
    ("add task Security review: Sign due 99999-01-01", "`99999-01-01` is not a date."),
    ("add task Security review: Sign due in 1.5 weeks", "not a whole number of weeks"),
    ("add task Security review: Sign due tomorrow 23:00 PST", "includes a time of day"),
    ("add milestone Kickoff due 2027-01-10T10:00+05:00", "includes a time of day"),
    (
        f"add task Security review: two owners <@{BUYER}|bea.buyer> <@{SELLER}|sam.seller>",
        "a task has one owner",
    ),
    (
        f"add task Security review: two owners owner Dana <@{SELLER}|sam.seller>",
        "a task has one owner",
    ),
    ("add milestone security REVIEW", "Milestone 1 is already titled “Security review”."),
    ("add milestone 2", "“2” can't be a milestone title"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS)
def test_bad_input_changes_nothing(local_bot, driver, text, expected):
    sample_plan(driver)
    before = (count(local_bot, Milestone), count(local_bot, Task), count(local_bot, Activity))
    driver.command(SELLER, text)
    assert expected in last_ephemeral(local_bot, SELLER)
    after = (count(local_bot, Milestone), count(local_bot, Task), count(local_bot, Activity))
    assert after == before


def test_add_task_to_milestone_with_colon(local_bot, driver):
    start_room(driver)
    driver.command(SELLER, "add milestone Phase 1")
    driver.command(SELLER, "add milestone Phase 1: Discovery")
    driver.command(SELLER, "add task Phase 1: Discovery: Kickoff call")
    driver.command(SELLER, "add task Phase 1: Agree terms: price and SLA")
    driver.command(SELLER, 'add task "Phase 1": Discovery: Intro call')
    with local_bot.runtime.services.sessions.begin() as session:
        rows = session.execute(
            select(Task.number, Milestone.title, Task.title)
            .join(Milestone, Task.milestone_id == Milestone.id)
            .order_by(Task.number)
        ).all()
    assert [tuple(row) for row in rows] == [
        (1, "Phase 1: Discovery", "Kickoff call"),
        (2, "Phase 1", "Agree terms: price and SLA"),
        (3, "Phase 1", "Discovery: Intro call"),
    ]
    assert "to Phase 1: Discovery" in ephemeral_texts(local_bot, SELLER)[-3]


def test_add_task_checks_only_the_picked_owner(local_bot, driver):
    start_room(driver)
    driver.command(SELLER, "add milestone Legal: Sign")
    # Read at the first colon, the bot would own the task. The milestone `Legal: Sign`
    # picks the second reading, where the mention is the title and the caller owns it.
    driver.command(SELLER, "add task Legal: Sign: <@U0OTHERBOT>")
    [task] = tasks(local_bot)
    assert task.title == "@U0OTHERBOT"
    assert task.owner_user_id == SELLER


def test_finish_and_complete_mark_done(local_bot, driver):
    sample_plan(driver)
    driver.command(BUYER, "finish #2")
    assert "Marked *#2 Fill in questionnaire* as Completed" in last_ephemeral(local_bot, BUYER)
    driver.command(SELLER, "complete #1")
    assert "Marked *#1 Share SOC 2 report* as Completed" in last_ephemeral(local_bot, SELLER)
    statuses = {task.number: task.status.value for task in tasks(local_bot)}
    assert statuses == {1: "completed", 2: "completed", 3: "not_started"}


def test_settings_value_is_escaped_once(local_bot, driver):
    start_room(driver)
    driver.command(SELLER, "settings timezone Europe/&lt;Berlin&gt; &amp; co")
    message = last_ephemeral(local_bot, SELLER)
    assert message.startswith("`Europe/&lt;Berlin&gt; &amp; co` is not an IANA time zone name.")
    assert "&amp;lt;" not in message


def test_help_lists_commands(local_bot, driver):
    driver.command(SELLER, "help")
    text = last_ephemeral(local_bot, SELLER)
    for form in ("/map init", "/map status", "/map add milestone", "/map add task", "/map done"):
        assert form in text


def test_past_due_date_is_saved_with_warning(local_bot, driver):
    start_room(driver)
    driver.command(SELLER, "add milestone Kickoff due yesterday")
    reply = last_ephemeral(local_bot, SELLER)
    assert "due Thu Dec 3 (2026-12-03)" in reply
    assert "That date is in the past" in reply
    driver.command(SELLER, "add task Kickoff: Book the room due 2027-01-10")
    reply = last_ephemeral(local_bot, SELLER)
    assert reply.endswith("due Sun Jan 10, 2027 (2027-01-10).")
