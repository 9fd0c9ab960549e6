import pytest

from bot.grammar import (
    HELP_TEXT,
    AddMilestone,
    AddTask,
    Help,
    Init,
    InvalidTaskReading,
    OpenMilestoneForm,
    OpenTaskForm,
    SetTaskStatus,
    Settings,
    Side,
    Status,
    TaskReading,
    TaskStatus,
    check_title,
    command_words,
    parse_command,
)
from storage.errors import InvalidInputError

TASK_EXAMPLE = "/map add task Security review: Share SOC 2 report @ada seller due 2027-01-10"


def error_message(text: str) -> str:
    with pytest.raises(InvalidInputError) as error:
        parse_command(text)
    return error.value.message


def reading(
    milestone_ref: str = "Security review",
    title: str = "Share SOC 2 report",
    owner_user_id: str | None = None,
    owner_name: str | None = None,
    side: Side | None = None,
    due_text: str | None = None,
) -> TaskReading:
    return TaskReading(
        milestone_ref=milestone_ref,
        title=title,
        owner_user_id=owner_user_id,
        owner_name=owner_name,
        side=side,
        due_text=due_text,
    )


def task(
    milestone_ref: str = "Security review",
    title: str = "Share SOC 2 report",
    owner_user_id: str | None = None,
    owner_name: str | None = None,
    side: Side | None = None,
    due_text: str | None = None,
) -> AddTask:
    """Return the command for text with one `:`, so with one reading."""
    only = reading(milestone_ref, title, owner_user_id, owner_name, side, due_text)
    return AddTask(readings=(only,))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("   ", Help()),
        ("help", Help()),
        ("HELP", Help()),
        ("Help me", Help()),
        ("status", Status()),
        ("Status", Status()),
        ("  STATUS  ", Status()),
        ("init Acme Corp renewal", Init(deal_name="Acme Corp renewal")),
        ("INIT Acme Corp renewal", Init(deal_name="Acme Corp renewal")),
        ("init   Acme   Corp  ", Init(deal_name="Acme Corp")),
        ("init Acme &amp; Sons &lt;EU&gt;", Init(deal_name="Acme & Sons <EU>")),
        ("init Acme\nCorp", Init(deal_name="Acme Corp")),
    ],
)
def test_simple_commands(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add milestone Legal review", AddMilestone("Legal review", None)),
        ("ADD MILESTONE Legal review", AddMilestone("Legal review", None)),
        ("Add Milestone Legal review", AddMilestone("Legal review", None)),
        ("add milestone Legal review due friday", AddMilestone("Legal review", "friday")),
        ("add milestone Legal review DUE Friday", AddMilestone("Legal review", "Friday")),
        (
            "add milestone Legal review due next friday",
            AddMilestone("Legal review", "next friday"),
        ),
        (
            "add milestone Legal review due 2027-01-10",
            AddMilestone("Legal review", "2027-01-10"),
        ),
        ("add milestone Due diligence", AddMilestone("Due diligence", None)),
        ("add milestone due diligence due jan 15", AddMilestone("due diligence", "jan 15")),
        (
            "add milestone Review due diligence pack due friday",
            AddMilestone("Review due diligence pack", "friday"),
        ),
        ("add milestone Security  review", AddMilestone("Security review", None)),
        ("add milestone R&amp;D sign-off", AddMilestone("R&D sign-off", None)),
        ('add milestone "Due diligence due"', AddMilestone("Due diligence due", None)),
        (
            'add milestone "Review due dates" due friday',
            AddMilestone("Review due dates", "friday"),
        ),
        ("add milestone “Go-live due” due jan 15", AddMilestone("Go-live due", "jan 15")),
    ],
)
def test_add_milestone(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "add task Security review: Share SOC 2 report @U0SELLER seller due 2027-01-10",
            task(owner_user_id="U0SELLER", side=Side.SELLER, due_text="2027-01-10"),
        ),
        ("add task Security review: Share SOC 2 report", task()),
        ("ADD TASK Security review: Share SOC 2 report", task()),
        ("add task Security review:Share SOC 2 report", task()),
        ("add task Security review : Share SOC 2 report", task()),
        ("add task 2: Share SOC 2 report", task(milestone_ref="2")),
        ("add task #2: Share SOC 2 report", task(milestone_ref="#2")),
        # Mentions: escaped with a name, escaped without, raw id, enterprise W ids.
        (
            "add task Security review: Share SOC 2 report <@U0SELLER|ada>",
            task(owner_user_id="U0SELLER"),
        ),
        (
            "add task Security review: Share SOC 2 report <@U0SELLER>",
            task(owner_user_id="U0SELLER"),
        ),
        (
            "add task Security review: Share SOC 2 report <@U0SELLER|ada lovelace>",
            task(owner_user_id="U0SELLER"),
        ),
        (
            "add task Security review: Share SOC 2 report @U0SELLER",
            task(owner_user_id="U0SELLER"),
        ),
        (
            "add task Security review: Share SOC 2 report <@W0ENTERPRISE|ada>",
            task(owner_user_id="W0ENTERPRISE"),
        ),
        # Free-text owner names.
        (
            "add task Security review: Share SOC 2 report owner Ada Lovelace",
            task(owner_name="Ada Lovelace"),
        ),
        (
            "add task Security review: Share SOC 2 report OWNER Ada Lovelace buyer",
            task(owner_name="Ada Lovelace", side=Side.BUYER),
        ),
        (
            "add task Security review: Share SOC 2 report owner Ada  Lovelace due friday",
            task(owner_name="Ada Lovelace", due_text="friday"),
        ),
        (
            "add task Security review: Share SOC 2 report owner Zoë O&amp;Brien seller",
            task(owner_name="Zoë O&Brien", side=Side.SELLER),
        ),
        # Sides, case-insensitive.
        ("add task Security review: Share SOC 2 report buyer", task(side=Side.BUYER)),
        ("add task Security review: Share SOC 2 report SELLER", task(side=Side.SELLER)),
        ("add task Security review: Share SOC 2 report Buyer", task(side=Side.BUYER)),
        # Due dates run to the end or to the next option.
        (
            "add task Security review: Share SOC 2 report due next friday",
            task(due_text="next friday"),
        ),
        (
            "add task Security review: Share SOC 2 report due jan 15 seller",
            task(due_text="jan 15", side=Side.SELLER),
        ),
        (
            "add task Security review: Share SOC 2 report due in 2 weeks <@U0SELLER|ada>",
            task(due_text="in 2 weeks", owner_user_id="U0SELLER"),
        ),
    ],
)
def test_add_task(text, expected):
    assert parse_command(text) == expected


