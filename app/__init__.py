"""The composition root: settings, storage, engine, adapters and the scheduler wired once.

Only this package imports every layer; see docs/ARCHITECTURE.md.
"""
