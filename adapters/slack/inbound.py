"""What a Slack request must look like before bolt or our listeners see it.

bolt and the listeners read payloads with `body["view"]["type"]`, `event.get("item")`,
`payload["team"].get("id")`: a correctly signed body of the wrong shape would reach them
and fail as a 500 with a traceback. So a request is checked first, in this order:

1. its signature headers are well formed (a timestamp of digits, a `v0=` hex digest), else
   401 (slack-sdk's own check raises on a timestamp like `abc`);
2. the signature itself and its age, by slack-sdk's `SignatureVerifier`, else 401;
3. the body parses (JSON for events, a form for commands, a form holding JSON for
   interactions) within a nesting depth, else 400;
4. the parts bolt and the listeners read have the types they expect (the models below;
   anything else in the payload is left alone), else 400.

An event type the bot does not handle passes (bolt's catch-all answers it 200). Socket Mode
envelopes skip 1 and 2 (the socket is authenticated) and take 3 and 4.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
)
from slack_sdk.signature import SignatureVerifier

from adapters.payloads import TooDeep, clean

_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")

Str = StrictStr | None
# Slack's ids are short; the tables keep 64 characters of a workspace, channel or user id
# and 128 of a message's ts: anything longer is not from Slack.
Id = Annotated[StrictStr, StringConstraints(max_length=64)] | None
Ts = Annotated[StrictStr, StringConstraints(max_length=128)] | None


class Refused(Exception):
    """The request is not one Slack would send: answered `status`, and counted as `kind`."""

    def __init__(self, status: int, kind: str) -> None:
        super().__init__(kind)
        self.status = status
        self.kind = kind


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class Team(_Part):
    id: Id = None
    enterprise_id: Id = None
    domain: Str = None


class User(_Part):
    id: Id = None
    team_id: Id = None
    name: Str = None


class Channel(_Part):
    id: Id = None
    name: Str = None


class Authorization(_Part):
    enterprise_id: Id = None
    team_id: Id = None
    user_id: Id = None
    is_bot: StrictBool | None = None
    is_enterprise_install: StrictBool | None = None


class Item(_Part):
    type: Str = None
    channel: Id = None
    ts: Ts = None


class Message(_Part):
    type: Str = None
    subtype: Str = None
    ts: Ts = None
    thread_ts: Ts = None
    user: Id = None
    bot_id: Str = None
    text: Str = None
    team: Id = None
    user_team: Id = None
    blocks: list[Any] | None = None
    files: list[Any] | None = None


class Event(Message):
    type: StrictStr
    channel: Annotated[StrictStr, StringConstraints(max_length=64)] | Channel | None = None
    item: Item | None = None
    reaction: Str = None
    message: Message | None = None
    previous_message: Message | None = None
    deleted_ts: Ts = None
    tab: Str = None
    event_ts: Ts = None
    channel_type: Str = None
    # bolt reads these as event.get(key, {}).get(…)
    tokens: dict[str, list[StrictStr]] = {}
    function: dict[StrictStr, Any] = {}


class EventCallback(_Part):
    type: Literal["event_callback"]
    event_id: StrictStr
    event: Event
    team_id: Id = None
    enterprise_id: Id = None
    api_app_id: Str = None
    authorizations: list[Authorization] | None = None
    is_ext_shared_channel: StrictBool | None = None
    context_team_id: Str = None
    context_enterprise_id: Str = None
    event_time: StrictInt | None = None


class AnyEvent(_Part):
    type: StrictStr


class OtherEventCallback(EventCallback):
    """An event the bot does not handle: answered 200 and dropped, whatever its own fields."""

    event: AnyEvent  # type: ignore[assignment]


# The events the listeners read; the others are only acknowledged (adapters.slack.handlers).
HANDLED = frozenset(
    {
        "reaction_added",
        "reaction_removed",
        "member_joined_channel",
        "message",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
)


class UrlVerification(_Part):
    type: Literal["url_verification"]
    challenge: StrictStr


class AppRateLimited(_Part):
    type: Literal["app_rate_limited"]


class Command(_Part):
    command: StrictStr
    text: StrictStr = ""
    user_id: Annotated[StrictStr, StringConstraints(max_length=64)]
    channel_id: Annotated[StrictStr, StringConstraints(max_length=64)]
    team_id: Id = None
    enterprise_id: Id = None
    channel_name: Str = None
    response_url: Str = None
    trigger_id: Str = None


class Option(_Part):
    value: Str = None


class Action(_Part):
    action_id: Str = None
    block_id: Str = None
    type: Str = None
    value: Str = None
    selected_option: Option | None = None


class State(_Part):
    values: dict[StrictStr, dict[StrictStr, dict[StrictStr, Any]]] = {}


class View(_Part):
    type: StrictStr
    id: Str = None
    callback_id: Str = None
    private_metadata: Str = None
    hash: Str = None
    team_id: Str = None
    app_installed_team_id: Str = None
    state: State | None = None
    blocks: list[dict[StrictStr, Any]] | None = None


class _Interaction(_Part):
    type: StrictStr
    team: Team | None = None
    user: User | None = None
    channel: Channel | None = None
    enterprise: Team | None = None
    view: View | None = None
    callback_id: Str = None
    trigger_id: Str = None
    response_url: Str = None
    message: Message | None = None
    container: dict[StrictStr, Any] | None = None
    is_enterprise_install: StrictBool | None = None
    authorizations: list[Authorization] | None = None
    api_app_id: Str = None


class Interaction(_Interaction):
    actions: list[Action] | None = None


class BlockAction(Action):
    action_id: StrictStr


class BlockActions(_Interaction):
    actions: list[BlockAction] = Field(min_length=1)  # bolt matches on actions[0].action_id


class BlockSuggestion(Interaction):
    action_id: StrictStr
    block_id: Str = None


class CallbackView(View):
    callback_id: StrictStr


class ViewSubmission(Interaction):
    view: CallbackView  # bolt matches on view.callback_id, and reads view.type


class Shortcut(Interaction):
    callback_id: StrictStr


class Common(_Part):
    """What any payload may hold and bolt reads as `payload.get(key, {}).get(…)`: when the
    key is there, its value must be an object (null would fail the second get)."""

    event: dict[StrictStr, Any] = {}
    view: dict[StrictStr, Any] = {}


_INTERACTIONS: dict[str, type[BaseModel]] = {
    "block_actions": BlockActions,
    "block_suggestion": BlockSuggestion,
    "view_submission": ViewSubmission,
    "view_closed": ViewSubmission,
    "message_action": Shortcut,
    "shortcut": Shortcut,
    "interactive_message": Shortcut,
}

_EVENTS: dict[str, type[BaseModel]] = {
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
    "app_rate_limited": AppRateLimited,
}


def check_signature(verifier: SignatureVerifier, body: str, headers: Mapping[str, Any]) -> None:
    """Steps 1 and 2: raises Refused(401) unless Slack signed `body` within the last 5 minutes."""
    lower = {k.lower(): v for k, v in headers.items() if isinstance(v, str)}
    timestamp = lower.get("x-slack-request-timestamp", "")
    signature = lower.get("x-slack-signature", "")
    if not _TIMESTAMP.match(timestamp) or not _SIGNATURE.match(signature):
        raise Refused(401, "unsigned")
    if not verifier.is_valid(body, timestamp, signature):
        raise Refused(401, "bad_signature")


def parse(body: str, content_type: str) -> dict[str, Any]:
    """Step 3: the payload as bolt will read it, or Refused(400)."""
    if content_type.startswith("application/json"):
        return _json(body)
    form = parse_qs(body, keep_blank_values=True)
    if "payload" in form:
        return _json(form["payload"][0])
    return {k: v[0] for k, v in form.items()}


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(400, "malformed") from None
    if not isinstance(data, dict):
        raise Refused(400, "malformed")
    return data


def check_shape(payload: dict[str, Any]) -> None:
    """Step 4: raises Refused(400) when a part bolt or a listener reads has the wrong type."""
    if "ssl_check" in payload:
        return  # Slack checking the certificate: bolt answers it
    if "command" in payload:
        model: type[BaseModel] = Command
    elif payload.get("type") == "event_callback":
        event = payload.get("event")
        handled = isinstance(event, dict) and event.get("type") in HANDLED
        model = EventCallback if handled else OtherEventCallback
    elif payload.get("type") in _EVENTS:
        model = _EVENTS[payload["type"]]
    elif isinstance(payload.get("type"), str):
        model = _INTERACTIONS.get(payload["type"], Interaction)
    else:
        raise Refused(400, "malformed")
    try:
        Common.model_validate(payload)
        model.model_validate(payload)
    except ValidationError:
        raise Refused(400, "malformed") from None


def check(body: str | dict[str, Any], content_type: str = "application/json") -> dict[str, Any]:
    """Steps 3 and 4: the payload to hand bolt (cleaned), or Refused(400)."""
    try:
        payload = clean(parse(body, content_type) if isinstance(body, str) else body)
    except TooDeep:
        raise Refused(400, "malformed") from None
    check_shape(payload)
    return payload
