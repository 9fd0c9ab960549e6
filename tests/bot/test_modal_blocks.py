"""The modal and menu builders at Slack's limits, checked by the stand-in's rules."""

from datetime import date

import pytest

from bot import ids
from bot.blocks.controls import milestone_overflow, read_overflow_value, task_overflow
from bot.blocks.milestone_modals import (
    milestone_add_modal,
    milestone_delete_modal,
    milestone_edit_modal,
    milestone_status_modal,
)
from bot.blocks.modals import task_delete_modal, task_modal, task_move_modal
from bot.forms import ModalContext
from bot.playground.standin_limits import find_view_problem
from storage.models import Side, Status
from storage.views import MilestoneView, TaskView

LONG = "Ü" * 200
CONTEXT = ModalContext(channel_id="C0DEAL", message_ts="1796420070.000700")


def make_task(number=7, title=LONG, due=date(2027, 3, 9), status=Status.NOT_STARTED):
    return TaskView(
        id=number * 10,
        number=number,
        milestone_id=1,
        title=title,
        description="d" * 3000,
        owner_user_id=None,
        owner_name="n" * 200,
        side=Side.BUYER,
        due_date=due,
        status=status,
        completed_at=None,
        completed_by=None,
        version=3,
    )


def make_milestone(position=1, title=LONG, tasks=(), status_manual=False):
    return MilestoneView(
        id=position,
        position=position,
        title=title,
        due_date=date(2027, 3, 9),
        status=Status.IN_PROGRESS,
        status_manual=status_manual,
        tasks=tuple(tasks),
    )


def problem(view):
    found = find_view_problem(view)
    return found.messages if found else None


def test_task_modal_with_longest_values_is_valid():
    milestones = [make_milestone(position) for position in range(1, 151)]
    view = task_modal(CONTEXT, milestones, make_task())
    assert problem(view) is None
    select = next(b for b in view["blocks"] if b["block_id"] == ids.FIELD_MILESTONE)
    assert len(select["element"]["options"]) == 100
    assert view["title"]["text"] == "Edit task #7"


def test_task_modal_preselects_only_milestone():
    view = task_modal(CONTEXT, [make_milestone(1, "Discovery")])
    select = next(b for b in view["blocks"] if b["block_id"] == ids.FIELD_MILESTONE)
    assert select["element"]["initial_option"]["value"] == "1"


def test_task_modal_for_big_number_fits_title():
    view = task_modal(CONTEXT, [make_milestone()], make_task(number=2_147_483_647))
    assert problem(view) is None
    assert len(view["title"]["text"]) <= 24


@pytest.mark.parametrize(
    "build",
    [
        lambda: task_move_modal(CONTEXT, make_task(), [make_milestone(1), make_milestone(2)]),
        lambda: task_delete_modal(CONTEXT, make_task()),
        lambda: milestone_add_modal(CONTEXT),
        lambda: milestone_edit_modal(CONTEXT, make_milestone()),
        lambda: milestone_status_modal(CONTEXT, make_milestone(status_manual=True)),
        lambda: milestone_delete_modal(
            CONTEXT, make_milestone(tasks=[make_task(n) for n in range(1, 40)])
        ),
    ],
)
def test_other_modals_are_valid(build):
    assert problem(build()) is None


def test_delete_modal_lists_at_most_twenty_numbers():
    view = milestone_delete_modal(
        CONTEXT, make_milestone(title="Legal", tasks=[make_task(n) for n in range(1, 26)])
    )
    text = view["blocks"][0]["text"]["text"]
    assert "Its 25 tasks (#1, #2," in text
    assert "#20 and 5 more) will be deleted with it." in text


def test_status_modal_preselects_manual_status():
    view = milestone_status_modal(CONTEXT, make_milestone(status_manual=True))
    radio = view["blocks"][1]["element"]
    assert radio["initial_option"]["value"] == Status.IN_PROGRESS.value
    assert [option["value"] for option in radio["options"]] == [
        "automatic",
        "not_started",
        "in_progress",
        "completed",
    ]


@pytest.mark.parametrize(
    ("position", "count", "verbs"),
    [
        (1, 1, ["edit", "status", "delete"]),
        (1, 3, ["edit", "status", "down", "delete"]),
        (2, 3, ["edit", "status", "up", "down", "delete"]),
        (3, 3, ["edit", "status", "up", "delete"]),
    ],
)
def test_milestone_menu_options(position, count, verbs):
    menu = milestone_overflow(make_milestone(position), count).to_dict()
    assert [option["value"].split(":")[0] for option in menu["options"]] == verbs
    assert 2 <= len(menu["options"]) <= 5


@pytest.mark.parametrize(
    ("status", "first"),
    [
        (Status.NOT_STARTED, "in_progress:70:not_started"),
        (Status.IN_PROGRESS, "not_started:70:in_progress"),
    ],
)
def test_task_menu_status_option(status, first):
    menu = task_overflow(make_task(status=status)).to_dict()
    assert menu["options"][0]["value"] == first
    assert len(menu["options"]) == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("edit:42", ("edit", 42)),
        ("in_progress:42:not_started", ("in_progress", 42)),
        ("edit:", None),
        (":42", None),
        ("edit:4x", None),
        ("", None),
    ],
)
def test_read_overflow_value(value, expected):
    assert read_overflow_value(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"channel_id":"C1","task_id":4,"version":2}', ModalContext("C1", task_id=4, version=2)),
        ('{"channel_id":"C1","unknown":1}', ModalContext("C1")),
    ],
)
def test_modal_context_decode(text, expected):
    assert ModalContext.decode(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "[]", '{"task_id": 4}', "not json", '{"channel_id": "C1", "shown_values": "Alpha"}'],
)
def test_modal_context_rejects_foreign_metadata(text):
    with pytest.raises(ValueError):
        ModalContext.decode(text)


def test_modal_context_round_trip():
    context = ModalContext("C1", "1.2", 4, None, 2, "U1", "seller", "2026-11-30")
    assert ModalContext.decode(context.encode()) == context


def test_modal_context_keeps_shown_values():
    shown_values = {"title": "Alpha", "due_date": None}
    context = ModalContext("C1", milestone_id=7, shown_values=shown_values)

    decoded = ModalContext.decode(context.encode())

    assert decoded.shown_values == shown_values
    assert decoded == context


@pytest.mark.parametrize("selected", [1, 100, 101, 102])
def test_milestone_select_keeps_selected_past_100(selected):
    from bot.blocks.modals import milestone_select

    milestones = [make_milestone(position, title=f"M{position}") for position in range(1, 103)]
    select = milestone_select(milestones, selected).to_dict()
    values = [option["value"] for option in select["options"]]
    assert len(values) == 100
    assert select["initial_option"]["value"] == str(selected)
    assert str(selected) in values
