import pytest

from storage.errors import InvalidInputError
from storage.models import Status
from storage.rules import clean_title, derived_milestone_status

NS, IP, DONE = Status.NOT_STARTED, Status.IN_PROGRESS, Status.COMPLETED


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], NS),
        ([NS], NS),
        ([NS, NS], NS),
        ([NS, IP], IP),
        ([NS, DONE], IP),
        ([IP, DONE], IP),
        ([DONE], DONE),
        ([DONE, DONE, DONE], DONE),
    ],
)
def test_derived_status(statuses, expected):
    assert derived_milestone_status(statuses) is expected


def test_clean_title_collapses_spaces():
    assert clean_title("  Share   SOC 2\treport ") == "Share SOC 2 report"


def test_clean_title_rejects_empty():
    with pytest.raises(InvalidInputError) as raised:
        clean_title("   ", "task title")
    assert "task title is empty" in raised.value.message


def test_clean_title_rejects_201_characters():
    with pytest.raises(InvalidInputError) as raised:
        clean_title("x" * 201)
    assert "201 characters" in raised.value.message
    assert "200" in raised.value.message


def test_clean_title_accepts_200_characters():
    assert clean_title("x" * 200) == "x" * 200
