"""The clinic's rules in plain Python: slots, rosters, availability, booking. No Qt, no SQL."""