EVERY_OPTION = task(owner_user_id="U0SELLER", side=Side.SELLER, due_text="next friday")


@pytest.mark.parametrize(
    "options",
    [
        "<@U0SELLER|ada> seller due next friday",
        "<@U0SELLER|ada> due next friday seller",
        "seller <@U0SELLER|ada> due next friday",
        "seller due next friday <@U0SELLER|ada>",
        "due next friday seller <@U0SELLER|ada>",
        "due next friday <@U0SELLER|ada> seller",
        "@U0SELLER Seller Due next friday",
    ],
)
def test_task_options_in_any_order(options):
    text = f"add task Security review: Share SOC 2 report {options}"
    assert parse_command(text) == EVERY_OPTION


@pytest.mark.parametrize(
    "options",
    [
        "owner Ada Lovelace buyer due jan 15",
        "owner Ada Lovelace due jan 15 buyer",
        "buyer owner Ada Lovelace due jan 15",
        "buyer due jan 15 owner Ada Lovelace",
        "due jan 15 owner Ada Lovelace buyer",
        "due jan 15 buyer owner Ada Lovelace",
    ],
)
def test_owner_name_options_in_any_order(options):
    text = f"add task Security review: Share SOC 2 report {options}"
    expected = task(owner_name="Ada Lovelace", side=Side.BUYER, due_text="jan 15")
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The last `due` wins, and the first word always belongs to the title.
        (
            "add task Legal: Review due diligence pack due friday",
            task(milestone_ref="Legal", title="Review due diligence pack", due_text="friday"),
        ),
        (
            "add task Legal: Due diligence call",
            task(milestone_ref="Legal", title="Due diligence call"),
        ),
        (
            "add task Legal: Due diligence due friday",
            task(milestone_ref="Legal", title="Due diligence", due_text="friday"),
        ),
        # A side word inside the title stays there once a side was read.
        (
            "add task Legal: Send redlines to buyer seller due friday",
            task(
                milestone_ref="Legal",
                title="Send redlines to buyer",
                side=Side.SELLER,
                due_text="friday",
            ),
        ),
        (
            "add task Legal: Call seller team",
            task(milestone_ref="Legal", title="Call seller team"),
        ),
        (
            "add task Legal: Buyer kickoff",
            task(milestone_ref="Legal", title="Buyer kickoff"),
        ),
        # Mentions that are not at the end belong to the title, as the text people saw.
        (
            "add task Legal: Intro <@U0SELLER|ada> to counsel buyer",
            task(milestone_ref="Legal", title="Intro @ada to counsel", side=Side.BUYER),
        ),
        (
            "add task Legal: Intro <@U0BUYER|bo> to <@U0SELLER|ada>",
            task(milestone_ref="Legal", title="Intro @bo to", owner_user_id="U0SELLER"),
        ),
        # Links and channel mentions come back as the text people typed.
        (
            "add task Legal: Sign DPA at <https://example.com/dpa|example.com/dpa> seller",
            task(milestone_ref="Legal", title="Sign DPA at example.com/dpa", side=Side.SELLER),
        ),
        (
            "add task Legal: Read <https://example.com/a?b=1&amp;c=2>",
            task(milestone_ref="Legal", title="Read https://example.com/a?b=1&c=2"),
        ),
        (
            "add task Legal: Post in <#C0DEAL|deal-acme>",
            task(milestone_ref="Legal", title="Post in #deal-acme"),
        ),
        (
            "add task Legal: Tell <!here> about it",
            task(milestone_ref="Legal", title="Tell @here about it"),
        ),
        # The colon inside a link is not the separator.
        (
            "add task <https://example.com|Docs>: Read them",
            task(milestone_ref="Docs", title="Read them"),
        ),
        (
            "add task Legal: a &lt; b &amp;&amp; c &gt; d",
            task(milestone_ref="Legal", title="a < b && c > d"),
        ),
        # A lone @ is text.
        (
            "add task Legal: Meet @ noon",
            task(milestone_ref="Legal", title="Meet @ noon"),
        ),
    ],
)
def test_add_task_title_edge_cases(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'add task Legal: "Send redlines to buyer" seller',
            task(milestone_ref="Legal", title="Send redlines to buyer", side=Side.SELLER),
        ),
        (
            'add task Legal: "Update owner list"',
            task(milestone_ref="Legal", title="Update owner list"),
        ),
        (
            'add task Legal: "Review due dates" due friday <@U0SELLER|ada>',
            task(
                milestone_ref="Legal",
                title="Review due dates",
                due_text="friday",
                owner_user_id="U0SELLER",
            ),
        ),
        (
            'add task Legal: "Due" owner Ada',
            task(milestone_ref="Legal", title="Due", owner_name="Ada"),
        ),
        (
            'add task "Phase 1: Discovery": Kickoff call',
            task(milestone_ref="Phase 1: Discovery", title="Kickoff call"),
        ),
        (
            'add task "Phase 1: Discovery" : "Call buyer" seller',
            task(milestone_ref="Phase 1: Discovery", title="Call buyer", side=Side.SELLER),
        ),
        (
            "add task Legal: “Call buyer” seller",
            task(milestone_ref="Legal", title="Call buyer", side=Side.SELLER),
        ),
    ],
)
def test_add_task_quoted_titles(text, expected):
    assert parse_command(text) == expected


