"""Manager settings: the clinic, types, doctors, rosters, staff, audit and utilisation use cases."""
