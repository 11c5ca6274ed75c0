// Supervision in the console: the call for a supervisor (any librarian, from a chat's
// toolbar), internal notes in the holder's chat view, and for supervisors and admins the
// alerts a call raises, watching a chat read-only, writing notes on it and joining it.
// All text from people is set with textContent (text.js el).
//
// Exports: alertSupervisor(chatId, note?) sends chat.alert_supervisor and says how many
// supervisors it reached; sendAsJoined(chatId, body) a joined supervisor's line to the
// patron (the watched chat shows a composer while joined); watchChat(chatId) / unwatchChat(chatId); watchButton(store,
// chat) a "Watch" button for a list row (null for a librarian or one's own chat);
// mountSupervise(store, socket, sound, {where}) draws the rest.
import { el, formatClock } from "../text.js";

export const NOTE_MARK = "Internal note — only staff see this";

let live = null; // {store, socket}

function say(text) {
  live?.store.say(text);
}

export async function alertSupervisor(chatId, note = "") {
  if (!live) return null;
  try {
    const ack = await live.socket.request({ type: "chat.alert_supervisor", chat_id: chatId, note });
    const count = ack.supervisors_online;
    say(
      count === 0
        ? "No supervisor is online: call the library's supervisor on duty, or follow the emergency contacts."
        : `${count} supervisor${count === 1 ? "" : "s"} alerted.`
    );
    return count;
  } catch (error) {
    say(error?.message || "The supervisor could not be alerted.");
    return null;
  }
}

export async function watchChat(chatId) {
  const { store, socket } = live;
  try {
    const ack = await socket.request({ type: "chat.watch", chat_id: chatId });
    store.state.watched ||= new Map();
    const messages = Array.isArray(ack.chat.messages) ? ack.chat.messages : [];
    store.state.watched.set(chatId, {
      chat: ack.chat,
      messages,
      lastSeq: messages.length ? messages[messages.length - 1].seq : 0,
      joined: ack.joined,
    });
    store.addNotes(ack.notes);
    store.emit("watched", { id: chatId, focus: true });
    return true;
  } catch (error) {
    say(error?.message || "That chat cannot be watched.");
    return false;
  }
}

export async function unwatchChat(chatId) {
  const { store, socket } = live;
  store.state.watched?.delete(chatId);
  store.emit("watched", { id: chatId });
  try {
    await socket.request({ type: "chat.unwatch", chat_id: chatId });
  } catch {
    // Disconnected: the new connection watches nothing.
  }
}

let noteCount = 0;

export async function addNote(chatId, body) {
  const ack = await live.socket.request({ type: "chat.note", chat_id: chatId, client_id: `note-${Date.now()}-${(noteCount += 1)}`, body });
  live.store.addNotes([ack.note]);
}

async function setJoined(chatId, join) {
  const ack = await live.socket.request({ type: join ? "chat.join" : "chat.leave_join", chat_id: chatId });
  const watched = live.store.state.watched?.get(chatId);
  if (watched) watched.joined = ack.joined;
  live.store.emit("watched", { id: chatId });
}

// "Watch" on a queue row or a librarian's list of chats: supervisors and admins only, and
// not on a chat of their own (it is in their tabs).
export function watchButton(store, chat, label = "") {
  if (!store.isSupervisor() || chat.state === "ended" || chat.claimed_by_id === store.state.me.id) return null;
  return el("button", {
    type: "button",
    class: "button subtle watch-chat",
    text: "Watch",
    "aria-label": `Watch the chat with ${label || chat.patron_name || "the patron"}`,
    onclick: () => watchChat(chat.id),
  });
}

let sentCount = 0;

// A joined supervisor's line to the patron (message.send, as the holder's): its ack's
// message joins the watched lines like the broadcast would (each seq once).
export async function sendAsJoined(chatId, body) {
  const ack = await live.socket.request({ type: "message.send", chat_id: chatId, client_id: `joined-${Date.now()}-${(sentCount += 1)}`, body });
  if (ack.message) live.store.receive(ack.message);
}

