from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from storage import plan_edits, plans
from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.models import Activity, DealRoom, Milestone, Side, Status, Task
from tests.conftest import FIXED_NOW

TEAM = "T0HOME"
CHANNEL = "C0DEAL"
LATER = FIXED_NOW + timedelta(hours=1)


def make_room(session, channel=CHANNEL):
    return plans.create_room(
        session, team_id=TEAM, channel_id=channel, deal_name="Acme", actor="U1", now=FIXED_NOW
    )


def add_milestone(session, room, title):
    return plans.add_milestone(session, room, title=title, due_date=None, actor="U1", now=FIXED_NOW)


def add_task(session, room, milestone, title="Share SOC 2 report"):
    new = plans.NewTask(title=title, side=Side.SELLER, owner_user_id="U1")
    return plans.add_task(session, room, milestone, new, actor="U1", now=FIXED_NOW)


def changes_of(task, **overrides):
    fields = {
        "title": task.title,
        "side": task.side,
        "owner_user_id": task.owner_user_id,
        "owner_name": task.owner_name,
        "due_date": task.due_date,
        "description": task.description,
    }
    fields.update(overrides)
    return plan_edits.TaskChanges(**fields)


def activities(session, action):
    return list(
        session.scalars(select(Activity).where(Activity.action == action).order_by(Activity.id))
    )


def positions(session, room):
    rows = session.execute(
        select(Milestone.title, Milestone.position)
        .where(Milestone.room_id == room.id)
        .order_by(Milestone.position)
    )
    return [(title, position) for title, position in rows]


@pytest.fixture
def plan(sessions):
    """A room with milestones Security, Legal and Kickoff, and tasks #1 and #2 in Security."""
    with sessions.begin() as session:
        room = make_room(session)
        security = add_milestone(session, room, "Security")
        add_milestone(session, room, "Legal")
        add_milestone(session, room, "Kickoff")
        add_task(session, room, security, "Share SOC 2 report")
        add_task(session, room, security, "Fill in questionnaire")
    return sessions


def room_of(session):
    return plans.require_room(session, TEAM, CHANNEL)


def task_number(session, number):
    return plans.find_task(session, room_of(session), number=number)


def milestone_titled(session, title):
    return session.scalars(select(Milestone).where(Milestone.title == title)).one()


def test_update_task_changes_fields_and_logs(plan):
    with plan.begin() as session:
        task = task_number(session, 1)
        changes = changes_of(
            task, title="Share SOC 2 Type II report", due_date=date(2027, 3, 9), side=Side.BUYER
        )
        changed = plan_edits.update_task(
            session, room_of(session), task, changes, expected_version=1, actor="U2", now=LATER
        )
        assert changed
    with plan.begin() as session:
        task = task_number(session, 1)
        assert task.title == "Share SOC 2 Type II report"
        assert task.due_date == date(2027, 3, 9)
        assert task.side is Side.BUYER
        assert task.version == 2
        assert room_of(session).updated_at == LATER
        [edit] = activities(session, "task.edited")
        assert edit.actor_user_id == "U2"
        assert edit.before == {"title": "Share SOC 2 report", "side": "seller", "due_date": None}
        assert edit.after == {
            "title": "Share SOC 2 Type II report",
            "side": "buyer",
            "due_date": "2027-03-09",
        }


def test_update_task_without_changes_writes_nothing(plan):
    with plan.begin() as session:
        task = task_number(session, 1)
        changed = plan_edits.update_task(
            session,
            room_of(session),
            task,
            changes_of(task, title="  Share   SOC 2 report "),
            expected_version=1,
            actor="U2",
            now=LATER,
        )
        assert not changed
    with plan.begin() as session:
        assert task_number(session, 1).version == 1
        assert activities(session, "task.edited") == []
        assert room_of(session).updated_at == FIXED_NOW


