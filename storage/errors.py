"""Errors whose message is written for the person in Slack.

The bot shows `UserError.message` as it is (ephemeral message or modal field
error), so every message names the bad value and what to type instead.
"""


def escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters.

    People's text (deal names, titles) goes through this before it is put in
    a message, so that `<!channel>` or `<https://...>` in it stays plain text.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class UserError(Exception):
    """A request that cannot be carried out, with a message for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(UserError):
    """A value the person typed or picked is not accepted."""


class NotFoundError(UserError):
    """The room, milestone or task named in the request does not exist."""


class ConflictError(UserError):
    """The request clashes with the current state, such as a stale edit."""
