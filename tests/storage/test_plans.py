from datetime import date

import pytest
from sqlalchemy import event, func, select

from storage import plans
from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.models import Activity, DealRoom, Milestone, Side, Status, Task
from tests.conftest import FIXED_NOW

TEAM = "T0HOME"
CHANNEL = "C0DEAL"


def make_room(session, channel=CHANNEL, name="Acme renewal"):
    return plans.create_room(
        session, team_id=TEAM, channel_id=channel, deal_name=name, actor="U1", now=FIXED_NOW
    )


def add_task(session, room, milestone, title="Share SOC 2 report", side=Side.SELLER):
    new = plans.NewTask(title=title, side=side, owner_user_id="U1")
    return plans.add_task(session, room, milestone, new, actor="U1", now=FIXED_NOW)


def add_milestone(session, room, title="Security review"):
    return plans.add_milestone(session, room, title=title, due_date=None, actor="U1", now=FIXED_NOW)


def test_create_room_twice_is_conflict(sessions):
    with sessions.begin() as session:
        make_room(session)
    with sessions.begin() as session, pytest.raises(ConflictError) as raised:
        make_room(session, name="Other deal")
    assert "Acme renewal" in raised.value.message
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(DealRoom)) == 1


def test_room_created_at_is_aware_utc(sessions):
    with sessions.begin() as session:
        make_room(session)
    with sessions.begin() as session:
        room = plans.require_room(session, TEAM, CHANNEL)
        assert room.created_at == FIXED_NOW
        assert room.created_at.utcoffset() is not None


