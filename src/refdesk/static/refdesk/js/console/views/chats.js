// My chats: a tab and a pane each, with the conversation, the composer, the typing line,
// the end confirmation and the suggested lines. Drawn from the store's chats, one change
// at a time: a new line is one node appended, never a redrawn conversation, so that the
// log's live region reads only what is new.
import { el, formatClock, placeMessage, renderRichText } from "../../text.js";
import { CLOSING_LINE, closedAlready, displayName, endNote } from "../words.js";
import { $, badge } from "./common.js";
import { attachSnippets } from "./snippets.js";
import { openBlockDialog, openIncidentDialog } from "../safetyactions.js";

export function mountChats(store, actions) {
  const { state } = store;
  const drawn = new Map(); // chat id -> the nodes of its tab and pane

  function build(id, draft) {
    const s = state.chats.get(id).summary;
    const name = displayName(s);
    const unread = el("span", { class: "unread", hidden: true });
    const tab = el(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${id}`,
        class: "tab",
        "aria-controls": `pane-${id}`,
        "aria-selected": "false",
        tabindex: "-1",
        onclick: () => store.selectChat(id),
        onkeydown: (event) => onTabKey(event, id),
      },
      el("span", { class: `dot campus-${s.campus}`, "aria-hidden": "true" }),
      el("span", { class: "tab-name", text: name }),
      unread
    );
    const box = el("textarea", { id: `compose-${id}`, rows: "3", maxlength: "4000", autocomplete: "off" });
    const composeLabel = el("label", { for: `compose-${id}`, class: "visually-hidden", text: `Message to ${name}` });
    const composer = el(
      "form",
      { class: "composer", onsubmit: (event) => send(event, id) },
      composeLabel,
      box,
      el("button", { type: "submit", class: "button primary", text: "Send" })
    );
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    box.addEventListener("input", () => actions.typing(id));
    // Snippets: the "/" type-ahead and the menu button (views/snippets.js).
    const snippetParts = attachSnippets(store, { chatId: id, box, composer });
    composer.append(snippetParts.button, snippetParts.list, snippetParts.count);
    const sendClosing = el("input", { type: "checkbox", class: "send-closing", checked: true });
    const closingChoice = el("label", { class: "check" }, sendClosing, ` Send "${CLOSING_LINE}" first`);
    const endButton = el("button", { type: "button", class: "button danger", text: "End chat", onclick: () => actions.endChat(id, { sendClosing: sendClosing.checked }) });
    const confirm = el(
      "div",
      {
        class: "end-confirm",
        hidden: true,
        role: "group",
        "aria-label": "End this chat",
        // Escape is the way out of a question, as the Cancel button is.
        onkeydown: (event) => {
          if (event.key === "Escape") {
            event.preventDefault();
            event.stopPropagation();
            store.confirmEnd(id, false);
          }
        },
      },
      el("p", { text: "End this chat?" }),
      closingChoice,
      endButton,
      el("button", { type: "button", class: "button subtle", text: "Cancel", onclick: () => store.confirmEnd(id, false) })
    );
    const summary = () => state.chats.get(id).summary;
    const suggest = (text) => {
      box.value = text;
      box.focus();
    };
    const titleButton = el("button", { type: "button", class: "link-button patron-name", text: name, onclick: () => store.showPatron(summary()) });
    const parts = {
      tab,
      unread,
      box,
      composer,
      composeLabel,
      confirm,
      endButton,
      sendClosing,
      closingChoice,
      titleButton,
      end: el("button", {
        type: "button",
        class: "end",
        "aria-label": `End chat with ${name}`,
        title: "End chat",
        text: "×",
        onclick: () => store.confirmEnd(id, true),
      }),
      list: el("div", { class: "messages", role: "log", "aria-live": "polite", "aria-label": `Conversation with ${name}` }),
      typing: el("p", { class: "typing", "aria-live": "polite" }),
      suggestions: el(
        "div",
        { class: "suggestions", role: "group", "aria-label": "Suggested lines" },
        el("button", { type: "button", class: "button subtle", text: "Greeting", onclick: () => suggest(store.openingLine(summary())) }),
        el("button", { type: "button", class: "button subtle", text: "Still looking", onclick: () => suggest("Still looking, thanks for your patience!") }),
        el("button", { type: "button", class: "button subtle", text: "Closing line", onclick: () => suggest(CLOSING_LINE) })
      ),
      // Until the escalation panel offers them, the hard moments' actions sit here.
      safety: el(
        "div",
        { class: "safety-tools", role: "group", "aria-label": "Hard moments" },
        el("button", { type: "button", class: "button subtle", text: "Block patron…", onclick: () => openBlockDialog(id) }),
        el("button", { type: "button", class: "button subtle", text: "Report incident…", onclick: () => openIncidentDialog(id, "abuse") })
      ),
      error: el("p", { class: "notice error composer-error", role: "alert", hidden: true }),
      endedNote: el("p", { class: "ended-note", hidden: true }),
      closeTab: el("button", { type: "button", class: "button subtle close-tab", hidden: true, text: "Close tab", onclick: () => store.closeChat(id) }),
      pending: new Map(), // client id -> the node of a line still being sent
    };
    parts.pane = el(
      "section",
      { class: "pane", role: "tabpanel", id: `pane-${id}`, "aria-labelledby": `tab-${id}`, hidden: true },
      el(
        "div",
        { class: "pane-head" },
        el(
          "div",
          { class: "pane-who" },
          el("h3", { class: "pane-title" }, titleButton),
          badge(s)
        ),
        parts.end
      ),
      s.name_was_question ? el("p", { class: "pane-note" }, el("span", { class: "marker", text: "Question was typed in the name box" })) : null,
      confirm,
      parts.list,
      parts.typing,
      parts.suggestions,
      parts.safety,
      composer,
      parts.error,
      parts.endedNote,
      parts.closeTab
    );
    drawn.set(id, parts);
    $("tabs").append(tab);
    $("panes").append(parts.pane);
    if (draft) box.value = draft;
  }

  function onTabKey(event, id) {
    const ids = [...state.chats.keys()];
    const index = ids.indexOf(id);
    let next = null;
    if (event.key === "ArrowRight") next = ids[(index + 1) % ids.length];
    else if (event.key === "ArrowLeft") next = ids[(index - 1 + ids.length) % ids.length];
    else if (event.key === "Home") next = ids[0];
    else if (event.key === "End") next = ids[ids.length - 1];
    if (next !== null && next !== undefined) {
      event.preventDefault();
      store.selectChat(next);
      drawn.get(next).tab.focus();
    }
  }

  function send(event, id) {
    event.preventDefault();
    const { box } = drawn.get(id);
    const text = box.value.trim();
    const chat = state.chats.get(id);
    if (!text || !chat || chat.ended) return;
    box.value = "";
    actions.send(id, text);
  }

  function messageNode(message) {
    const body = el("div", { class: "body", dir: "auto" });
    renderRichText(body, message.body);
    return el(
      "div",
      { class: `message from-${message.sender}${message.automatic ? " automatic" : ""}`, "data-seq": message.seq },
      // The desk's automatic hours answer to a waiting patron says that it is one.
      message.automatic ? el("span", { class: "who", text: "Automatic answer" }) : null,
      message.sender === "system" ? null : el("span", { class: "who", text: message.sender === "patron" ? message.sender_name || "Patron" : message.sender_name }),
      body,
      el("time", { class: "when", datetime: message.sent_at, text: formatClock(message.sent_at) })
    );
  }

  function drawTyping(chat, parts) {
    parts.typing.textContent = chat.typing ? `${chat.summary.patron_name || "The patron"} is typing…` : "";
  }

  function drawUnread(chat, parts) {
    parts.unread.hidden = chat.unread === 0;
    parts.unread.textContent = chat.unread ? `${chat.unread} unread` : "";
  }

  function drawError(chat, parts) {
    if (chat.error) parts.error.textContent = chat.error;
    parts.error.hidden = !chat.error;
  }

  // The list scrolls, not the page: the queue and the composer stay where they are.
  function scrollDown(parts) {
    parts.list.scrollTop = parts.list.scrollHeight;
  }

  // One drawing per kind of change; each reads the chat from the store.
  const draw = {
    open({ id, draft }) {
      build(id, draft);
    },
    message({ message }, chat, parts) {
      const own = message.sender === "librarian" && message.client_id ? parts.pending.get(message.client_id) : null;
      if (own) {
        own.remove();
        parts.pending.delete(message.client_id);
      }
      placeMessage(parts.list, messageNode(message), message.seq);
      drawTyping(chat, parts);
      drawUnread(chat, parts);
      scrollDown(parts);
    },
    pending({ entry }, chat, parts) {
      const body = el("div", { class: "body", dir: "auto" });
      renderRichText(body, entry.text);
      const node = el(
        "div",
        { class: "message from-librarian pending", "data-client-id": entry.clientId },
        el("span", { class: "who", text: state.me.name }),
        body,
        el("time", { class: "when", text: "sending…" })
      );
      parts.pending.set(entry.clientId, node);
      parts.list.append(node);
      scrollDown(parts);
    },
    unsent({ entry }, chat, parts) {
      parts.pending.get(entry.clientId)?.remove();
      parts.pending.delete(entry.clientId);
      // Not lost: the librarian can edit it and try again.
      if (!parts.box.value) parts.box.value = entry.text;
      drawError(chat, parts);
    },
    error(change, chat, parts) {
      drawError(chat, parts);
    },
    typing(change, chat, parts) {
      drawTyping(chat, parts);
    },
    select({ id, focus }, chat) {
      for (const [chatId, parts] of drawn) {
        const selected = chatId === state.current;
        parts.tab.setAttribute("aria-selected", String(selected));
        parts.tab.tabIndex = selected ? 0 : -1;
        parts.pane.hidden = !selected;
      }
      const parts = drawn.get(id);
      drawUnread(chat, parts);
      if (focus && !chat.ended) parts.box.focus();
    },
    confirm(change, chat, parts) {
      parts.confirm.hidden = !chat.confirmingEnd;
      if (chat.confirmingEnd) {
        // The closing line just sent is not offered a second time.
        const said = closedAlready(chat.messages, state.me);
        parts.closingChoice.hidden = said;
        parts.sendClosing.checked = !said;
        parts.endButton.focus();
      } else if (!chat.ended) {
        parts.box.focus();
      }
    },
    renamed({ before }, chat, parts) {
      const name = displayName(chat.summary);
      parts.tab.querySelector(".tab-name").textContent = name;
      parts.titleButton.textContent = name;
      parts.end.setAttribute("aria-label", `End chat with ${name}`);
      parts.list.setAttribute("aria-label", `Conversation with ${name}`);
      parts.composeLabel.textContent = `Message to ${name}`;
      // The opening line not sent yet follows the new name; anything else typed stays.
      if (parts.box.value === store.openingLine(before)) parts.box.value = store.openingLine(chat.summary);
    },
    ended(change, chat, parts) {
      parts.endedNote.textContent = chat.transferNote || endNote(chat.endReason);
      parts.endedNote.hidden = false;
      parts.confirm.hidden = true;
      parts.composer.hidden = true;
      parts.suggestions.hidden = true;
      parts.end.hidden = true;
      drawTyping(chat, parts);
      parts.closeTab.hidden = false;
      parts.tab.classList.add("ended");
      // The controls the keyboard was on are gone: it goes to "Close tab", beside the note
      // that says how the chat ended, rather than back to the top of the page.
      const active = document.activeElement;
      if (!active || active === document.body || parts.pane.contains(active) || !active.isConnected) parts.closeTab.focus();
    },
    reopened(change, chat, parts) {
      // "Close tab" goes away under the keyboard: it lands in the composer instead.
      const onCloseTab = document.activeElement === parts.closeTab;
      parts.endedNote.hidden = true;
      parts.composer.hidden = false;
      parts.suggestions.hidden = false;
      parts.end.hidden = false;
      parts.closeTab.hidden = true;
      parts.tab.classList.remove("ended");
      if (onCloseTab) parts.box.focus();
    },
    close({ id }, chat, parts) {
      const hadFocus = parts.pane.contains(document.activeElement) || parts.tab.contains(document.activeElement);
      parts.tab.remove();
      parts.pane.remove();
      drawn.delete(id);
      if (!hadFocus) return;
      // The next tab, or, with none left, the queue: where the next chat comes from.
      const next = drawn.get(state.chats.keys().next().value);
      if (next) next.tab.focus();
      else $("queue").focus();
    },
  };

  store.subscribe("chats", (change) => {
    const parts = drawn.get(change.id);
    // A late answer for a tab closed meanwhile has nothing left to draw on.
    if (parts || change.kind === "open") draw[change.kind](change, state.chats.get(change.id), parts);
    $("workspace-empty").hidden = state.chats.size > 0;
  });
}