def test_add_task_reads_each_colon():
    command = parse_command("add task Phase 1: Discovery: Kickoff call")
    assert command == AddTask(
        readings=(
            reading(milestone_ref="Phase 1", title="Discovery: Kickoff call"),
            reading(milestone_ref="Phase 1: Discovery", title="Kickoff call"),
        )
    )


def test_add_task_readings_share_options():
    command = parse_command("add task Legal: Agree terms: price <@U0SELLER|ada> due friday")
    assert command == AddTask(
        readings=(
            reading("Legal", "Agree terms: price", owner_user_id="U0SELLER", due_text="friday"),
            reading("Legal: Agree terms", "price", owner_user_id="U0SELLER", due_text="friday"),
        )
    )


def test_add_task_quoted_milestone_has_one_reading():
    command = parse_command('add task "Phase 1": Discovery: Kickoff call')
    assert command == task(milestone_ref="Phase 1", title="Discovery: Kickoff call")


def test_add_task_keeps_invalid_later_reading():
    command = parse_command("add task Phase 1: Discovery:")
    assert isinstance(command, AddTask)
    first, second = command.readings
    assert first == reading(milestone_ref="Phase 1", title="Discovery:")
    assert isinstance(second, InvalidTaskReading)
    assert second.milestone_ref == "Phase 1: Discovery"
    assert second.message.startswith("The task title is missing after the `:`.")