def test_update_task_stale_version_raises_current(plan):
    with plan.begin() as session:
        task = task_number(session, 1)
        plan_edits.update_task(
            session,
            room_of(session),
            task,
            changes_of(task, title="First edit", due_date=date(2027, 1, 10)),
            expected_version=1,
            actor="U2",
            now=LATER,
        )
    with plan.begin() as session, pytest.raises(plan_edits.StaleEditError) as raised:
        task = task_number(session, 1)
        plan_edits.update_task(
            session,
            room_of(session),
            task,
            changes_of(task, title="Second edit"),
            expected_version=1,
            actor="U3",
            now=LATER,
        )
    assert raised.value.current.title == "First edit"
    assert raised.value.current.version == 2
    assert raised.value.message == (
        "Someone changed #1 while you were editing: it is now Not started in “Security”, "
        "titled “First edit”, owned by <@U1> (seller), due 2027-01-10. "
        "Close this and try again."
    )
    with plan.begin() as session:
        assert task_number(session, 1).title == "First edit"
        assert len(activities(session, "task.edited")) == 1


def test_update_task_moves_between_milestones(plan):
    with plan.begin() as session:
        task = task_number(session, 1)
        legal = milestone_titled(session, "Legal")
        changes = changes_of(task, milestone_id=legal.id)
        plan_edits.update_task(
            session, room_of(session), task, changes, expected_version=1, actor="U2", now=LATER
        )
    with plan.begin() as session:
        assert task_number(session, 1).milestone.title == "Legal"
        [edit] = activities(session, "task.edited")
        assert edit.after == {"milestone_id": milestone_titled(session, "Legal").id}


def test_update_task_rejects_other_rooms_milestone(plan):
    with plan.begin() as session:
        other = make_room(session, channel="C0OTHER")
        foreign = add_milestone(session, other, "Foreign")
        foreign_id = foreign.id
    with plan.begin() as session, pytest.raises(NotFoundError):
        task = task_number(session, 1)
        plan_edits.update_task(
            session,
            room_of(session),
            task,
            changes_of(task, milestone_id=foreign_id),
            expected_version=1,
            actor="U2",
            now=LATER,
        )
    with plan.begin() as session:
        assert task_number(session, 1).milestone.title == "Security"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"title": " "}, "The task title is empty."),
        ({"title": "x" * 201}, "The task title is 201 characters long"),
        ({"owner_name": "Dana"}, "A task has one owner"),
        ({"description": "d" * 3001}, "The description is 3001 characters long"),
    ],
)
def test_update_task_rejects_bad_fields(plan, overrides, expected):
    with plan.begin() as session, pytest.raises(InvalidInputError) as raised:
        task = task_number(session, 1)
        plan_edits.update_task(
            session,
            room_of(session),
            task,
            changes_of(task, **overrides),
            expected_version=1,
            actor="U2",
            now=LATER,
        )
    assert raised.value.message.startswith(expected)
    with plan.begin() as session:
        assert task_number(session, 1).version == 1


def test_move_task_refreshes_both_milestones(plan):
    with plan.begin() as session:
        room = room_of(session)
        task = task_number(session, 1)
        plans.set_task_status(session, room, task, Status.COMPLETED, actor="U1", now=FIXED_NOW)
        legal = milestone_titled(session, "Legal")
        assert plan_edits.move_task(session, room, task, legal, actor="U2", now=LATER)
        assert not plan_edits.move_task(session, room, task, legal, actor="U2", now=LATER)
    with plan.begin() as session:
        assert milestone_titled(session, "Legal").status is Status.COMPLETED
        assert milestone_titled(session, "Security").status is Status.NOT_STARTED
        [moved] = activities(session, "task.moved")
        assert moved.before["milestone"] == "Security"
        assert moved.after["milestone"] == "Legal"


def test_delete_task_keeps_number_unused(plan):
    with plan.begin() as session:
        room = room_of(session)
        plans.set_task_status(
            session, room, task_number(session, 1), Status.COMPLETED, actor="U1", now=FIXED_NOW
        )
        plan_edits.delete_task(session, room, task_number(session, 2), actor="U2", now=LATER)
        assert room.updated_at == LATER
    with plan.begin() as session:
        room = room_of(session)
        assert milestone_titled(session, "Security").status is Status.COMPLETED
        third = add_task(session, room, milestone_titled(session, "Security"), "New")
        assert third.number == 3
        [deleted] = activities(session, "task.deleted")
        assert deleted.before["number"] == 2
        assert deleted.before["title"] == "Fill in questionnaire"


