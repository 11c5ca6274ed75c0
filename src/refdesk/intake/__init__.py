"""Patron intake: what the desk makes of a patron's request before any chat or ticket
exists: the address hash, the name-box rule, the browser's summary and the patron rate
limits (later, blocks). Chats and tickets both build on it."""
