"""docs/try-modals.txt runs in `mapbot try` as written, with the output its comments describe."""

from pathlib import Path

import pytest

from bot.playground.terminal import run_playground
from tests.conftest import FakeClock

SCRIPT = Path(__file__).parents[2] / "docs" / "try-modals.txt"

# What the terminal prints when a typed line did not do what the script meant.
STEP_FAILED = [
    "No modal is open",
    "is not one of the options",
    "No button or option",
    "Fill in the required fields first",
    "matches [",
    "Sorry, something went wrong",
]


@pytest.fixture(scope="module")
def transcript(tmp_path_factory: pytest.TempPathFactory) -> str:
    output = tmp_path_factory.mktemp("try") / "transcript.txt"
    database = str(output.with_name("mapbot.db"))
    with output.open("w", encoding="utf-8") as out:
        code = run_playground(str(SCRIPT), database, clock=FakeClock(), output=out)
    assert code == 0
    return output.read_text(encoding="utf-8")


@pytest.mark.parametrize("failure", STEP_FAILED)
def test_every_step_works(transcript, failure):
    assert failure not in transcript


@pytest.mark.parametrize(
    "expected",
    [
        "Added milestone 1. *Security review*, due Tue Jan 15, 2030.",
        "✗ A task has one owner.",
        "✗ 2026-11-30 is in the past: today is 2026-12-04 in this deal room.",
        "Added task *#2 Fill in the security questionnaire* to *Security review*",
        "✗ Someone changed #1 while you were editing",
        "Deleted task *#2 Fill in the security questionnaire*.",
        "Completed (set by hand)",
        "Deleted milestone *2. Security review* and its 1 task.",
        "Type submit (Delete) or cancel (Cancel).",
    ],
)
def test_transcript_shows(transcript, expected):
    # The terminal wraps long lines, so spacing is compared word by word.
    assert " ".join(expected.split()) in " ".join(transcript.split())
