"""Who may see or act on a chat: fetch, type, end."""

from __future__ import annotations

from typing import Literal

from refdesk.accounts.models import Librarian
from refdesk.chats.models import Chat, ChatState
from refdesk.chats.selectors import get_chat_for_staff
from refdesk.core.errors import ActionError

Purpose = Literal["fetch", "type", "end", "edit", "transfer"]


def access_chat(librarian: Librarian, chat_id: int, *, for_: Purpose) -> Chat:
    """The chat ``chat_id`` if ``librarian`` may use it ``for_`` that, as it is now:

    - ``fetch``: a waiting chat, one of theirs, or any chat for a supervisor;
    - ``type``: one of theirs that is active;
    - ``end``: one of theirs, or any for a supervisor, not ended yet;
    - ``transfer``: one of theirs that is active;
    - ``edit`` (the patron's details): the same as ``end``.

    Raises ``ActionError`` (``not_found``, ``not_yours``, ``chat_ended``). A write that
    depends on the holder must still say so in its own conditional update: this is the
    check that names the refusal, not a lock.
    """
    chat = get_chat_for_staff(chat_id)
    if chat is None and for_ == "type":
        # Typing is told only whether the chat is one of yours, never whether it exists.
        raise ActionError(
            "not_yours", "You can only type in your own active chats.", chat_id=chat_id
        )
    if chat is None:
        raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
    mine = chat.librarian_id == librarian.pk
    if for_ == "fetch":
        if chat.state != ChatState.WAITING and not mine and not librarian.is_supervisor:
            raise ActionError(
                "not_yours", "That chat belongs to another librarian.", chat_id=chat_id
            )
    elif for_ == "type":
        if not mine or chat.state != ChatState.ACTIVE:
            raise ActionError(
                "not_yours", "You can only type in your own active chats.", chat_id=chat_id
            )
    elif for_ == "transfer":
        if chat.state == ChatState.ENDED:
            raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
        if not mine or chat.state != ChatState.ACTIVE:
            raise ActionError(
                "not_yours", "You can only transfer a chat you hold.", chat_id=chat_id
            )
    else:
        if not mine and not librarian.is_supervisor:
            what = "end it" if for_ == "end" else "change its details"
            raise ActionError(
                "not_yours", f"Only the librarian on the chat can {what}.", chat_id=chat_id
            )
        if chat.state == ChatState.ENDED:
            raise ActionError("chat_ended", "That chat has already ended.", chat_id=chat_id)
    return chat


def access_chat_to_watch(librarian: Librarian, chat_id: int) -> Chat:
    """The chat ``chat_id`` if the supervisor (or admin) ``librarian`` may watch it: a
    waiting or active chat that is not their own.

    Raises ``ActionError`` (``forbidden`` for a librarian without the role, ``not_found``,
    ``chat_ended``, ``invalid`` for a chat they hold: it is in their console already).
    """
    if not librarian.is_supervisor:
        raise ActionError("forbidden", "Only a supervisor or an admin can watch a chat.")
    chat = get_chat_for_staff(chat_id)
    if chat is None:
        raise ActionError("not_found", "There is no such chat.", chat_id=chat_id)
    if chat.state == ChatState.ENDED:
        raise ActionError("chat_ended", "That chat has ended.", chat_id=chat_id)
    if chat.librarian_id == librarian.pk:
        raise ActionError(
            "invalid", "That chat is yours: it is in your console already.", chat_id=chat_id
        )
    return chat
