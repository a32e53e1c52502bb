"""The people the bot has seen in Teams: their names (mentions are shown by name) and the
Bot Framework ids a private chat is opened with, by Entra object id."""

from __future__ import annotations

from typing import Any


class People:
    """Names and Bot Framework ids of the people the bot has seen, by Entra object id:
    mentions are shown by name, and a private chat is opened with the id Teams knows."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.bf_ids: dict[str, str] = {}
        self.aad_by_bf: dict[str, str] = {}

    def learn(self, account: dict[str, Any] | None) -> None:
        if not isinstance(account, dict):
            return
        aad, bf_id, name = account.get("aadObjectId"), account.get("id"), account.get("name")
        if isinstance(aad, str) and aad:
            if isinstance(name, str) and name:
                self.names[aad] = name
            if isinstance(bf_id, str) and bf_id:
                self.bf_ids[aad] = bf_id
                self.aad_by_bf[bf_id] = aad

    def bf_id(self, user_id: str) -> str:
        return self.bf_ids.get(user_id, user_id)