def test_rename_and_due_date_log_once_each(plan):
    with plan.begin() as session:
        room = room_of(session)
        legal = milestone_titled(session, "Legal")
        assert plan_edits.rename_milestone(
            session, room, legal, "Legal  review", actor="U2", now=LATER
        )
        assert not plan_edits.rename_milestone(
            session, room, legal, "Legal review", actor="U2", now=LATER
        )
        due = date(2027, 3, 9)
        assert plan_edits.set_milestone_due(session, room, legal, due, actor="U2", now=LATER)
        assert not plan_edits.set_milestone_due(session, room, legal, due, actor="U2", now=LATER)
    with plan.begin() as session:
        legal = milestone_titled(session, "Legal review")
        assert legal.due_date == date(2027, 3, 9)
        [renamed] = activities(session, "milestone.renamed")
        assert (renamed.before, renamed.after) == ({"title": "Legal"}, {"title": "Legal review"})
        [due_set] = activities(session, "milestone.due_date")
        assert due_set.after == {"due_date": "2027-03-09"}
        assert room_of(session).updated_at == LATER


def test_rename_rejects_empty_title(plan):
    with plan.begin() as session, pytest.raises(InvalidInputError):
        room = room_of(session)
        plan_edits.rename_milestone(
            session, room, milestone_titled(session, "Legal"), "  ", actor="U2", now=LATER
        )
    with plan.begin() as session:
        assert milestone_titled(session, "Legal").title == "Legal"


def test_move_milestone_up_and_down(plan):
    with plan.begin() as session:
        room = room_of(session)
        kickoff = milestone_titled(session, "Kickoff")
        assert plan_edits.move_milestone(
            session, room, kickoff, plan_edits.Direction.UP, actor="U2", now=LATER
        )
        assert positions(session, room) == [("Security", 1), ("Kickoff", 2), ("Legal", 3)]
        security = milestone_titled(session, "Security")
        assert not plan_edits.move_milestone(
            session, room, security, plan_edits.Direction.UP, actor="U2", now=LATER
        )
        legal = milestone_titled(session, "Legal")
        assert not plan_edits.move_milestone(
            session, room, legal, plan_edits.Direction.DOWN, actor="U2", now=LATER
        )
        assert plan_edits.move_milestone(
            session, room, security, plan_edits.Direction.DOWN, actor="U2", now=LATER
        )
        assert positions(session, room) == [("Kickoff", 1), ("Security", 2), ("Legal", 3)]
    with plan.begin() as session:
        moves = activities(session, "milestone.moved")
        assert [(m.before, m.after) for m in moves] == [
            ({"position": 3}, {"position": 2}),
            ({"position": 1}, {"position": 2}),
        ]


def test_move_milestone_closes_position_gaps(plan):
    with plan.begin() as session:
        room = room_of(session)
        milestone_titled(session, "Legal").position = 7
        milestone_titled(session, "Kickoff").position = 9
    with plan.begin() as session:
        room = room_of(session)
        kickoff = milestone_titled(session, "Kickoff")
        plan_edits.move_milestone(
            session, room, kickoff, plan_edits.Direction.UP, actor="U2", now=LATER
        )
        assert positions(session, room) == [("Security", 1), ("Kickoff", 2), ("Legal", 3)]


def test_delete_milestone_takes_its_tasks(plan):
    with plan.begin() as session:
        room = room_of(session)
        security = milestone_titled(session, "Security")
        assert plan_edits.delete_milestone(session, room, security, actor="U2", now=LATER) == 2
    with plan.begin() as session:
        room = room_of(session)
        assert session.scalar(select(func.count()).select_from(Task)) == 0
        assert positions(session, room) == [("Legal", 1), ("Kickoff", 2)]
        [deleted] = activities(session, "milestone.deleted")
        assert deleted.before["task_numbers"] == [1, 2]
        assert deleted.before["position"] == 1
        third = add_task(session, room, milestone_titled(session, "Legal"))
        assert third.number == 3


