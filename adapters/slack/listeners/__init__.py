"""Bolt listeners: acknowledge at once, then turn the payload into an engine event.

The bolt app runs with `process_before_response=True`, so each listener runs before the
answer to Slack: it acks first and hands the real work to a tracked task (`Work.spawn`), so
the answer never waits on the Web API or the database. The one exception is a setup modal's
submission, whose validation errors must travel in the ack itself (`response_action:
errors`); it runs the engine under a deadline well inside Slack's 3 seconds (`setup.py`).

One module per concern, each a class whose `on_*` methods are the listeners;
`adapters.slack.handlers.Handlers` builds them and registers them on the bolt app:

- `kit.py`       what they all use: engine, directory, work queue, answering, error note
- `command.py`   the slash command
- `events.py`    reactions, members joining, edits and deletions, App Home, the rest
- `shortcut.py`  the "Record as deliverable" message shortcut and its modal
- `forms.py`     a draft's form: the button that opens it, its submission
- `setup.py`     the setup modal's submission
"""
