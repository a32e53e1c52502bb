"""Bolt listeners: keep the request in the inbox, then answer; a worker does the rest.

The bolt app runs with `process_before_response=True`, so each listener runs before the
answer to Slack. A listener with work to do keeps the request in the inbox (`bot.inbox`,
`adapters.slack.intake`) and returns: Slack hears 200 only once the request is in the
database, and a worker runs the method of the same name without `on_` later, retrying it
on passing faults. When the request cannot be kept, events get 503 (Slack sends them again)
and a command's ack says that nothing was recorded. Two kinds of work run inside the
request instead, under a deadline well inside Slack's 3 seconds: opening or changing a modal
(its trigger lasts 3 seconds) and the setup modal's submission, whose validation errors must
travel in the answer itself (`response_action: errors`).

One module per concern, each a class whose `on_*` methods are the listeners;
`adapters.slack.handlers.Handlers` builds them, registers them on the bolt app and maps
the inbox's Slack kinds to their work:

- `kit.py`       what they all use: engine, directory, inbox, answering, error note
- `command.py`   the slash command
- `events.py`    reactions, members joining, edits and deletions, App Home, the rest
- `shortcut.py`  the "Record as deliverable" message shortcut and its modal
- `forms.py`     a draft's form: the button that opens it, its submission
- `setup.py`     the setup modal's submission
"""
