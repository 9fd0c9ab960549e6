"""Settings loaded once from the environment at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

DEFAULT_DATABASE_URL = "sqlite:///mapbot.db"
DEFAULT_PORT = 3000
APP_SETTINGS_HINT = "your app's settings at https://api.slack.com/apps"


class ConfigError(Exception):
    """A missing or malformed setting; the message is one line for the operator."""


@dataclass(frozen=True)
class Config:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    database_url: str
    slack_api_url: str | None
    port: int

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Read and check every setting; raise ConfigError naming the first bad one."""
        values = os.environ if env is None else env
        app_token = _optional(values, "SLACK_APP_TOKEN")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN must start with `xapp-`: create an app-level token with "
                f"the connections:write scope under Basic Information in {APP_SETTINGS_HINT}."
            )
        bot_token = _required(
            values,
            "SLACK_BOT_TOKEN",
            f"copy the Bot User OAuth Token from OAuth & Permissions in {APP_SETTINGS_HINT}",
        )
        if not bot_token.startswith("xoxb-"):
            raise ConfigError(
                "SLACK_BOT_TOKEN must start with `xoxb-`: use the Bot User OAuth Token from "
                f"OAuth & Permissions in {APP_SETTINGS_HINT}, not a user token."
            )
        signing_secret = _optional(values, "SLACK_SIGNING_SECRET")
        if signing_secret is None and app_token is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from Basic "
                f"Information in {APP_SETTINGS_HINT} (or set SLACK_APP_TOKEN for Socket Mode)."
            )
        return cls(
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            database_url=_optional(values, "DATABASE_URL") or DEFAULT_DATABASE_URL,
            slack_api_url=_api_url(_optional(values, "SLACK_API_URL")),
            port=_port(_optional(values, "PORT")),
        )


def _optional(values: Mapping[str, str], name: str) -> str | None:
    value = values.get(name, "").strip()
    return value or None


def _required(values: Mapping[str, str], name: str, where: str) -> str:
    value = _optional(values, name)
    if value is None:
        raise ConfigError(f"{name} is not set: {where}.")
    return value


def _api_url(value: str | None) -> str | None:
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"SLACK_API_URL `{value}` is not an http(s) URL: use Slack's "
            "https://slack.com/api/ or leave it unset."
        )
    return value if value.endswith("/") else value + "/"


def _port(value: str | None) -> int:
    if value is None:
        return DEFAULT_PORT
    if not value.isdecimal() or not 1 <= int(value) <= 65535:
        raise ConfigError(f"PORT `{value}` is not a port number: use a number from 1 to 65535.")
    return int(value)