def test_manual_status_keeps_tasks_until_automatic(plan):
    with plan.begin() as session:
        room = room_of(session)
        security = milestone_titled(session, "Security")
        assert plan_edits.set_milestone_status(
            session, room, security, Status.COMPLETED, actor="U2", now=LATER
        )
        assert security.status_manual
        task = task_number(session, 1)
        plans.set_task_status(session, room, task, Status.IN_PROGRESS, actor="U1", now=LATER)
        assert security.status is Status.COMPLETED
        assert {t.status for t in security.tasks} == {Status.IN_PROGRESS, Status.NOT_STARTED}

        assert plan_edits.set_milestone_status(session, room, security, None, actor="U2", now=LATER)
        assert not security.status_manual
        assert security.status is Status.IN_PROGRESS
        assert not plan_edits.set_milestone_status(
            session, room, security, None, actor="U2", now=LATER
        )
    with plan.begin() as session:
        changes = activities(session, "milestone.status")
        assert [(c.before, c.after) for c in changes] == [
            (
                {"status": "not_started", "manual": False},
                {"status": "completed", "manual": True},
            ),
            ({"status": "completed", "manual": True}, {"status": "in_progress", "manual": False}),
        ]


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (1, [("New", 1), ("Security", 2), ("Legal", 3), ("Kickoff", 4)]),
        (3, [("Security", 1), ("Legal", 2), ("New", 3), ("Kickoff", 4)]),
        (4, [("Security", 1), ("Legal", 2), ("Kickoff", 3), ("New", 4)]),
        (None, [("Security", 1), ("Legal", 2), ("Kickoff", 3), ("New", 4)]),
    ],
)
def test_add_milestone_at_position(plan, position, expected):
    with plan.begin() as session:
        room = room_of(session)
        milestone = plan_edits.add_milestone_at(
            session,
            room,
            title="New",
            due_date=date(2027, 3, 9),
            position=position,
            actor="U2",
            now=LATER,
        )
        assert milestone.due_date == date(2027, 3, 9)
        assert positions(session, room) == expected
    with plan.begin() as session:
        [added] = [a for a in activities(session, "milestone.added") if a.after["title"] == "New"]
        assert added.after["position"] == dict(expected)["New"]


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (0, "Position 0 is not in the plan: positions start at 1. Use a number from 1 to 4"),
        (5, "Position 5 is past the end: this plan has 3 milestones. Use a number from 1 to 4"),
    ],
)
def test_add_milestone_at_bad_position(plan, position, expected):
    with plan.begin() as session, pytest.raises(InvalidInputError) as raised:
        plan_edits.add_milestone_at(
            session,
            room_of(session),
            title="New",
            due_date=None,
            position=position,
            actor="U2",
            now=LATER,
        )
    assert raised.value.message.startswith(expected)
    with plan.begin() as session:
        assert session.scalar(select(func.count()).select_from(Milestone)) == 3


def test_edits_reject_other_rooms(plan):
    with plan.begin() as session:
        other = make_room(session, channel="C0OTHER")
        foreign = add_milestone(session, other, "Foreign")
        foreign_id = foreign.id
    with plan.begin() as session:
        room = room_of(session)
        with pytest.raises(NotFoundError):
            plan_edits.find_milestone(session, room, foreign_id)
        foreign = session.get(Milestone, foreign_id)
        with pytest.raises(NotFoundError):
            plan_edits.rename_milestone(session, room, foreign, "Mine", actor="U2", now=LATER)
        with pytest.raises(NotFoundError):
            plan_edits.delete_milestone(session, room, foreign, actor="U2", now=LATER)
        with pytest.raises(NotFoundError):
            plan_edits.move_task(
                session, room, task_number(session, 1), foreign, actor="U2", now=LATER
            )
    with plan.begin() as session:
        assert session.scalar(select(func.count()).select_from(DealRoom)) == 2
        assert session.get(Milestone, foreign_id).title == "Foreign"