function joinedComposer(id) {
  const boxId = `watch-send-${id}`;
  const field = el("textarea", { id: boxId, maxlength: "4000", rows: "2" });
  const form = el(
    "form",
    {
      class: "joined-form",
      onsubmit: (event) => {
        event.preventDefault();
        const body = field.value;
        if (!body.trim()) return;
        field.value = "";
        sendAsJoined(id, body).catch((error) => {
          if (!field.value) field.value = body;
          say(error?.message || "The message was not sent.");
        });
      },
    },
    el("label", { for: boxId, text: `Message to the patron in chat ${id}` }),
    field,
    el("button", { type: "submit", class: "button primary", text: "Send" })
  );
  // Enter sends, Shift+Enter starts a new line, as in the holder's composer.
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  return form;
}

function lineNode(message) {
  const who = message.sender === "system" ? "" : `${message.sender_name || (message.sender === "patron" ? "Patron" : "Librarian")}: `;
  return el("li", { class: `from-${message.sender}`, "data-seq": message.seq }, el("span", { class: "who", text: who }), el("span", { dir: "auto", text: message.body }));
}

function noteNode(note) {
  return el(
    "li",
    { class: "internal-note", "data-note-id": note.id },
    el("strong", { class: "note-mark", text: NOTE_MARK }),
    el("span", { class: "who", text: ` ${note.author_name}: ` }),
    el("span", { class: "body", dir: "auto", text: note.body }),
    " ",
    el("time", { class: "when", datetime: note.created_at, text: formatClock(note.created_at) })
  );
}

function notesList(notes, label) {
  return el("ul", { class: "internal-notes", "aria-label": label, "aria-live": "polite" }, ...notes.map(noteNode));
}

