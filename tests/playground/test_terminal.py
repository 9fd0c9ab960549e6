"""The `mapbot try` front end: Block Kit as text, typed values, modals, and whole sessions."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import ButtonElement, Option, OverflowMenuElement

from bot import ids
from bot.blocks.plan import plan_message
from bot.playground.local import DEAL_CHANNEL, PEOPLE, LocalBot
from bot.playground.slack_requests import view_state_values
from bot.playground.terminal import run_playground
from bot.playground.terminal_blocks import pack_row, render_blocks
from bot.playground.terminal_clicks import confirm_question, selection, toggled
from bot.playground.terminal_modal import ModalForm
from bot.playground.terminal_session import PlaygroundSession
from bot.playground.terminal_text import Directory, escape_typed_text, slack_to_text
from bot.playground.terminal_values import InvalidValue
from storage.models import Side, Status
from storage.views import MilestoneView, PlanView, RoomView, TaskView
from tests.conftest import FakeClock

TODAY = date(2026, 12, 4)
UPDATED = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
WIDTH = 88


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib honours proxy variables, and loopback requests must never leave the machine.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def directory() -> Directory:
    return Directory(
        users={"U0SELLER": "sam.seller", "U0BUYER": "bea.buyer", "U0MAPBOT": "mapbot"},
        channels={DEAL_CHANNEL: "deal-acme"},
        real_names={"U0SELLER": "Sam Seller", "U0BUYER": "Bea Buyer"},
        people=["U0SELLER", "U0BUYER"],
    )


def make_task(task_id: int, milestone_id: int, title: str, **changes: Any) -> TaskView:
    fields: dict[str, Any] = {
        "id": task_id,
        "number": task_id,
        "milestone_id": milestone_id,
        "title": title,
        "description": None,
        "owner_user_id": "U0SELLER",
        "owner_name": None,
        "side": Side.SELLER,
        "due_date": date(2027, 1, 10),
        "status": Status.NOT_STARTED,
        "completed_at": None,
        "completed_by": None,
        "version": 1,
    }
    fields.update(changes)
    return TaskView(**fields)


def make_plan(milestones: list[tuple[str, list[TaskView]]]) -> PlanView:
    views = []
    for position, (title, tasks) in enumerate(milestones, start=1):
        done = all(task.status is Status.COMPLETED for task in tasks) and tasks
        views.append(
            MilestoneView(
                id=position,
                position=position,
                title=title,
                due_date=date(2027, 1, 15),
                status=Status.COMPLETED if done else Status.NOT_STARTED,
                status_manual=False,
                tasks=tuple(tasks),
            )
        )
    room = RoomView(
        id=1,
        team_id="T0HOME",
        channel_id=DEAL_CHANNEL,
        deal_name="Acme renewal",
        timezone="UTC",
        updated_at=UPDATED,
    )
    return PlanView(room=room, milestones=tuple(views))


def rendered_text(blocks: list[dict[str, Any]], directory: Directory) -> str:
    return "\n".join(render_blocks(blocks, directory, width=WIDTH).lines)


# Slack text to terminal text


@pytest.mark.parametrize(
    ("mrkdwn", "expected"),
    [
        ("<@U0SELLER> owns it", "@sam.seller owns it"),
        ("<@U0NOBODY|ghost>", "@ghost"),
        ("<@U0NOBODY>", "@U0NOBODY"),
        ("in <#C0DEAL>", "in #deal-acme"),
        ("<!date^1796400000^{date_short}|Dec 4, 2026>", "Dec 4, 2026"),
        ("<!date^1796400000^{date_short}>", "2026-12-04 16:00 UTC"),
        ("<https://example.com/dpa|the DPA>", "the DPA (https://example.com/dpa)"),
        ("<https://example.com>", "https://example.com"),
        ("<mailto:ada@example.com>", "ada@example.com"),
        ("<!here> look", "@here look"),
        ("Q&amp;A &lt;draft&gt;", "Q&A <draft>"),
        ("&amp;lt;", "&lt;"),
        (":white_check_mark: Completed", "✓ Completed"),
        (":large_blue_circle: In progress", "◐ In progress"),
        (":made_up_emoji: kept", ":made_up_emoji: kept"),
        ("at 10:30:15", "at 10:30:15"),
    ],
)
def test_slack_to_text(directory, mrkdwn, expected):
    assert slack_to_text(mrkdwn, directory) == expected


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("add task 1: Review @bea.buyer", "add task 1: Review <@U0BUYER|bea.buyer>"),
        ("add task 1: Review @U0SELLER", "add task 1: Review <@U0SELLER|sam.seller>"),
        ("add task 1: Q&A <draft>", "add task 1: Q&amp;A &lt;draft&gt;"),
        ("done #3", "done #3"),
        ("post in #deal-acme", "post in <#C0DEAL|deal-acme>"),
        ("ask @nobody", "ask @nobody"),
        ("mail bea@example.com", "mail bea@example.com"),
        ("read https://example.com/dpa.", "read <https://example.com/dpa>."),
    ],
)
def test_escape_typed_text(directory, typed, sent):
    assert escape_typed_text(typed, directory) == sent


def test_find_user_by_prefix_and_real_name(directory):
    assert directory.find_user("bea") == "U0BUYER"
    assert directory.find_user("@Sam Seller") == "U0SELLER"
    assert directory.find_user("zed") is None


# Block Kit to text


def test_plan_message_as_text(directory):
    plan = make_plan(
        [
            (
                "Security review",
                [
                    make_task(1, 1, "Share SOC 2 report"),
                    make_task(
                        2, 1, "Fill in questionnaire", owner_user_id="U0BUYER", side=Side.BUYER
                    ),
                ],
            )
        ]
    )
    message = plan_message(plan, TODAY)

    text = rendered_text(message.blocks, directory)

    assert "Mutual Action Plan: Acme renewal\n═════" in text
    assert "*1. Security review*" in text
    assert "*#1* Share SOC 2 report" in text
    assert "○ Not started · @sam.seller (seller) · due Sun Jan 10, 2027" in text
    assert "@bea.buyer (buyer)" in text
    assert re.search(r"^\[\d+\] Complete #1   ", text, re.M)
    assert re.search(r"^\[\d+\] Complete #2   ", text, re.M)
    for raw in ("<@", ":white_circle:", "<!date", "&amp;"):
        assert raw not in text


def test_plan_controls_match_elements(directory):
    plan = make_plan([("Security review", [make_task(7, 1, "Share SOC 2 report")])])
    message = plan_message(plan, TODAY)

    controls = render_blocks(message.blocks, directory, width=WIDTH).controls

    assert [control.number for control in controls] == list(range(1, len(controls) + 1))
    [complete] = [control for control in controls if control.label == "Complete #7"]
    assert complete.element["action_id"] == ids.TASK_COMPLETE
    assert complete.element["value"] == "7"
    assert complete.block_id
    assert complete.value_form is None


def test_completed_task_shows_check(directory):
    done = make_task(
        1,
        1,
        "Share SOC 2 report",
        status=Status.COMPLETED,
        completed_at=UPDATED,
        completed_by="U0BUYER",
    )
    plan = make_plan([("Security review", [done])])

    text = rendered_text(plan_message(plan, TODAY).blocks, directory)

    assert "✓ Completed" in text
    assert "Complete #1" not in text


def test_paged_plan_numbers_each_option(directory):
    milestones = [
        (f"Milestone {index}", [make_task(index * 10 + n, index, f"Task {n}") for n in range(4)])
        for index in range(1, 16)
    ]
    message = plan_message(make_plan(milestones), TODAY)

    rendered = render_blocks(message.blocks, directory, width=WIDTH)

    options = [
        control for control in rendered.controls if control.element["type"] == "static_select"
    ]
    assert len(options) >= 2
    values = [str(option["value"]) for option in options[0].element["options"]]
    assert [option.option_value for option in options] == values
    text = "\n".join(rendered.lines)
    for option in options:
        assert f"[{option.number}] {option.label}" in text
    assert [control.number for control in rendered.controls] == list(
        range(1, len(rendered.controls) + 1)
    )


def test_overflow_options_get_numbers(directory):
    menu = OverflowMenuElement(
        action_id="task_menu",
        options=[
            Option(text="Start", value="start:3"),
            Option(text="Edit…", value="edit:3"),
            Option(text="Delete…", value="delete:3"),
        ],
    )
    blocks = [
        {
            "type": "section",
            "block_id": "task:3",
            "text": {"type": "mrkdwn", "text": "*#3* Send redlines"},
            "accessory": menu.to_dict(),
        },
        {"type": "divider"},
        {"type": "actions", "elements": [ButtonElement(text="Add task", value="add").to_dict()]},
    ]

    rendered = render_blocks(blocks, directory, width=WIDTH, first_number=5)

    assert [control.label for control in rendered.controls] == [
        "Start #3",
        "Edit… #3",
        "Delete… #3",
        "Add task",
    ]
    assert [control.number for control in rendered.controls] == [5, 6, 7, 8]
    assert [control.option_value for control in rendered.controls] == [
        "start:3",
        "edit:3",
        "delete:3",
        None,
    ]
    assert "More: [5] Start #3   [6] Edit… #3   [7] Delete… #3" in rendered.lines


def test_rows_wrap_between_items():
    items = [f"[{number}] Complete #{number}" for number in range(1, 9)]

    rows = pack_row(items, 40)

    assert len(rows) > 1
    assert all(len(row) <= 40 for row in rows)
    assert "   ".join(rows) == "   ".join(items)


def test_typed_menu_asks_for_value(directory):
    blocks = [
        {
            "type": "actions",
            "block_id": "due",
            "elements": [{"type": "datepicker", "action_id": "pick_due"}],
        }
    ]

    rendered = render_blocks(blocks, directory, width=WIDTH)

    assert rendered.lines == ["[1] Choose a date (type: click 1 YYYY-MM-DD)"]
    control = rendered.controls[0]
    assert selection(control, "2027-03-09", directory) == "2027-03-09"
    with pytest.raises(InvalidValue, match="needs a value"):
        selection(control, "", directory)
    with pytest.raises(InvalidValue, match="'2027-02-30' is not a date"):
        selection(control, "2027-02-30", directory)


def test_button_rejects_value(directory):
    blocks = [
        {
            "type": "actions",
            "elements": [{"type": "button", "action_id": "go", "text": _plain("Go")}],
        }
    ]
    control = render_blocks(blocks, directory, width=WIDTH).controls[0]

    assert selection(control, "", directory) is None
    with pytest.raises(InvalidValue, match="takes no value"):
        selection(control, "extra", directory)


def test_confirm_dialog_text(directory):
    dialog = {
        "title": _plain("Delete task?"),
        "text": {"type": "mrkdwn", "text": "This removes *#3* for <@U0BUYER> too."},
        "confirm": _plain("Delete"),
        "deny": _plain("Keep it"),
    }

    text, question = confirm_question(dialog, directory)

    assert text == "Delete task?: This removes *#3* for @bea.buyer too."
    assert question == "Delete (y) or Keep it (n)? "


def test_checkbox_click_toggles():
    assert toggled(["a"], "b") == ["a", "b"]
    assert toggled(["a", "b"], "a") == ["b"]


# Modals


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _options(*labels: str) -> list[dict[str, Any]]:
    return [{"text": _plain(label), "value": label.lower().replace(" ", "_")} for label in labels]


def task_modal() -> dict[str, Any]:
    return {
        "id": "V0TEST",
        "hash": "1.a",
        "type": "modal",
        "callback_id": "playground_test",
        "title": _plain("Add a task"),
        "submit": _plain("Add"),
        "close": _plain("Cancel"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "For *Acme renewal*"}},
            {
                "type": "input",
                "block_id": "title",
                "label": _plain("Task title"),
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 30},
            },
            {
                "type": "input",
                "block_id": "milestone",
                "label": _plain("Milestone"),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": _options("Discovery", "Security review"),
                },
            },
            {
                "type": "input",
                "block_id": "owner",
                "optional": True,
                "label": _plain("Owner"),
                "element": {"type": "users_select", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "due",
                "optional": True,
                "label": _plain("Due date"),
                "hint": _plain("Read in the room's time zone."),
                "element": {
                    "type": "datepicker",
                    "action_id": "value",
                    "initial_date": "2027-01-10",
                },
            },
            {
                "type": "input",
                "block_id": "side",
                "label": _plain("Side"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "value",
                    "options": _options("Buyer", "Seller"),
                    "initial_option": _options("Buyer", "Seller")[1],
                },
            },
            {
                "type": "input",
                "block_id": "notify",
                "optional": True,
                "label": _plain("Notify"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": _options("Channel", "Owner"),
                },
            },
        ],
    }


def test_modal_fields_from_view(directory):
    form = ModalForm(task_modal(), directory)

    lines = form.render(WIDTH)

    assert form.title == "Add a task"
    assert [field.label for field in form.fields] == [
        "Task title",
        "Milestone",
        "Owner",
        "Due date",
        "Side",
        "Notify",
    ]
    assert "For *Acme renewal*" in lines
    assert "[1] Task title: (empty)" in lines
    assert "    options: 1) Discovery  2) Security review" in lines
    assert "[3] Owner (optional): (empty)" in lines
    assert "    people: sam.seller, bea.buyer" in lines
    assert "[4] Due date (optional): 2027-01-10" in lines
    assert "    Read in the room's time zone." in lines
    assert "[5] Side: Seller" in lines
    assert lines[-1] == ("Type set N VALUE to fill field N, then submit (Add) or cancel (Cancel).")


def test_modal_set_by_number_value_and_name(directory):
    form = ModalForm(task_modal(), directory)

    assert form.set(1, "Share SOC 2 report") == "[1] Task title: Share SOC 2 report"
    assert form.set(2, "2") == "[2] Milestone: Security review"
    assert form.set(2, "discovery") == "[2] Milestone: Discovery"
    assert form.set(3, "bea") == "[3] Owner: @bea.buyer"
    assert form.set(4, "2027-03-09") == "[4] Due date: 2027-03-09"
    assert form.set(6, "1,2") == "[6] Notify: Channel, Owner"
    assert form.set(4, "") == "[4] Due date: (empty)"

    answers = form.submission()
    assert answers == {
        "title": "Share SOC 2 report",
        "milestone": "discovery",
        "owner": "U0BUYER",
        "due": None,
        "side": "seller",
        "notify": ["channel", "owner"],
    }
    values = view_state_values(task_modal(), answers)
    assert values["owner"]["value"]["selected_user"] == "U0BUYER"
    assert values["milestone"]["value"]["selected_option"]["value"] == "discovery"
    assert values["due"]["value"]["selected_date"] is None


@pytest.mark.parametrize(
    ("number", "typed", "message"),
    [
        (1, "x" * 31, "at most 30"),
        (2, "Legal", "'Legal' is not one of the options"),
        (2, "3", "'3' is not one of the options"),
        (3, "nobody", "No person is called 'nobody'"),
        (4, "next friday", "'next friday' is not a date"),
        (9, "anything", r"There is no field \[9\]"),
    ],
)
def test_modal_rejects_bad_values(directory, number, typed, message):
    form = ModalForm(task_modal(), directory)
    before = form.submission()

    with pytest.raises(InvalidValue, match=message):
        form.set(number, typed)

    assert form.submission() == before


def test_modal_required_fields(directory):
    form = ModalForm(task_modal(), directory)

    assert [field.label for field in form.missing()] == ["Task title", "Milestone"]
    form.set(1, "Share SOC 2 report")
    form.set(2, "1")
    assert form.missing() == []


def test_modal_shows_field_errors(directory):
    form = ModalForm(task_modal(), directory)

    unplaced = form.show_errors({"title": "A task with this title exists.", "other": "Odd."})
    lines = form.render(WIDTH)

    assert unplaced == ["other: Odd."]
    title_line = lines.index("[1] Task title: (empty)")
    assert lines[title_line + 1] == "    ✗ A task with this title exists."


def test_modal_update_keeps_answers(directory):
    first = ModalForm(task_modal(), directory)
    first.set(1, "Share SOC 2 report")
    updated_view = {**task_modal(), "hash": "2.b"}
    updated_view["blocks"] = [
        block for block in updated_view["blocks"] if block.get("block_id") != "owner"
    ]

    second = ModalForm(updated_view, directory)
    second.carry_over(first)

    assert second.answers["title"] == "Share SOC 2 report"
    assert "owner" not in second.answers


# Whole sessions through the real bot


SCRIPT = """\
# Comments and blank lines are skipped.