def shown_fields(milestone, *names):
    fields = plan_edits.milestone_fields(milestone)
    return {name: fields[name] for name in names}


@pytest.mark.parametrize(
    ("names", "change"),
    [
        (("title", "due_date"), {"title": "Security and privacy"}),
        (("title", "due_date"), {"due_date": date(2027, 3, 1)}),
        (("manual_status",), {"status": Status.COMPLETED}),
    ],
)
def test_check_unchanged_raises_current(plan, names, change):
    with plan.begin() as session:
        shown_values = shown_fields(milestone_titled(session, "Security"), *names)
    with plan.begin() as session:
        room, security = room_of(session), milestone_titled(session, "Security")
        if "title" in change:
            plan_edits.rename_milestone(
                session, room, security, change["title"], actor="U2", now=LATER
            )
        if "due_date" in change:
            plan_edits.set_milestone_due(
                session, room, security, change["due_date"], actor="U2", now=LATER
            )
        if "status" in change:
            plan_edits.set_milestone_status(
                session, room, security, change["status"], actor="U2", now=LATER
            )
        security_id = security.id

    with plan.begin() as session, pytest.raises(plan_edits.StaleMilestoneError) as raised:
        security = session.get(Milestone, security_id)
        plan_edits.check_milestone_unchanged(session, room_of(session), security, shown_values)

    current = raised.value.current
    assert current.title == change.get("title", "Security")
    assert current.due_date == change.get("due_date")
    assert current.status is change.get("status", Status.NOT_STARTED)


def test_stale_milestone_message_shows_values(plan):
    with plan.begin() as session:
        room, security = room_of(session), milestone_titled(session, "Security")
        plan_edits.set_milestone_due(
            session, room, security, date(2027, 3, 1), actor="U2", now=LATER
        )
        view = plan_edits.milestone_view(security)
        plan_edits.set_milestone_status(
            session, room, security, Status.COMPLETED, actor="U2", now=LATER
        )
        manual = plan_edits.milestone_view(security)

    assert plan_edits.stale_milestone_message(view) == (
        "Someone changed this milestone while you were editing: it is now titled “Security”, "
        "due 2027-03-01, with the status Not started (from its tasks). Close this and try again."
    )
    assert plan_edits.stale_milestone_message(manual).endswith(
        "with the status Completed (set by hand). Close this and try again."
    )


def test_check_unchanged_ignores_other_fields(plan):
    with plan.begin() as session:
        security = milestone_titled(session, "Security")
        edit_values = shown_fields(security, "title", "due_date")
        status_values = shown_fields(security, "manual_status")
    with plan.begin() as session:
        room, security = room_of(session), milestone_titled(session, "Security")
        # A move and a status that follows the tasks are not fields either form changes.
        plan_edits.move_milestone(
            session, room, security, plan_edits.Direction.DOWN, actor="U2", now=LATER
        )
        task = task_number(session, 1)
        plans.set_task_status(session, room, task, Status.IN_PROGRESS, actor="U2", now=LATER)
        assert security.status is Status.IN_PROGRESS

    with plan.begin() as session:
        room, security = room_of(session), milestone_titled(session, "Security")
        plan_edits.check_milestone_unchanged(session, room, security, edit_values)
        plan_edits.check_milestone_unchanged(session, room, security, status_values)
        plan_edits.check_milestone_unchanged(session, room, security, {})


def test_check_unchanged_rejects_unknown_field(plan):
    with plan.begin() as session, pytest.raises(plan_edits.StaleMilestoneError):
        security = milestone_titled(session, "Security")
        plan_edits.check_milestone_unchanged(
            session, room_of(session), security, {"colour": "blue"}
        )


def test_check_unchanged_rejects_other_rooms(plan):
    with plan.begin() as session:
        other = make_room(session, channel="C0OTHER")
        foreign = add_milestone(session, other, "Foreign")
        shown_values = shown_fields(foreign, "title")
        with pytest.raises(NotFoundError):
            plan_edits.check_milestone_unchanged(session, room_of(session), foreign, shown_values)


