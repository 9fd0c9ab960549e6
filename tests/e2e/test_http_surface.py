"""HTTP responses sent before any listener runs: signature checks and health."""

from __future__ import annotations

import time
import urllib.request

from sqlalchemy import func, select

from bot.playground.slack_requests import slash_command_body
from storage.models import DealRoom
from tests.e2e.conftest import SELLER


def init_body(bot) -> bytes:
    return slash_command_body(
        team_id="T0HOME",
        channel_id="C0DEAL",
        user_id=SELLER,
        text="init Acme renewal",
        response_url=bot.standin.new_response_url("C0DEAL", SELLER),
        trigger_id=bot.standin.new_trigger_id(SELLER),
    )


def room_count(bot) -> int:
    with bot.runtime.services.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(DealRoom))


def test_valid_signature_is_accepted(local_bot):
    response = local_bot.sender().post(init_body(local_bot))
    assert response.status == 200
    assert room_count(local_bot) == 1


def test_forged_signature_gets_401(local_bot):
    response = local_bot.sender().post(init_body(local_bot), signature="v0=" + "0" * 64)
    assert response.status == 401
    assert room_count(local_bot) == 0
    assert local_bot.standin.calls_to("chat.postMessage") == []


def test_wrong_secret_gets_401(local_bot):
    from bot.playground.slack_requests import SignedSender

    sender = SignedSender(local_bot.events_url, "not-the-secret")
    assert sender.post(init_body(local_bot)).status == 401
    assert room_count(local_bot) == 0


def test_stale_timestamp_gets_401(local_bot):
    six_minutes_ago = int(time.time()) - 6 * 60
    response = local_bot.sender().post(init_body(local_bot), timestamp=six_minutes_ago)
    assert response.status == 401
    assert room_count(local_bot) == 0


def test_four_minutes_old_is_accepted(local_bot):
    four_minutes_ago = int(time.time()) - 4 * 60
    response = local_bot.sender().post(init_body(local_bot), timestamp=four_minutes_ago)
    assert response.status == 200
    assert room_count(local_bot) == 1


def test_healthz_checks_database(local_bot):
    with urllib.request.urlopen(f"{local_bot.url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert response.read() == b"ok\n"


def test_unknown_path_is_404(local_bot):
    request = urllib.request.Request(f"{local_bot.url}/nope", method="GET")
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 404
    else:
        raise AssertionError("expected a 404")
