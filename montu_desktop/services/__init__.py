"""The use cases (book, cancel, reschedule, availability…), each inside one unit of work."""
