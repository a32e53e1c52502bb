"""What a handler works with: the services, the event's facts and the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.access import can_own, is_admin
from bot.charter import ChannelKey, Charter, Schedule
from bot.events import Actor, Audience, Outbound, Reply
from bot.i18n import Translator, translator
from bot.languages import Languages
from bot.observe import Observers
from bot.ports import ChannelInfo, Clock, Gateway, Repository


@dataclass(frozen=True)
class EngineSettings:
    admins: frozenset[str] = frozenset()
    default_timezone: str = "UTC"
    default_language: str = "en"
    default_schedule: Schedule = Schedule()
    max_items: int = 10
    sparkline_periods: int = 8
    command_prefix: str = "/outputs"
    # Where the web dashboard is reached ([server] public_url); empty: no dashboard links.
    public_url: str = ""


@dataclass
class Services:
    repo: Repository
    clock: Clock
    settings: EngineSettings
    # Told what happened (captures, digests, scheduler lag), for metrics; see bot.observe.
    observer: Observers = field(default_factory=Observers)
    languages: Languages = field(init=False)
    _charter_listeners: list[Callable[[ChannelKey], None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.languages = Languages(self.repo, lambda: self.clock.now())

    def charter_changed(self, channel: ChannelKey) -> None:
        """A channel's charter or its workspace's roll-up channel changed: tell whoever listens
        (a running scheduler rebuilds its jobs at once; other replicas catch up by resyncing)."""
        for listener in list(self._charter_listeners):
            listener(channel)

    def on_charter_changed(self, listener: Callable[[ChannelKey], None]) -> Callable[[], None]:
        """Tell `listener` of every charter change from now on; returns what stops it."""
        self._charter_listeners.append(listener)
        return lambda: self._charter_listeners.remove(listener)


@dataclass
class Ctx:
    services: Services
    channel: ChannelInfo
    actor: Actor
    gateway: Gateway
    charter: Charter | None
    prefix: str = "/outputs"
    out: list[Outbound] = field(default_factory=list)

    @property
    def repo(self) -> Repository:
        return self.services.repo

    @property
    def settings(self) -> EngineSettings:
        return self.services.settings

    @property
    def key(self) -> ChannelKey:
        return self.channel.key

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def t(self) -> Translator:
        """The actor's language: replies to one person are in that person's language."""
        return translator(self.actor.locale)

    @property
    def channel_t(self) -> Translator:
        """The charter's language: posts for the channel."""
        lang = self.charter.language if self.charter else self.settings.default_language
        return translator(lang)

    @property
    def is_owner(self) -> bool:
        return can_own(self.actor, self.channel, self.charter, self.settings.admins)

    @property
    def is_admin(self) -> bool:
        """A workspace admin: the workspace-wide commands (`rollup`)."""
        return is_admin(self.actor, self.settings.admins)

    def say(self, text: str, *, view: object = None) -> None:
        self.out.append(
            Reply(Audience.EPHEMERAL, self.key.channel_id, text, self.actor.user_id, view, self.t.lang)
        )

    def post(
        self, text: str, *, view: object = None, kind: str = "reply", channel_id: str | None = None
    ) -> None:
        self.out.append(
            Reply(
                Audience.CHANNEL,
                channel_id or self.key.channel_id,
                text,
                None,
                view,
                self.channel_t.lang,
                kind,
            )
        )

    def direct(self, user_id: str, text: str, lang: str | None = None, kind: str = "reply") -> None:
        self.out.append(
            Reply(Audience.DIRECT, self.key.channel_id, text, user_id, None, lang or self.t.lang, kind)
        )
