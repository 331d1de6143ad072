"""The store: change requests, approvals, locks, applied state and seen events (SQLAlchemy)."""
