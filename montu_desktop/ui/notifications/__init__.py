"""Notification screens: settings for managers, the message log, and tomorrow's reminders."""
