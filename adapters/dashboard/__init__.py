"""The web dashboard: read-only pages of the channels a person may see, signed in by a
one-time link from the `dashboard` command (bot/signin.py). `routes.add_routes` serves it
on the bot's one aiohttp application; `render` writes its HTML."""
