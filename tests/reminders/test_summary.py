from datetime import UTC, datetime, timedelta

from bot.blocks.reminders import SummaryContent, summary_message
from bot.playground.standin_limits import blocks_text_length, check_message
from reminders.compose import SUMMARY, compose
from reminders.planner import PlannedMessage
from reminders.summary import weekly_summary
from storage import plans, reminder_settings
from storage.models import DealRoom, Side, Status
from storage.views import PlanView, RoomView
from tests.reminders.planning_support import (
    BUYER,
    CREATED,
    SELLER,
    add_task,
    make_room,
)

# Monday 2026-12-07 09:00 UTC, the default summary time of a room in UTC.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def summary_row(room_id: int) -> PlannedMessage:
    return PlannedMessage("summary:test", room_id, "C0DEAL", SUMMARY, {})


def build_room(session) -> DealRoom:
    """A plan with a task in every list of the summary, and one in none."""
    room = make_room(session)
    done = add_task(session, room, "Kickoff call", TODAY - timedelta(days=3))
    plans.set_task_status(
        session, room, done, Status.COMPLETED, actor=SELLER, now=NOW - timedelta(days=2)
    )
    old = add_task(session, room, "Sign NDA", TODAY - timedelta(days=30))
    plans.set_task_status(
        session, room, old, Status.COMPLETED, actor=SELLER, now=NOW - timedelta(days=20)
    )
    add_task(session, room, "Share SOC 2 report", TODAY + timedelta(days=6))
    add_task(session, room, "Security questionnaire", TODAY, owner=BUYER, side=Side.BUYER)
    add_task(
        session,
        room,
        "Send redlines",
        TODAY - timedelta(days=1),
        owner_name="Dana Whitfield",
        side=Side.BUYER,
        milestone="Legal review",
    )
    add_task(session, room, "Pricing approval", TODAY - timedelta(days=2), milestone="Legal review")
    add_task(session, room, "Go-live plan", TODAY + timedelta(days=7), milestone="Kickoff")
    return room


def titles(tasks) -> list[str]:
    return [task.title for task in tasks]


def test_summary_lists(sessions):
    with sessions.begin() as session:
        room = build_room(session)
        content = weekly_summary(plans.load_plan_of(session, room), NOW, TODAY)
    assert content is not None
    assert titles(content.completed) == ["Kickoff call"]
    assert titles(content.due_soon) == ["Security questionnaire", "Share SOC 2 report"]
    assert titles(content.overdue_buyer) == ["Send redlines"]
    assert titles(content.overdue_seller) == ["Pricing approval"]


def test_summary_message_content(sessions):
    with sessions.begin() as session:
        room = build_room(session)
        message = compose(session, summary_row(room.id), NOW)
    assert message is not None
    texts = [str(block) for block in message.blocks]
    joined = "\n".join(texts)
    assert message.blocks[0]["text"]["text"] == "Weekly summary: Deal in C0DEAL"
    assert "*2/7 tasks done (28%)*" in joined
    assert "*Completed in the last 7 days (1)*" in joined
    assert "*Due in the next 7 days (2)*" in joined
    assert "*Overdue on the buyer side (1)*" in joined
    assert "Dana Whitfield" in joined
    assert "*Overdue on the seller side (1)*" in joined
    assert "*1. Security review*" in joined
    assert "2/4 tasks done (50%)" in joined
    assert "*2. Legal review*" in joined
    assert "0/2 tasks done (0%)" in joined
    assert message.text.startswith("Weekly summary for Deal in C0DEAL: 2/7 tasks done (28%)")
    assert check_message(message.blocks, message.text) is None


def test_summary_empty_lists_say_none(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        add_task(session, room, "Go-live plan", TODAY + timedelta(days=30))
        message = compose(session, summary_row(room.id), NOW)
    assert message is not None
    sections = [block["text"]["text"] for block in message.blocks if block["type"] == "section"]
    assert "*Completed in the last 7 days*\nNone." in sections
    assert "*Overdue on the seller side*\nNone." in sections


def test_no_summary_without_tasks(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        plans.add_milestone(session, room, title="Discovery", due_date=None, actor=SELLER, now=NOW)
        assert compose(session, summary_row(room.id), NOW) is None


def test_no_summary_when_turned_off(sessions):
    with sessions.begin() as session:
        room = build_room(session)
        reminder_settings.set_summary(session, room, None, None, actor=SELLER, now=CREATED)
        assert compose(session, summary_row(room.id), NOW) is None


def test_summary_of_huge_plan_fits(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        long_title = "Review the master services agreement and its data processing addendum " * 2
        for milestone in range(60):
            for number in range(8):
                due = TODAY + timedelta(days=(number % 14) - 7)
                task = add_task(
                    session,
                    room,
                    f"{long_title} {milestone}-{number}",
                    due,
                    owner_name="A buyer contact with a very long name indeed",
                    side=Side.BUYER if number % 2 else Side.SELLER,
                    milestone=f"Milestone {milestone} with a long title " + "x" * 60,
                )
                if number == 0:
                    plans.set_task_status(
                        session, room, task, Status.COMPLETED, actor=SELLER, now=NOW
                    )
        message = compose(session, summary_row(room.id), NOW)
    assert message is not None
    assert len(message.blocks) <= 50
    assert blocks_text_length(message.blocks) <= 12_000
    assert check_message(message.blocks, message.text) is None
    joined = "\n".join(str(block) for block in message.blocks)
    assert "more milestones" in joined
    assert "…and" in joined


def test_summary_of_plan_without_milestones():
    room = RoomView(1, "T0HOME", "C0DEAL", "Acme", "UTC", NOW)
    content = SummaryContent(PlanView(room=room, milestones=()), TODAY, (), (), (), ())
    message = summary_message(content)
    assert message.blocks[-1]["text"]["text"] == "*Milestones*\nThis plan has no milestones yet."
    assert check_message(message.blocks, message.text) is None