def test_task_numbers_are_never_reused(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        milestone = add_milestone(session, room)
        first = add_task(session, room, milestone, "One")
        second = add_task(session, room, milestone, "Two")
        assert (first.number, second.number) == (1, 2)
        session.delete(second)
    with sessions.begin() as session:
        room = plans.require_room(session, TEAM, CHANNEL)
        milestone = plans.resolve_milestone(session, room, "1")
        third = add_task(session, room, milestone, "Three")
        assert third.number == 3


def test_numbers_are_per_room(sessions):
    with sessions.begin() as session:
        first_room = make_room(session)
        second_room = make_room(session, channel="C0OTHER", name="Globex")
        one = add_task(session, first_room, add_milestone(session, first_room))
        two = add_task(session, second_room, add_milestone(session, second_room))
        assert one.number == 1
        assert two.number == 1


def test_status_change_derives_milestone(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        milestone = add_milestone(session, room)
        first = add_task(session, room, milestone, "One")
        second = add_task(session, room, milestone, "Two")
        assert milestone.status is Status.NOT_STARTED

        plans.set_task_status(session, room, first, Status.IN_PROGRESS, actor="U2", now=FIXED_NOW)
        assert milestone.status is Status.IN_PROGRESS
        plans.set_task_status(session, room, first, Status.COMPLETED, actor="U2", now=FIXED_NOW)
        plans.set_task_status(session, room, second, Status.COMPLETED, actor="U2", now=FIXED_NOW)
        assert milestone.status is Status.COMPLETED
        assert second.completed_by == "U2"
        assert second.completed_at == FIXED_NOW

        plans.set_task_status(session, room, second, Status.NOT_STARTED, actor="U2", now=FIXED_NOW)
        assert milestone.status is Status.IN_PROGRESS
        assert second.completed_at is None


def test_manual_milestone_status_is_kept(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        milestone = add_milestone(session, room)
        task = add_task(session, room, milestone)
        milestone.status = Status.COMPLETED
        milestone.status_manual = True
        plans.set_task_status(session, room, task, Status.IN_PROGRESS, actor="U2", now=FIXED_NOW)
        assert milestone.status is Status.COMPLETED
        assert task.status is Status.IN_PROGRESS


def test_same_status_twice_logs_once(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        task = add_task(session, room, add_milestone(session, room))
        first = plans.set_task_status(
            session, room, task, Status.COMPLETED, actor="U2", now=FIXED_NOW
        )
        second = plans.set_task_status(
            session, room, task, Status.COMPLETED, actor="U2", now=FIXED_NOW
        )
        assert first.changed
        assert not second.changed
    with sessions.begin() as session:
        changes = session.scalars(select(Activity).where(Activity.action == "task.status")).all()
        assert len(changes) == 1
        assert changes[0].before == {"status": "not_started"}
        assert changes[0].after == {"status": "completed"}


def test_find_task_of_other_room_is_not_found(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        other = make_room(session, channel="C0OTHER", name="Globex")
        task = add_task(session, other, add_milestone(session, other))
        with pytest.raises(NotFoundError) as raised:
            plans.find_task(session, room, task_id=task.id)
        assert "no longer in this plan" in raised.value.message


def test_find_task_unknown_number_names_it(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        with pytest.raises(NotFoundError) as raised:
            plans.find_task(session, room, number=42)
        assert "#42" in raised.value.message


@pytest.mark.parametrize("reference", ["2", "legal review", "LEGAL", "  Legal   Review "])
def test_resolve_milestone_by_number_or_title(sessions, reference):
    with sessions.begin() as session:
        room = make_room(session)
        add_milestone(session, room, "Security review")
        add_milestone(session, room, "Legal review")
        assert plans.resolve_milestone(session, room, reference).title == "Legal review"


def test_resolve_unknown_milestone_lists_them(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        add_milestone(session, room, "Security review")
        with pytest.raises(NotFoundError) as raised:
            plans.resolve_milestone(session, room, "Procurement")
        assert "`Procurement`" in raised.value.message
        assert "1. Security review" in raised.value.message


def test_bad_title_writes_nothing(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        milestone = add_milestone(session, room)
    with sessions.begin() as session, pytest.raises(InvalidInputError):
        room = plans.require_room(session, TEAM, CHANNEL)
        add_task(session, room, plans.resolve_milestone(session, room, "1"), title=" ")
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 0
        assert plans.require_room(session, TEAM, CHANNEL).next_task_number == 1
    assert milestone.title == "Security review"


def test_load_plan_uses_two_statements(sessions, engine):
    with sessions.begin() as session:
        room = make_room(session)
        for index in range(20):
            milestone = add_milestone(session, room, f"Milestone {index}")
            for number in range(20):
                add_task(session, room, milestone, f"Task {number}")

    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        with sessions.begin() as session:
            plan = plans.load_plan(session, TEAM, CHANNEL)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert plan is not None
    assert plan.task_count == 400
    assert len(plan.milestones) == 20
    assert len(statements) == 2


def test_load_plan_keeps_due_dates(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        milestone = plans.add_milestone(
            session, room, title="Legal", due_date=date(2027, 3, 9), actor="U1", now=FIXED_NOW
        )
        new = plans.NewTask(
            title="Redlines", side=Side.BUYER, owner_name="Dana", due_date=date(2027, 3, 9)
        )
        plans.add_task(session, room, milestone, new, actor="U1", now=FIXED_NOW)
    with sessions.begin() as session:
        plan = plans.load_plan(session, TEAM, CHANNEL)
    assert plan is not None
    assert plan.milestones[0].due_date == date(2027, 3, 9)
    assert plan.milestones[0].tasks[0].due_date == date(2027, 3, 9)
    assert plan.milestones[0].tasks[0].owner_name == "Dana"


def test_concurrent_adds_get_distinct_numbers(sessions):
    import threading

    from bot.services import Services

    with sessions.begin() as session:
        room = make_room(session)
        add_milestone(session, room)
    services = Services(sessions=sessions, team_id=TEAM)
    workers = 6
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def add(index: int) -> None:
        attempts = []

        def work(session):
            room = plans.require_room(session, TEAM, CHANNEL)
            milestone = plans.resolve_milestone(session, room, "1")
            # All threads read the room before any of them writes; retries go straight on.
            attempts.append(1)
            if len(attempts) == 1:
                barrier.wait(timeout=10)
            return add_task(session, room, milestone, f"Task {index}").number

        try:
            services.write(work)
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=add, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    with sessions.begin() as session:
        numbers = sorted(session.scalars(select(Task.number)))
        assert numbers == list(range(1, workers + 1))
        assert plans.require_room(session, TEAM, CHANNEL).next_task_number == workers + 1


def add_legacy_milestone(session, room, title, position):
    """Insert a milestone as older versions could, past the title rules of `add_milestone`."""
    milestone = Milestone(
        room_id=room.id,
        position=position,
        title=title,
        status=Status.NOT_STARTED,
        status_manual=False,
        created_at=FIXED_NOW,
    )
    session.add(milestone)
    session.flush()
    return milestone


def resolve_among(session, room, references):
    index, milestone = plans.resolve_milestone_among(session, room, references)
    return references[index], milestone.title


PHASES = ["Phase 1", "Phase 1: Discovery", "Phase 10"]


@pytest.mark.parametrize(
    ("titles", "references", "expected"),
    [
        # The longest reference that is a whole title wins over a shorter whole title.
        (PHASES, ["Phase 1", "Phase 1: Discovery"], ("Phase 1: Discovery", "Phase 1: Discovery")),
        (
            ["Phase 1: Discovery"],
            ["Phase 1", "Phase 1: Discovery"],
            ("Phase 1: Discovery", "Phase 1: Discovery"),
        ),
        # A whole title wins over a reference that only begins a title.
        (
            ["Phase 1: Discovery", "Legal"],
            ["Legal", "Legal: Agree terms"],
            ("Legal", "Legal"),
        ),
        (PHASES, ["phase 1", "phase 1: discovery"], ("phase 1: discovery", "Phase 1: Discovery")),
        # Numbers name milestones exactly too.
        (PHASES, ["2", "2: Agree terms"], ("2", "Phase 1: Discovery")),
        (PHASES, ["#3", "#3: Agree terms"], ("#3", "Phase 10")),
        # With no whole title, the one reference that begins exactly one title.
        (["Legal review"], ["Legal", "Legal: Agree terms"], ("Legal", "Legal review")),
        (["Phase 1: Discovery"], ["Phase 1: Disc"], ("Phase 1: Disc", "Phase 1: Discovery")),
    ],
)
def test_resolve_milestone_among_readings(sessions, titles, references, expected):
    with sessions.begin() as session:
        room = make_room(session)
        for title in titles:
            add_milestone(session, room, title)
        assert resolve_among(session, room, references) == expected


def test_resolve_rejects_readings_that_each_begin_a_title(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        add_milestone(session, room, "Phase 1: Discovery")
        with pytest.raises(InvalidInputError) as raised:
            plans.resolve_milestone_among(session, room, ["Phase 1", "Phase 1: Disc"])
    message = raised.value.message
    assert message.startswith(
        "It is unclear where the milestone ends, because `Phase 1` and `Phase 1: Disc` "
        "each begin a milestone title."
    )
    assert '`/map add task "Phase 1: Discovery": Kickoff call`' in message


def test_resolve_rejects_beginning_of_several_titles(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        add_milestone(session, room, "Legal review")
        add_milestone(session, room, "Legal sign-off")
        with pytest.raises(InvalidInputError) as raised:
            plans.resolve_milestone(session, room, "legal")
    assert raised.value.message == (
        "`legal` begins more than one milestone title: 1. Legal review, 2. Legal sign-off. "
        "Type the whole title or the milestone's number."
    )


def test_resolve_rejects_title_shared_by_old_milestones(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        add_milestone(session, room, "Kickoff")
        add_legacy_milestone(session, room, "Legal", 2)
        add_legacy_milestone(session, room, "legal", 3)
        with pytest.raises(InvalidInputError) as raised:
            plans.resolve_milestone(session, room, "Legal")
        assert raised.value.message == (
            "More than one milestone is titled `Legal`: 2. Legal, 3. legal. "
            "Name the milestone by its number, like `2`."
        )
        assert plans.resolve_milestone(session, room, "3").title == "legal"


def test_resolve_number_wins_over_old_number_title(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        add_milestone(session, room, "Kickoff")
        add_legacy_milestone(session, room, "1", 2)
        assert plans.resolve_milestone(session, room, "1").title == "Kickoff"
        # Past the last position, the number is read as a title.
        add_legacy_milestone(session, room, "7", 3)
        assert plans.resolve_milestone(session, room, "7").title == "7"


@pytest.mark.parametrize("title", ["Security review", "security REVIEW", " Security  review "])
def test_add_milestone_rejects_used_title(sessions, title):
    with sessions.begin() as session:
        room = make_room(session)
        add_milestone(session, room, "Kickoff")
        add_milestone(session, room, "Security review")
    with sessions.begin() as session, pytest.raises(ConflictError) as raised:
        add_milestone(session, plans.require_room(session, TEAM, CHANNEL), title)
    clean = " ".join(title.split())
    assert raised.value.message == (
        "Milestone 2 is already titled “Security review”. Give this milestone a title no "
        f"other milestone of the plan has (case is ignored), like “{clean} 2”."
    )
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Milestone)) == 2


def test_add_milestone_allows_title_of_other_room(sessions):
    with sessions.begin() as session:
        add_milestone(session, make_room(session), "Kickoff")
        other = make_room(session, channel="C0OTHER")
        assert add_milestone(session, other, "Kickoff").title == "Kickoff"


@pytest.mark.parametrize("title", ["2", "#2", " 12 ", "٣"])
def test_add_milestone_rejects_number_title(sessions, title):
    with sessions.begin() as session:
        room = make_room(session)
        with pytest.raises(InvalidInputError) as raised:
            add_milestone(session, room, title)
    clean = title.strip()
    assert raised.value.message.startswith(f"“{clean}” can't be a milestone title")
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Milestone)) == 0