export function mountSupervise(store, socket, sound, { where }) {
  live = { store, socket };
  const { state } = store;
  state.watched ||= new Map();

  // --- every librarian: the call for a supervisor, and the notes on my chats ----------

  const inPane = new Map(); // chat id -> its notes list in my pane

  function drawPaneNotes(id) {
    const list = inPane.get(id);
    if (!list) return;
    const drawn = new Set([...list.children].map((node) => Number(node.dataset.noteId)));
    for (const note of state.notes?.get(id) || []) {
      if (!drawn.has(note.id)) list.append(noteNode(note));
    }
    list.hidden = list.childElementCount === 0;
  }

  // A chat that is over needs no supervisor called to it: its call button goes (the notes
  // stay, for the record).
  function dropCall(id) {
    const tools = document.querySelector(`#pane-${id} .pane-tools`);
    tools?.querySelector(".alert-supervisor")?.remove();
    if (tools && !tools.childElementCount) tools.remove();
  }

  store.subscribe("chats", ({ id, kind }) => {
    if (kind === "open") {
      const pane = document.getElementById(`pane-${id}`);
      if (!pane) return;
      const call = el("button", {
        type: "button",
        class: "button subtle alert-supervisor",
        text: "Alert a supervisor",
        onclick: () => alertSupervisor(id),
      });
      const tools = el("div", { class: "pane-tools", role: "group", "aria-label": "Help with this chat" }, call);
      pane.querySelector(".pane-head")?.after(tools);
      if (state.chats.get(id)?.ended) dropCall(id);
      const list = notesList([], "Internal notes on this chat");
      list.hidden = true;
      pane.querySelector(".messages")?.after(list);
      inPane.set(id, list);
      drawPaneNotes(id);
    } else if (kind === "ended") {
      dropCall(id);
    } else if (kind === "close") {
      inPane.delete(id);
    }
  });

  // --- supervisors and admins -----------------------------------------------------

  const panel = el("section", { class: "supervise", "aria-labelledby": "supervise-title" });
  const alerts = el("div", { id: "supervisor-alerts", role: "alert", "aria-live": "assertive" });
  const notifyButton = el("button", {
    type: "button",
    id: "supervisor-notifications",
    class: "button subtle",
    text: "Allow desktop notifications",
    onclick: () => {
      if ("Notification" in window) Notification.requestPermission().then((answer) => say(`Desktop notifications: ${answer}.`));
    },
  });
  const watchInput = el("input", { id: "watch-chat-id", type: "number", min: "1", inputmode: "numeric" });
  const watchForm = el(
    "form",
    {
      id: "watch-form",
      onsubmit: (event) => {
        event.preventDefault();
        const id = Number(watchInput.value);
        if (id > 0) watchChat(id);
      },
    },
    el("label", { for: "watch-chat-id", text: "Chat number to watch" }),
    watchInput,
    el("button", { type: "submit", class: "button", text: "Watch" })
  );
  const watchedArea = el("div", { id: "watched-chats" });
  panel.append(el("h2", { id: "supervise-title", text: "Supervision" }), alerts, notifyButton, watchForm, watchedArea);
  where.after(panel);

  function drawRole() {
    panel.hidden = !store.isSupervisor();
  }
  drawRole();
  store.subscribe("me", drawRole);

  store.subscribe("supervisor", ({ alert }) => {
    if (!store.isSupervisor()) return;
    sound?.play?.("loud");
    if ("Notification" in window && Notification.permission === "granted") {
      const shown = new Notification(`${alert.from_name} asks for a supervisor`, {
        body: alert.note || `Chat ${alert.chat_id} (${alert.campus})`,
        tag: `supervisor-${alert.chat_id}`,
      });
      shown.onclick = () => window.focus();
    }
    const item = el(
      "p",
      { class: "supervisor-alert notice", "data-chat-id": alert.chat_id },
      el("span", { text: `${alert.from_name} asks for a supervisor on chat ${alert.chat_id} (${alert.campus})${alert.note ? `: ${alert.note}` : "."} ` }),
      el("button", {
        type: "button",
        class: "button primary",
        text: "Watch chat",
        onclick: async () => {
          if (await watchChat(alert.chat_id)) item.remove();
        },
      }),
      el("button", { type: "button", class: "button subtle", text: "Dismiss", onclick: () => item.remove() })
    );
    alerts.append(item);
  });

  function watchedBox(id, watched) {
    const title = `Watching chat ${id}: ${watched.chat.patron_name || "patron"} (${watched.chat.campus_name})`;
    const box = el("section", { class: "watched-chat", "data-chat-id": id, "aria-labelledby": `watched-title-${id}` });
    box.append(el("h3", { id: `watched-title-${id}`, tabindex: "-1", text: title }));
    box.append(el("p", { class: "pane-note", text: "Read-only: the patron does not see that you are watching." }));
    const lines = el("ol", { class: "watched-lines", "aria-live": "polite", "aria-label": `Conversation in chat ${id}` });
    lines.append(...watched.messages.map(lineNode));
    box.append(lines, notesList(state.notes?.get(id) || [], `Internal notes on chat ${id}`));
    const field = el("textarea", { id: `watch-note-${id}`, maxlength: "4000", rows: "2" });
    const form = el(
      "form",
      {
        class: "note-form",
        onsubmit: (event) => {
          event.preventDefault();
          if (field.value.trim()) {
            addNote(id, field.value).then(
              () => {
                field.value = "";
              },
              (error) => say(error?.message || "The note was not saved.")
            );
          }
        },
      },
      el("label", { for: `watch-note-${id}`, text: "Internal note (only staff see it)" }),
      field,
      el("button", { type: "submit", id: `watch-add-note-${id}`, class: "button", text: "Add note" })
    );
    const join = el("button", {
      type: "button",
      id: `watch-join-${id}`,
      class: "button",
      text: watched.joined ? "Leave chat" : "Join chat",
      onclick: () => setJoined(id, !watched.joined).catch((error) => say(error?.message || "Not possible now.")),
    });
    const stop = el("button", { type: "button", class: "button subtle", text: "Stop watching", onclick: () => unwatchChat(id) });
    box.append(form);
    if (watched.joined) box.append(joinedComposer(id));
    box.append(el("div", { class: "watched-tools" }, join, stop));
    return box;
  }

  // A new line is one node appended (the live region reads only it); any other change
  // redraws the watched chats, keeping the note being written and the focus.
  function drawWatched(change = {}) {
    const box = change.message && watchedArea.querySelector(`.watched-chat[data-chat-id="${change.id}"] .watched-lines`);
    if (box) {
      box.append(lineNode(change.message));
      return;
    }
    const active = document.activeElement;
    const activeId = active && watchedArea.contains(active) ? active.id : "";
    const drafts = new Map([...watchedArea.querySelectorAll("textarea")].map((box) => [box.id, box.value]));
    watchedArea.replaceChildren(...[...state.watched].map(([id, watched]) => watchedBox(id, watched)));
    for (const [boxId, value] of drafts) {
      const box = document.getElementById(boxId);
      if (box) box.value = value;
    }
    if (change.focus) document.getElementById(`watched-title-${change.id}`)?.focus();
    else if (activeId) document.getElementById(activeId)?.focus();
  }
  store.subscribe("watched", drawWatched);
  store.subscribe("notes", ({ id }) => {
    if (state.watched.has(id)) drawWatched();
    drawPaneNotes(id);
  });
}
