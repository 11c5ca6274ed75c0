// Supervision in the console: the call for a supervisor (any librarian), and for
// supervisors and admins the alerts it raises, watching a chat read-only, internal notes,
// and joining a chat. All text from people is set with textContent.
//
// Exports: alertSupervisor(chatId) sends chat.alert_supervisor and says how many
// supervisors it reached; mountSupervise(store, socket, sound) draws the panel.

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
        : `${count} supervisor${count === 1 ? "" : "s"} alerted.`,
    );
    return count;
  } catch (error) {
    say(error?.message || "The supervisor could not be alerted.");
    return null;
  }
}

export async function watchChat(chatId) {
  const { store, socket } = live;
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
  store.emit("watched", { id: chatId });
}

export async function unwatchChat(chatId) {
  const { store, socket } = live;
  store.state.watched?.delete(chatId);
  store.emit("watched", { id: chatId });
  await socket.request({ type: "chat.unwatch", chat_id: chatId });
}

let noteCount = 0;

export async function addNote(chatId, body) {
  const ack = await live.socket.request({ type: "chat.note", chat_id: chatId, client_id: `note-${Date.now()}-${(noteCount += 1)}`, body });
  live.store.addNotes([ack.note]);
}

export async function setJoined(chatId, join) {
  const ack = await live.socket.request({ type: join ? "chat.join" : "chat.leave_join", chat_id: chatId });
  const watched = live.store.state.watched?.get(chatId);
  if (watched) watched.joined = ack.joined;
  live.store.emit("watched", { id: chatId });
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

export function mountSupervise(store, socket, sound, { where }) {
  live = { store, socket };
  const { state } = store;
  const supervisor = () => ["supervisor", "admin"].includes(state.me.role);

  const panel = el("section", { className: "supervise", "aria-labelledby": "supervise-title" });
  panel.append(el("h2", { id: "supervise-title", text: "Supervision" }));
  // Any librarian: call a supervisor about the chat on screen.
  const callButton = el("button", { type: "button", id: "alert-supervisor", text: "Alert a supervisor" });
  callButton.addEventListener("click", () => {
    if (state.current) alertSupervisor(state.current);
    else say("Open a chat first.");
  });
  panel.append(callButton);
  const alerts = el("div", { id: "supervisor-alerts", role: "alert", "aria-live": "assertive" });
  const notifyButton = el("button", { type: "button", id: "supervisor-notifications", text: "Allow desktop notifications" });
  notifyButton.addEventListener("click", () => {
    if ("Notification" in window) Notification.requestPermission().then((answer) => say(`Desktop notifications: ${answer}.`));
  });
  const watchForm = el("form", { id: "watch-form" });
  const watchInput = el("input", { id: "watch-chat-id", type: "number", min: "1", inputMode: "numeric" });
  watchForm.append(el("label", { htmlFor: "watch-chat-id", text: "Chat number to watch" }), watchInput, el("button", { type: "submit", text: "Watch" }));
  watchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = Number(watchInput.value);
    if (id > 0) watchChat(id).catch((error) => say(error?.message || "That chat cannot be watched."));
  });
  const watchedArea = el("div", { id: "watched-chats" });
  panel.append(alerts, notifyButton, watchForm, watchedArea);
  where.after(panel);

  function drawRole() {
    for (const node of [notifyButton, watchForm, watchedArea]) node.hidden = !supervisor();
  }
  drawRole();
  store.subscribe("presence", drawRole);

  store.subscribe("supervisor", ({ alert }) => {
    if (!supervisor()) return;
    sound?.play?.("loud");
    if ("Notification" in window && Notification.permission === "granted") {
      const shown = new Notification(`${alert.from_name} asks for a supervisor`, { body: alert.note || `Chat ${alert.chat_id} (${alert.campus})`, tag: `supervisor-${alert.chat_id}` });
      shown.onclick = () => window.focus();
    }
    const item = el("p", { className: "supervisor-alert" });
    item.append(el("span", { text: `${alert.from_name} asks for a supervisor on chat ${alert.chat_id} (${alert.campus})${alert.note ? `: ${alert.note}` : "."} ` }));
    const watch = el("button", { type: "button", text: "Watch chat" });
    watch.addEventListener("click", () => watchChat(alert.chat_id).catch((error) => say(error?.message || "That chat cannot be watched.")));
    item.append(watch);
    alerts.append(item);
  });

  function drawWatched() {
    watchedArea.replaceChildren();
    for (const [id, watched] of state.watched || []) {
      const box = el("section", { className: "watched-chat", "aria-label": `Watching chat ${id}` });
      box.append(el("h3", { text: `Watching chat ${id}: ${watched.chat.patron_name || "patron"} (${watched.chat.campus_name})` }));
      const lines = el("ol", { className: "watched-lines", "aria-live": "polite" });
      for (const message of watched.messages) {
        lines.append(el("li", { text: `${message.sender_name || message.sender}: ${message.body}` }));
      }
      box.append(lines);
      const notes = el("ul", { className: "watched-notes", "aria-label": "Internal notes" });
      for (const note of state.notes?.get(id) || []) {
        notes.append(el("li", { text: `Internal note — only staff see this. ${note.author_name}: ${note.body}` }));
      }
      box.append(notes);
      const form = el("form");
      const field = el("textarea", { id: `note-${id}`, maxLength: 4000, rows: 2 });
      form.append(el("label", { htmlFor: `note-${id}`, text: "Internal note" }), field, el("button", { type: "submit", text: "Add note" }));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (field.value.trim()) addNote(id, field.value).then(() => { field.value = ""; }, (error) => say(error?.message || "The note was not saved."));
      });
      const join = el("button", { type: "button", text: watched.joined ? "Leave chat" : "Join chat" });
      join.addEventListener("click", () => setJoined(id, !watched.joined).catch((error) => say(error?.message || "Not possible now.")));
      const stop = el("button", { type: "button", text: "Stop watching" });
      stop.addEventListener("click", () => unwatchChat(id));
      box.append(form, join, stop);
      watchedArea.append(box);
    }
  }
  store.subscribe("watched", drawWatched);
  store.subscribe("notes", ({ id }) => {
    if (state.watched?.has(id)) drawWatched();
  });
  // A watched chat that ends is no longer watched (the server left its groups).
  store.subscribe("chats", ({ id, kind }) => {
    if (kind === "ended" && state.watched?.delete(id)) drawWatched();
  });
}