def test_add_task_keeps_invalid_first_reading():
    command = parse_command('add task Phase 1: "Discovery: Kickoff call')
    assert isinstance(command, AddTask)
    first, second = command.readings
    assert isinstance(first, InvalidTaskReading)
    assert first.message.startswith("The double quote at the start of")
    assert second == reading(milestone_ref='Phase 1: "Discovery', title="Kickoff call")


def test_add_task_stops_reading_past_longest_title():
    milestone = "m" * 199
    command = parse_command(f"add task {milestone}: a: b")
    assert command == task(milestone_ref=milestone, title="a: b")


def test_add_task_link_colon_not_split():
    command = parse_command("add task Legal: Read <https://example.com|docs>: part 2")
    assert isinstance(command, AddTask)
    refs = [r.milestone_ref for r in command.readings]
    assert refs == ["Legal", "Legal: Read docs"]


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        (
            "add task Security review: two owners <@U0BUYER|bea.buyer> <@U0SELLER|sam.seller>",
            "`@bea.buyer`",
            "`@sam.seller`",
        ),
        (
            "add task Security review: two owners owner Dana <@U0SELLER|sam.seller>",
            "`owner Dana`",
            "`@sam.seller`",
        ),
        (
            "add task Security review: Review <@U0SELLER|sam.seller> owner Dana buyer",
            "`@sam.seller`",
            "`owner Dana`",
        ),
        ("add task Legal: Sign owner Dana owner Eve due friday", "`owner Dana`", "`owner Eve`"),
        ("add task Legal: Intro <@U0BUYER|bo> <@U0SELLER|ada>", "`@bo`", "`@ada`"),
        ('add task Legal: "Sign" <@U0BUYER|bo> seller @U0SELLER', "`@bo`", "`@U0SELLER`"),
        ("add task Phase 1: Kickoff: Call <@U0BUYER|bo> <@U0SELLER|ada>", "`@bo`", "`@ada`"),
    ],
)
def test_add_task_rejects_second_owner(text, first, second):
    message = error_message(text)
    assert message.startswith(
        f"{first} and {second} both name an owner, but a task has one owner. Keep one, "
        f"like `{TASK_EXAMPLE}`."
    )
    assert '`/map add task Legal review: "Update owner list" @ada`' in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A bare `owner` before the owner has no name, so it stays in the title.
        (
            "add task Legal: Update owner <@U0SELLER|ada>",
            task(milestone_ref="Legal", title="Update owner", owner_user_id="U0SELLER"),
        ),
        # A quoted title keeps the words that would otherwise be a second owner.
        (
            'add task Legal: "Update owner list" <@U0SELLER|ada>',
            task(milestone_ref="Legal", title="Update owner list", owner_user_id="U0SELLER"),
        ),
        (
            'add task Legal: "Intro @bo" <@U0SELLER|ada>',
            task(milestone_ref="Legal", title="Intro @bo", owner_user_id="U0SELLER"),
        ),
    ],
)
def test_add_task_owner_words_in_title(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("done #7", SetTaskStatus(7, TaskStatus.COMPLETED)),
        ("done 7", SetTaskStatus(7, TaskStatus.COMPLETED)),
        ("DONE #7", SetTaskStatus(7, TaskStatus.COMPLETED)),
        ("start #7", SetTaskStatus(7, TaskStatus.IN_PROGRESS)),
        ("Start 12", SetTaskStatus(12, TaskStatus.IN_PROGRESS)),
        ("reset #7", SetTaskStatus(7, TaskStatus.NOT_STARTED)),
        ("reset #007", SetTaskStatus(7, TaskStatus.NOT_STARTED)),
        ("done #2147483647", SetTaskStatus(2147483647, TaskStatus.COMPLETED)),
        ("complete #7", SetTaskStatus(7, TaskStatus.COMPLETED)),
        ("Finish #1", SetTaskStatus(1, TaskStatus.COMPLETED)),
        ("finish 12", SetTaskStatus(12, TaskStatus.COMPLETED)),
    ],
)
def test_set_task_status(text, expected):
    assert parse_command(text) == expected


