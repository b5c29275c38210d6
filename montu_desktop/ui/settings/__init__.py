"""The manager's settings dialogs: clinic and hours, types, doctors, rosters (managers only)."""