/map init Acme renewal
/map add milestone Security review due 2027-01-15
/map add task Security review: Share SOC 2 report @sam.seller due 2027-01-10
/map add task Security review: Fill in questionnaire @bea.buyer
/map status
click Complete #1
/map add task Security review: Countersign due someday
click 42
frobnicate
as bea.buyer
who
click complete #2
"""


def run_script(tmp_path: Path, text: str, capsys, database: str | None = None) -> tuple[int, str]:
    script = tmp_path / "session.txt"
    script.write_text(text, encoding="utf-8")
    code = run_playground(str(script), database, clock=FakeClock())
    return code, capsys.readouterr().out


def turn(transcript: str, typed: str) -> str:
    """Return what the transcript printed for one typed line, up to the next prompt."""
    start = transcript.index(f"> {typed}\n") + len(f"> {typed}\n")
    following = re.search(r"^\S+ \((seller|buyer)\) #deal-acme.*> ", transcript[start:], re.M)
    end = start + following.start() if following else len(transcript)
    return transcript[start:end]


def test_scripted_session_transcript(tmp_path, capsys):
    code, transcript = run_script(tmp_path, SCRIPT, capsys)

    assert code == 0
    assert "Comments" not in transcript
    assert "sam.seller (seller) #deal-acme > /map init Acme renewal" in transcript

    status = turn(transcript, "/map status")
    assert "Mutual Action Plan: Acme renewal" in status
    assert re.search(r"\[\d+\] Complete #1   ", status)
    assert re.search(r"\[\d+\] Complete #2   ", status)
    assert "0/2 tasks" in status

    click = turn(transcript, "click Complete #1")
    assert click.startswith("mapbot (edited):")
    assert "1/2 tasks" in click
    assert "Completed: #1 Share SOC 2 report" in click
    assert "Complete #1" not in click
    assert re.search(r"\[\d+\] Complete #2   ", click)

    bad_date = turn(transcript, "/map add task Security review: Countersign due someday")
    assert bad_date.startswith("mapbot (only visible to you): `someday` is not a date")
    assert "There is no [42]. The numbers shown go from 1 to " in turn(transcript, "click 42")
    assert "Unknown command 'frobnicate'" in turn(transcript, "frobnicate")

    assert "You are now bea.buyer (buyer" in turn(transcript, "as bea.buyer")
    assert "bea.buyer (buyer) #deal-acme > who" in transcript
    assert "* bea.buyer" in turn(transcript, "who")


def test_buyer_click_updates_plan(tmp_path, capsys):
    code, transcript = run_script(tmp_path, SCRIPT, capsys)

    assert code == 0
    after_switch = turn(transcript, "click complete #2")
    assert after_switch.startswith("mapbot (edited):")
    assert "2/2 tasks, 100%" in after_switch


def test_temporary_database_removed(tmp_path, capsys):
    code, transcript = run_script(tmp_path, "/map init Acme\n", capsys)

    assert code == 0
    match = re.search(r"^Database: (\S+) \(a temporary file", transcript, re.M)
    assert match is not None
    assert not Path(match.group(1)).exists()
    assert transcript.rstrip().endswith("Stopped the bot. The database is removed.")


def test_database_file_kept_between_runs(tmp_path, capsys):
    database = str(tmp_path / "kept.db")
    run_script(tmp_path, "/map init Acme\n/map add milestone Discovery\n", capsys, database)

    code, transcript = run_script(tmp_path, "/map status\n", capsys, database)

    assert code == 0
    assert Path(database).exists()
    assert "*1. Discovery*" in turn(transcript, "/map status")
    assert f"The database is kept in {Path(database).resolve()}." in transcript


def test_missing_script_exits_2(tmp_path, capsys):
    code = run_playground(str(tmp_path / "missing.txt"), None)

    assert code == 2
    assert "cannot read the script" in capsys.readouterr().err


def test_database_folder_missing_exits_2(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("who\n", encoding="utf-8")

    code = run_playground(str(script), str(tmp_path / "nowhere" / "x.db"))

    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_other_database_url_exits_2(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("who\n", encoding="utf-8")

    code = run_playground(str(script), "postgresql://mapbot:secret@127.0.0.1:1/mapbot")

    captured = capsys.readouterr()
    assert code == 2
    assert "--database takes an SQLite file" in captured.err
    assert "secret" not in captured.err + captured.out


def test_bot_that_cannot_start_exits_1(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("/map status\n", encoding="utf-8")

    # A folder is not an SQLite file, so the migrations fail at start.
    code = run_playground(str(script), str(tmp_path))

    captured = capsys.readouterr()
    assert code == 1
    assert "failed to start the bot" in captured.err
    assert "/map status" not in captured.out


# Modals opened in the stand-in, filled and closed through the session


@pytest.fixture
def session_and_output(tmp_path):
    output = io.StringIO()
    answers: list[str] = []
    with LocalBot(
        f"sqlite:///{tmp_path / 'modal.db'}", clock=FakeClock(), live_plan_thread=False
    ) as bot:
        assert bot.runtime is not None
        session = PlaygroundSession(
            standin=bot.standin,
            driver=bot.driver(),
            people=PEOPLE,
            output=output,
            ask=lambda prompt: answers.pop(0) if answers else None,
            width=WIDTH,
            settle=bot.runtime.live_plan.flush_now,
        )
        yield bot, session, output


def open_modal(bot: LocalBot, user_id: str) -> str:
    client = WebClient(token=bot.standin.bot_token, base_url=bot.standin.api_url)
    view = {key: value for key, value in task_modal().items() if key not in ("id", "hash")}
    response = client.views_open(trigger_id=bot.standin.new_trigger_id(user_id), view=view)
    return str(response["view"]["id"])


def test_session_fills_open_modal(session_and_output):
    bot, session, output = session_and_output
    view_id = open_modal(bot, "U0SELLER")

    session.run_line("show")
    session.run_line("/map status")
    session.run_line("set 1 Share SOC 2 report")
    session.run_line("set 4 someday")
    session.run_line("submit")

    printed = output.getvalue()
    assert "Open modal: Add a task" in printed
    assert "The modal 'Add a task' is open. Finish it first" in printed
    assert "[1] Task title: Share SOC 2 report" in printed
    assert "'someday' is not a date" in printed
    assert "Fill in the required fields first: [2] Milestone." in printed
    assert session.prompt() == "sam.seller (seller) #deal-acme [modal: Add a task] > "
    assert bot.standin.view(view_id) is not None


def test_session_submit_unhandled_modal(session_and_output):
    bot, session, output = session_and_output
    view_id = open_modal(bot, "U0SELLER")

    session.run_line("set 1 Share SOC 2 report")
    session.run_line("set 2 Security review")
    session.run_line("submit")

    # The bot has no listener for this test modal, so Bolt responds 404 and the modal stays.
    assert "The bot answered HTTP 404 instead of 200" in output.getvalue()
    assert bot.standin.view(view_id) is not None


def test_session_cancel_closes_modal(session_and_output):
    bot, session, output = session_and_output
    view_id = open_modal(bot, "U0SELLER")

    session.run_line("cancel")

    assert "The modal closed." in output.getvalue()
    assert bot.standin.view(view_id) is None
    assert session.prompt() == "sam.seller (seller) #deal-acme > "


def test_modal_belongs_to_its_person(session_and_output):
    bot, session, output = session_and_output
    open_modal(bot, "U0SELLER")

    session.run_line("as bea.buyer")
    session.run_line("set 1 Anything")
    session.run_line("as sam")

    printed = output.getvalue()
    assert "No modal is open" in printed
    assert "sam.seller has an open modal: Add a task" in printed


def test_confirmed_click_is_sent_once(session_and_output):
    bot, session, output = session_and_output
    blocks = [
        {
            "type": "actions",
            "block_id": "danger",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.TASK_COMPLETE,
                    "value": "999",
                    "text": _plain("Complete"),
                    "confirm": {
                        "title": _plain("Sure?"),
                        "text": _plain("This cannot be undone."),
                        "confirm": _plain("Yes"),
                        "deny": _plain("No"),
                    },
                }
            ],
        }
    ]
    bot.standin.post_as_bot(DEAL_CHANNEL, "A test message", blocks)
    session.run_line("show")
    answers_before = len(bot.standin.calls_to("response_url"))

    session.ask = lambda prompt: "n"
    session.run_line("click 1")
    assert "Not sent, because you did not confirm." in output.getvalue()
    assert len(bot.standin.calls_to("response_url")) == answers_before

    session.ask = lambda prompt: "y"
    session.run_line("click 1")
    assert "Sure?: This cannot be undone." in output.getvalue()
    # Task 999 is in no plan, so the bot replies with an ephemeral message.
    assert "mapbot (only visible to you):" in output.getvalue()
    assert len(bot.standin.calls_to("response_url")) == answers_before + 1


def test_session_clicks_by_number(session_and_output):
    _bot, session, output = session_and_output
    for line in ("/map init Acme", "/map add milestone Discovery", "/map add task 1: Kickoff"):
        session.run_line(line)
    session.run_line("/map status")
    match = re.search(r"\[(\d+)\] Complete #1", output.getvalue())
    assert match is not None

    session.run_line(f"click {match.group(1)}")
    session.run_line("show")
    session.run_line("click Complete")

    after_click = output.getvalue()[match.end() :]
    assert "mapbot (edited):" in after_click
    assert "1/1 tasks, 100%" in after_click
    assert "No button or option called 'Complete' is shown." in after_click


def test_bot_field_errors_shown_once(session_and_output):
    _bot, session, output = session_and_output
    lines = ("/map init Acme", "/map add milestone Discovery", "/map add task 1: Kickoff")
    for line in (*lines, "/map status", "click Edit #1"):
        session.run_line(line)
    form = session.modals.open_form()
    assert form is not None
    [name_field] = [field for field in form.fields if "name" in field.label.lower()]
    [due_field] = [field for field in form.fields if field.element_type == "datepicker"]

    # The owner is a person, so a typed name as well is a field error. A past due
    # date makes the bot update the view and return errors for the same submission.
    session.run_line(f"set {name_field.number} Dana Whitfield")
    session.run_line(f"set {due_field.number} 2026-11-30")
    session.run_line("submit")

    printed = output.getvalue()
    assert printed.count("mapbot did not accept the modal") == 1
    assert "mapbot updated the modal" not in printed
    assert "\n      ✗ " in printed
    assert session.modals.open_form() is not None

    session.run_line(f"set {name_field.number}")
    session.run_line("submit")

    assert "The modal closed." in output.getvalue()
    assert session.modals.open_form() is None