def test_set_task_status_values_are_strings():
    assert parse_command("done #1").status == "completed"
    assert parse_command("start #1").status == "in_progress"
    assert parse_command("reset #1").status == "not_started"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("done #0", "`#0`"),
        ("done 0", "`0`"),
        ("start #abc", "`#abc`"),
        ("reset -1", "`-1`"),
        ("done ##7", "`##7`"),
        ("done #7.5", "`#7.5`"),
        ("done #2147483648", "`#2147483648`"),
        ("done #٣", "`#٣`"),
    ],
)
def test_set_task_status_rejects_bad_numbers(text, shown):
    message = error_message(text)
    verb = text.split()[0]
    assert message.startswith(f"{shown} is not a task number.")
    assert f"`/map {verb} #7`" in message


@pytest.mark.parametrize("verb", ["done", "complete", "finish", "start", "reset"])
def test_set_task_status_rejects_missing_number(verb):
    message = error_message(verb)
    assert message == f"The task number is missing. Type it like `/map {verb} #7`."


def test_set_task_status_rejects_extra_text():
    message = error_message("done #7 #8")
    assert message.startswith("`/map done` takes one task number, so `#7 #8` was not understood.")


@pytest.mark.parametrize(
    ("word", "suggestion"),
    [
        ("stauts", "/map status"),
        ("STATSU", "/map status"),
        ("hlep", "/map help"),
        ("inti", "/map init"),
        ("dnoe", "/map done"),
        ("strat", "/map start"),
        ("rest", "/map reset"),
        ("ad", "/map add"),
        ("finsh", "/map finish"),
        ("complet", "/map complete"),
    ],
)
def test_unknown_command_suggests_close_one(word, suggestion):
    message = error_message(f"{word} something")
    assert message.startswith(f"`{word}` is not a `/map` command.")
    assert f"Did you mean `{suggestion}`?" in message
    assert message.endswith("Type `/map help` for the list.")


@pytest.mark.parametrize("word", ["xyzzy", "list", "42", "`oops`"])
def test_unknown_command_without_close_match(word):
    message = error_message(word)
    shown = word.replace("`", "'")
    assert message == f"`{shown}` is not a `/map` command. Type `/map help` for the list."


def test_add_without_kind():
    message = error_message("add")
    assert message.startswith("`/map add` needs `milestone` or `task` after it")
    assert "`/map add milestone Legal review due friday`" in message
    assert f"`{TASK_EXAMPLE}`" in message


@pytest.mark.parametrize(
    ("text", "word", "suggestion"),
    [
        ("add milstone Legal", "milstone", "Did you mean `/map add milestone`?"),
        ("add tsak Legal: x", "tsak", "Did you mean `/map add task`?"),
        ("add Tasks Legal: x", "Tasks", "Did you mean `/map add task`?"),
    ],
)
def test_add_unknown_kind_suggests_close_one(text, word, suggestion):
    message = error_message(text)
    assert message.startswith(f"`{word}` is not a `/map add` command.")
    assert suggestion in message
    assert message.endswith("Type `/map help` for the list.")


def test_add_unknown_kind_without_close_match():
    message = error_message("add deal Acme")
    assert message == "`deal` is not a `/map add` command. Type `/map help` for the list."


def test_status_rejects_extra_text():
    message = error_message("status #3")
    assert message.startswith("`/map status` takes no arguments, so `#3` was not understood.")


@pytest.mark.parametrize("text", ["init", "init   ", "INIT"])
def test_init_rejects_missing_name(text):
    message = error_message(text)
    assert message.startswith("The deal name is missing.")
    assert "`/map init Acme Corp renewal`" in message