def test_concurrent_milestone_edits_apply_once(plan):
    import threading

    from bot.services import Services

    with plan.begin() as session:
        shown_values = shown_fields(milestone_titled(session, "Security"), "title", "due_date")
    services = Services(sessions=plan, team_id=TEAM)
    first_wrote = threading.Event()
    second_read = threading.Event()
    results: dict[str, object] = {}

    def edit(name: str, title: str) -> None:
        attempts = []

        def work(session):
            room = room_of(session)
            security = session.scalars(select(Milestone).where(Milestone.position == 1)).one()
            attempts.append(1)
            if name == "second" and len(attempts) == 1:
                # The second editor reads the milestone after the first one changed it,
                # before that change is committed, and then checks it.
                first_wrote.wait(timeout=10)
                second_read.set()
            plan_edits.check_milestone_unchanged(session, room, security, shown_values)
            plan_edits.rename_milestone(session, room, security, title, actor=name, now=LATER)
            if name == "first":
                first_wrote.set()
                second_read.wait(timeout=10)

        try:
            services.write(work)
            results[name] = "saved"
        except plan_edits.StaleMilestoneError as error:
            results[name] = error.current.title

    threads = [
        threading.Thread(target=edit, args=("first", "Security one")),
        threading.Thread(target=edit, args=("second", "Security two")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == {"first": "saved", "second": "Security one"}
    with plan.begin() as session:
        assert milestone_titled(session, "Security one") is not None
        assert len(activities(session, "milestone.renamed")) == 1


def test_rename_rejects_title_of_other_milestone(plan):
    with plan.begin() as session, pytest.raises(ConflictError) as raised:
        room = room_of(session)
        legal = milestone_titled(session, "Legal")
        plan_edits.rename_milestone(session, room, legal, "KICKOFF", actor="U2", now=LATER)
    assert raised.value.message.startswith("Milestone 3 is already titled “Kickoff”.")
    with plan.begin() as session:
        assert milestone_titled(session, "Legal").title == "Legal"
        assert activities(session, "milestone.renamed") == []


def test_rename_may_change_case_of_own_title(plan):
    with plan.begin() as session:
        room = room_of(session)
        legal = milestone_titled(session, "Legal")
        assert plan_edits.rename_milestone(session, room, legal, "LEGAL", actor="U2", now=LATER)
    with plan.begin() as session:
        assert milestone_titled(session, "LEGAL").position == 2


@pytest.mark.parametrize("title", ["4", "#1"])
def test_rename_rejects_number_title(plan, title):
    with plan.begin() as session, pytest.raises(InvalidInputError) as raised:
        room = room_of(session)
        legal = milestone_titled(session, "Legal")
        plan_edits.rename_milestone(session, room, legal, title, actor="U2", now=LATER)
    assert raised.value.message.startswith(f"“{title}” can't be a milestone title")
    with plan.begin() as session:
        assert milestone_titled(session, "Legal").title == "Legal"


def test_rename_keeps_old_number_title_unchanged(plan):
    with plan.begin() as session:
        legal = milestone_titled(session, "Legal")
        # Written past the title rules, as a milestone made before them could be.
        legal.title = "2"
    with plan.begin() as session:
        room = room_of(session)
        old = milestone_titled(session, "2")
        assert not plan_edits.rename_milestone(session, room, old, " 2 ", actor="U2", now=LATER)


def test_add_milestone_at_rejects_used_title(plan):
    with plan.begin() as session, pytest.raises(ConflictError) as raised:
        plan_edits.add_milestone_at(
            session,
            room_of(session),
            title="security",
            due_date=None,
            position=1,
            actor="U2",
            now=LATER,
        )
    assert raised.value.message.startswith("Milestone 1 is already titled “Security”.")
    with plan.begin() as session:
        assert session.scalar(select(func.count()).select_from(Milestone)) == 3
