"""Setting up a desk: the demo desk today (campuses, hours, librarians)."""