def test_init_rejects_long_name():
    message = error_message("init " + "x" * 201)
    assert "201 characters" in message
    assert "200" in message


@pytest.mark.parametrize("text", ['add milestone ""', 'add milestone "  "'])
def test_add_milestone_rejects_missing_title(text):
    message = error_message(text)
    assert message.startswith("The milestone title is missing.")
    assert "`/map add milestone Legal review due friday`" in message


@pytest.mark.parametrize("text", ["add milestone Legal review due", "add milestone x DUE  "])
def test_add_milestone_rejects_missing_date(text):
    message = error_message(text)
    assert message.startswith("The date after `due` is missing.")
    assert '`"Review due dates"`' in message


def test_add_milestone_rejects_text_after_quoted_title():
    message = error_message('add milestone "Legal review" seller')
    assert message.startswith("`seller` after the quoted title was not understood.")


def test_add_milestone_rejects_unclosed_quote():
    message = error_message('add milestone "Legal review due friday')
    assert message.startswith(
        'The double quote at the start of `"Legal review due friday` is not closed.'
    )


def test_add_milestone_rejects_long_title():
    message = error_message("add milestone " + "x" * 250 + " due friday")
    assert message.startswith("The milestone title is 250 characters long")
    assert "200" in message


@pytest.mark.parametrize(("title", "position"), [("2", "2"), ("#2", "2"), ("007", "7")])
def test_add_milestone_rejects_number_title(title, position):
    message = error_message(f"add milestone {title} due friday")
    assert message.startswith(f"“{title}” can't be a milestone title, because a number names")
    assert f"“Phase {position}”" in message


def test_add_milestone_accepts_number_in_title():
    assert parse_command("add milestone Phase 2") == AddMilestone("Phase 2", None)
    assert parse_command("add milestone 2027 rollout") == AddMilestone("2027 rollout", None)


def test_add_milestone_accepts_title_of_200_characters():
    title = "x" * 200
    assert parse_command(f"add milestone {title}") == AddMilestone(title, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add task", OpenTaskForm()),
        ("ADD Task   ", OpenTaskForm()),
        ("add milestone", OpenMilestoneForm()),
        ("add  milestone ", OpenMilestoneForm()),
    ],
)
def test_add_alone_opens_form(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("add task Security review Share report", "`Security review Share report`"),
        ("add task 2 Share report", "`2 Share report`"),
        ('add task "Security review" Share report', '`"Security review" Share report`'),
        ("add task Read <https://example.com>", "`Read https://example.com`"),
    ],
)
def test_add_task_rejects_missing_colon(text, shown):
    message = error_message(text)
    assert message.startswith(f"{shown} has no `:` between the milestone and the task title.")
    assert f"`{TASK_EXAMPLE}`" in message


@pytest.mark.parametrize("text", ["add task : Share report", "add task   :x", 'add task "": x'])
def test_add_task_rejects_missing_milestone(text):
    message = error_message(text)
    assert message.startswith("The milestone is missing before the `:`.")
    assert f"`{TASK_EXAMPLE}`" in message


@pytest.mark.parametrize(
    "text",
    ["add task Legal:", "add task Legal:   ", 'add task Legal: ""', 'add task Legal: "" seller'],
)
def test_add_task_rejects_missing_title(text):
    message = error_message(text)
    assert message.startswith("The task title is missing after the `:`.")
    assert f"`{TASK_EXAMPLE}`" in message


def test_add_task_rejects_long_title():
    message = error_message("add task Legal: " + "y" * 201 + " seller")
    assert message.startswith("The task title is 201 characters long")


def test_add_task_rejects_long_owner_name():
    message = error_message("add task Legal: Sign owner " + "z" * 201)
    assert message.startswith("The owner name is 201 characters long")


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("add task Legal: Sign due", "The date after `due` is missing."),
        ("add task Legal: Sign due seller", "The date after `due` is missing."),
        ("add task Legal: Sign owner", "The name after `owner` is missing."),
        ("add task Legal: Sign owner buyer", "The name after `owner` is missing."),
        ('add task Legal: "Sign" due', "The date after `due` is missing."),
    ],
)
def test_add_task_rejects_empty_option(text, start):
    message = error_message(text)
    assert message.startswith(start)
    assert "double quotes" in message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("add task Legal: Sign @ada", "`@ada`"),
        ("add task Legal: Sign @u0seller seller", "`@u0seller`"),
        ("add task Legal: Sign @Ada due friday", "`@Ada`"),
    ],
)
def test_add_task_rejects_unreadable_mention(text, shown):
    message = error_message(text)
    assert message.startswith(f"{shown} is not a Slack user mention.")
    assert "`owner Ada Lovelace`" in message


