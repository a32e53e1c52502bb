"""What the engine may ask Teams during a turn (`bot.ports.Gateway`)."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from adapters.teams import convert, faults
from bot.charter import ChannelKey
from bot.platform_ports import ConversationStore
from bot.ports import MessageSnapshot

log = logging.getLogger(__name__)


class TeamsGateway:
    def __init__(self, turn: TurnContext, adapter_key: str, refs: ConversationStore) -> None:
        self.turn = turn
        self.key = adapter_key
        self.refs = refs

    async def fetch_message(self, channel: ChannelKey, message_id: str) -> MessageSnapshot | None:
        return None  # message actions carry their message; bots get no reactions to resolve

    async def is_member(self, channel: ChannelKey, user_id: str) -> bool:
        """Whether `user_id` may see `channel` (a private channel's search hits). A 404 (not a
        member) and any other answer the Connector gives is "no"; a fault that may pass is
        raised, so the inbox runs the search again instead of quietly showing less."""
        connector = self.turn.turn_state.get(self.key)
        if connector is None:
            return False
        conversation = await self._conversation_id(channel)
        if not conversation:
            return False
        try:
            await connector.conversations.get_conversation_member(conversation, user_id)
        except Exception as exc:
            if faults.classify(exc) is not None:
                raise
            log.info("teams: %s is not a member of %s: %r", user_id, channel.channel_id, exc)
            return False
        return True

    async def _conversation_id(self, channel: ChannelKey) -> str:
        """The conversation's real id: chats with ids too long for the tables are keyed by a
        digest (`convert.channel_id`), which the connector does not know; their stored
        conversation reference holds the id itself."""
        if not channel.channel_id.startswith("~"):
            return channel.channel_id
        stored = await self.refs.get(channel)
        conversation = convert._dict(stored.reference.get("conversation")) if stored else {}
        return convert._str(conversation.get("id"))
