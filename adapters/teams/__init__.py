"""Microsoft Teams: the Bot Framework activities in, the engine's replies out.

Every `botbuilder` / `botframework` import of the project lives in this folder, so that a
move to the Microsoft 365 Agents SDK touches nothing else. `convert` and `cards` are pure
translation (tested on recorded activities); `bot` is the activity handler, `adapter` the
CloudAdapter with our fixes, `server` the `PlatformServer` that `serve` mounts.
"""
