"""Confirmations and reminders: outbox dispatch, planning, retries, dead letters, email and SMS."""