def test_add_task_rejects_text_after_quoted_title():
    message = error_message('add task Legal: "Sign" today please seller')
    assert message.startswith("`today please seller` after the quoted title was not understood.")
    assert "`owner &lt;name&gt;`" in message


def test_add_task_rejects_unclosed_quote():
    message = error_message('add task Legal: "Sign the DPA seller')
    assert message.startswith('The double quote at the start of `"Sign the DPA seller` is not')


def test_error_shows_escaped_text_as_typed():
    message = error_message("add task R&amp;D &lt;EU&gt; review")
    assert message.startswith("`R&amp;D &lt;EU&gt; review` has no `:`")


def test_error_cuts_long_values():
    message = error_message("x" * 500)
    assert message.startswith("`" + "x" * 59 + "…` is not a `/map` command.")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Legal review", "Legal review"),
        ("  Legal   review ", "Legal review"),
        ("x" * 200, "x" * 200),
    ],
)
def test_check_title_accepts(title, expected):
    assert check_title(title) == expected


@pytest.mark.parametrize("title", ["", "   ", "\n"])
def test_check_title_rejects_empty(title):
    with pytest.raises(InvalidInputError) as error:
        check_title(title, "task title")
    assert error.value.message.startswith("The task title is empty.")


def test_check_title_rejects_long_title():
    with pytest.raises(InvalidInputError) as error:
        check_title("x" * 201)
    assert error.value.message.startswith("The title is 201 characters long")
    assert "limit is 200" in error.value.message


def test_parse_settings_keeps_rest():
    assert parse_command("settings nudges schedule 1,3,7") == Settings("nudges schedule 1,3,7")
    assert parse_command("SETTINGS") == Settings("")


def test_parse_settings_decodes_slack_escaping():
    command = parse_command("settings timezone Europe/&lt;Berlin&gt; &amp; co")
    assert command == Settings("timezone Europe/<Berlin> & co")


def test_command_words():
    assert command_words() == (
        "help",
        "init",
        "status",
        "add",
        "done",
        "complete",
        "finish",
        "start",
        "reset",
        "settings",
    )


@pytest.mark.parametrize(
    "example",
    [
        "`/map init Acme Corp renewal`",
        "`/map status`",
        "`/map add milestone Legal review due friday`",
        f"`{TASK_EXAMPLE}`",
        "`/map start #7`",
        "`/map done #7`",
        "`/map reset #7`",
        "`/map help`",
        '`/map add task Legal review: "Send redlines to buyer" seller`',
        "`/map settings timezone Europe/Berlin`",
        '`/map add task "Phase 1: Discovery": Kickoff call`',
        "`/map complete` and `/map finish` do the same",
    ],
)
def test_help_text_shows_example(example):
    assert example in HELP_TEXT


def test_help_text_covers_every_command_word():
    for word in command_words():
        assert f"`/map {word}" in HELP_TEXT, word


def test_help_text_escapes_angle_brackets():
    assert "<" not in HELP_TEXT
    assert ">" not in HELP_TEXT


@pytest.mark.parametrize(
    "example",
    [
        "/map init Acme Corp renewal",
        "/map add milestone Legal review due friday",
        TASK_EXAMPLE.replace("@ada", "<@U0SELLER|ada>"),
        "/map start #7",
        "/map done #7",
        "/map reset #7",
        '/map add task Legal review: "Send redlines to buyer" seller',
        '/map add task "Phase 1: Discovery": Kickoff call',
        '/map add task Legal review: "Update owner list" <@U0SELLER|ada>',
    ],
)
def test_help_examples_parse(example):
    command = parse_command(example.removeprefix("/map "))
    assert not isinstance(command, Help)


def test_commands_are_frozen():
    command = parse_command("init Acme")
    with pytest.raises(AttributeError):
        command.deal_name = "Other"
