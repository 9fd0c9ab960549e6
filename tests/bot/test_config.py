import pytest

from bot.config import DEFAULT_DATABASE_URL, DEFAULT_PORT, Config, ConfigError

HTTP = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "secret"}


def test_http_mode_defaults():
    config = Config.from_env(HTTP)
    assert config.bot_token == "xoxb-1-2-abc"
    assert config.signing_secret == "secret"
    assert config.database_url == DEFAULT_DATABASE_URL
    assert config.port == DEFAULT_PORT
    assert config.slack_api_url is None
    assert not config.socket_mode


def test_socket_mode_needs_no_signing_secret():
    config = Config.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert config.socket_mode
    assert config.signing_secret is None


def test_api_url_gets_trailing_slash():
    config = Config.from_env({**HTTP, "SLACK_API_URL": "http://127.0.0.1:9000/api"})
    assert config.slack_api_url == "http://127.0.0.1:9000/api/"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "   "}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s"}, "`xoxb-`"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({**HTTP, "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN must start with `xapp-`"),
        ({**HTTP, "PORT": "eighty"}, "PORT `eighty`"),
        ({**HTTP, "PORT": "70000"}, "PORT `70000`"),
        ({**HTTP, "SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL `slack.com/api`"),
    ],
)
def test_bad_setting_names_variable(env, named):
    with pytest.raises(ConfigError) as raised:
        Config.from_env(env)
    message = str(raised.value)
    assert named in message
    assert "\n" not in message


def test_missing_token_says_where_to_get_it():
    with pytest.raises(ConfigError) as raised:
        Config.from_env({})
    assert "OAuth & Permissions" in str(raised.value)


def test_cli_prints_one_line_and_exits_2(monkeypatch, capsys):
    from bot.cli import main

    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("mapbot: SLACK_BOT_TOKEN is not set")
    assert len(error.splitlines()) == 1
