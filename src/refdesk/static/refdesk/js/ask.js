// The patron's side: the pre-chat form, then the live chat on the patron socket.
import { looksLikeQuestion } from "../namebox.js";
import { EmailPanels } from "./ask-email.js";
import { ReconnectingSocket, newClientId } from "./socket.js";
import { el, formatClock, placeMessage, renderRichText } from "./text.js";

const root = document.getElementById("ask");
const campus = root.dataset.campus;
const storageKey = `refdesk.chat.${campus}`;
const $ = (id) => document.getElementById(id);
// What the patron is told when the chat ends, by end reason. Whatever the desk's reason
// (a librarian closed it, it went idle, a supervisor dismissed it from a flood of spam),
// the patron is told plainly that it ended, unless they left themselves.
const ENDED_TEXT = {
  patron_left: "You left the chat. The chat has ended.",
  dismissed: "The chat has ended.",
  ticketed: "Your question was left as a ticket: the answer will come by email.",
};

const state = {
  token: null,
  lastSeq: 0,
  ended: false,
  librarianName: null,
  waiting: false, // in the queue, not claimed yet
  outbox: new Map(), // client_id -> body, until acknowledged
  socket: null,
  typingTimer: null,
  typingSentAt: 0,
  chatState: null, // the chat's state as the socket last told it
  deskOnline: true, // whether any librarian is online (chat.state, then desk.status)
  unavailable: root.dataset.unavailable === "1", // the page said chat is not available
};

function store() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

// A random id for this browser, kept across visits: the desk limits how many chats one
// browser starts in a while without knowing anything else about it.
function browserId() {
  const key = "refdesk.browser";
  try {
    let id = store()?.getItem(key);
    if (!id) {
      id = newClientId();
      store()?.setItem(key, id);
    }
    return id;
  } catch {
    return "";
  }
}

function setStatus(text) {
  $("status").textContent = text;
}

// --- pre-chat form -------------------------------------------------------

function nameHint() {
  const isQuestion = looksLikeQuestion($("name").value);
  $("name-hint").textContent = isQuestion
    ? "That looks like a question, so we'll send it as your question. You can leave your name empty."
    : "";
  $("question").required = !isQuestion;
  $("question").setAttribute("aria-required", String(!isQuestion));
  return isQuestion;
}

function showFormError(text, field) {
  const box = $("form-error");
  box.textContent = text;
  box.hidden = false;
  if (field && $(field)) $(field).focus();
}

async function startChat(event) {
  event.preventDefault();
  $("form-error").hidden = true;
  const nameIsQuestion = nameHint();
  const question = $("question").value.trim();
  if (!question && !nameIsQuestion) {
    showFormError("Please type your question.", "question");
    return;
  }
  const button = event.submitter || $("prechat").querySelector("button");
  button.disabled = true;
  setStatus("Connecting you to a librarian…");
  try {
    const response = await fetch("/api/chats", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        campus,
        name: $("name").value,
        email: $("email").value,
        question,
        page_url: root.dataset.pageUrl || (window.parent === window ? location.href : ""),
        browser: browserId(),
      }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status === 201) {
      store()?.setItem(storageKey, JSON.stringify({ token: data.token }));
      openChat(data.token);
      return;
    }
    if (data.code === "offline") {
      showOffline(data.hours_today);
      return;
    }
    if (data.code === "blocked") {
      showUnavailable(data.message);
      return;
    }
    setStatus("");
    showFormError(data.message || "Something went wrong. Please try again.", data.field);
  } catch {
    setStatus("");
    showFormError("We could not reach the library. Check your connection and try again.");
  } finally {
    button.disabled = false;
  }
}

// The desk will not take chats from this browser or address for now: a neutral notice in
// place of every form (the server's words, which never say why), and nothing to retry.
function showUnavailable(message) {
  state.unavailable = true;
  setStatus("");
  if (message) $("unavailable-text").textContent = message;
  $("prechat").hidden = true;
  $("offline").hidden = true;
  $("chat").hidden = true;
  $("unavailable").hidden = false;
  $("unavailable-title").focus();
}

// The panel's heading says it all; after a submitted form it takes the focus, so that
// a screen reader reads it out (on a fresh page the reader starts at the top anyway).
function showOffline(hoursToday, { focus = true } = {}) {
  setStatus("");
  if (hoursToday) {
    $("hours-today").textContent = hoursToday;
    $("offline-hours").textContent = hoursToday;
  }
  prefillTicket();
  $("prechat").hidden = true;
  $("offline").hidden = false;
  if (focus) $("offline-title").focus();
}

// --- the offline ticket form ---------------------------------------------

const TICKET_FIELDS = ["name", "email", "question"];
// A plausible address; the server has the last word.
const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/u;

// What the patron already typed into the chat form is not typed twice. A question typed
// into the name box goes where the question goes, as the chat form would have sent it.
function prefillTicket() {
  let name = $("name").value.trim();
  let question = $("question").value.trim();
  if (name && looksLikeQuestion(name)) {
    question = question ? `${name}\n${question}` : name;
    name = "";
  }
  const typed = { name, email: $("email").value.trim(), question };
  for (const field of TICKET_FIELDS) {
    const box = $(`ticket-${field}`);
    if (!box.value && typed[field]) box.value = typed[field];
  }
}

function setFieldError(field, text) {
  const box = $(`ticket-${field}`);
  const note = $(`ticket-${field}-error`);
  note.textContent = text || "";
  note.hidden = !text;
  if (text) box.setAttribute("aria-invalid", "true");
  else box.removeAttribute("aria-invalid");
}

function clearTicketErrors() {
  for (const field of TICKET_FIELDS) setFieldError(field, "");
  $("ticket-error").hidden = true;
  $("ticket-error").textContent = "";
}

function announceTicket(text) {
  // Emptied first, so that the same sentence twice is still read out twice.
  const live = $("ticket-status");
  live.textContent = "";
  setTimeout(() => (live.textContent = text), 50);
}

// A refusal: next to its field when it names one, else above the button.
function showTicketError(text, field) {
  if (TICKET_FIELDS.includes(field)) {
    setFieldError(field, text);
    $(`ticket-${field}`).focus();
  } else {
    $("ticket-error").textContent = text;
    $("ticket-error").hidden = false;
  }
  announceTicket(`Your question was not sent. ${text}`);
}

function checkTicketForm() {
  const email = $("ticket-email").value.trim();
  const question = $("ticket-question").value.trim();
  const max = Number(root.dataset.maxChars);
  if (!question && !looksLikeQuestion($("ticket-name").value)) {
    return ["Please type your question.", "question"];
  }
  if (question.length > max) return [`Your question is limited to ${max.toLocaleString()} characters.`, "question"];
  if (!email) return ["Please give your email address, so that we can answer you.", "email"];
  if (!EMAIL_SHAPE.test(email)) return ["That email address does not look right.", "email"];
  return null;
}

function retryWhen(seconds) {
  const at = new Date(Date.now() + Math.max(1, seconds) * 1000).toISOString();
  return ` You can send one again after ${formatClock(at)}.`;
}

async function sendTicket(event) {
  event.preventDefault();
  clearTicketErrors();
  const problem = checkTicketForm();
  if (problem) {
    showTicketError(...problem);
    return;
  }
  const button = $("ticket").querySelector("button[type=submit]");
  button.disabled = true;
  const email = $("ticket-email").value.trim();
  try {
    const response = await fetch("/api/tickets", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        campus,
        name: $("ticket-name").value,
        email,
        question: $("ticket-question").value,
        page_url: root.dataset.pageUrl || (window.parent === window ? location.href : ""),
        browser: browserId(),
      }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status === 201) {
      showTicketDone(email);
      return;
    }
    let text = data.message || "Something went wrong. Please try again.";
    if (data.code === "rate_limited" && data.retry_after) text += retryWhen(data.retry_after);
    showTicketError(text, data.field);
  } catch {
    showTicketError("We could not reach the library. Check your connection and try again.");
  } finally {
    button.disabled = false;
  }
}

function showTicketDone(email) {
  const text = `Thanks — we'll email you at ${email}.`;
  $("ticket-done-text").textContent = text;
  $("ticket").hidden = true;
  $("ticket-done").hidden = false;
  // The form and its button are gone: the confirmation takes the focus.
  $("ticket-done-text").focus();
  announceTicket(text);
  // Sent, so the chat form does not offer the same question again.
  $("question").value = "";
  $("ticket-question").value = "";
}

function anotherTicket() {
  clearTicketErrors();
  $("ticket-done").hidden = true;
  $("ticket").hidden = false;
  $("ticket-status").textContent = "";
  $("ticket-question").focus();
}

// Whether a librarian is online to take a chat: true, false, or null when we cannot tell
// (then the form stays, and POST /api/chats has the last word).
async function fetchAvailability() {
  try {
    const response = await fetch("/api/campuses", { headers: { Accept: "application/json" } });
    if (!response.ok) return { online: null };
    const data = await response.json();
    const mine = (data.campuses || []).find((c) => c.slug === campus);
    return mine ? { online: Boolean(mine.online), hoursToday: mine.hours_today } : { online: null };
  } catch {
    return { online: null };
  }
}

function formIsUntouched() {
  return !$("name").value && !$("email").value && !$("question").value;
}

// Tell the patron before they type a question that nobody can answer it now.
async function checkAvailabilityOnLoad() {
  const { online, hoursToday } = await fetchAvailability();
  if (online === false && !state.token && !$("prechat").hidden && formIsUntouched()) {
    showOffline(hoursToday, { focus: false });
  }
}

async function retryAfterOffline() {
  const button = $("offline-retry");
  button.disabled = true;
  const { online } = await fetchAvailability();
  button.disabled = false;
  if (online === false) {
    setStatus("Still no librarian online. Please try again later.");
    return;
  }
  // What was typed only into the ticket form comes back to the chat form.
  if (formIsUntouched()) {
    for (const field of TICKET_FIELDS) $(field).value = $(`ticket-${field}`).value;
    nameHint();
  }
  $("offline").hidden = true;
  $("prechat").hidden = false;
  setStatus("");
  $("name").focus();
}

// --- the chat ------------------------------------------------------------

function openChat(token) {
  state.token = token;
  state.lastSeq = 0;
  state.ended = false;
  state.chatState = null;
  state.deskOnline = true;
  $("desk-closed").hidden = true;
  $("messages").replaceChildren();
  $("prechat").hidden = true;
  $("offline").hidden = true;
  $("chat").hidden = false;
  $("new-chat").hidden = true;
  setComposerEnabled(true);
  setStatus("A librarian will be with you shortly.");
  state.socket = new ReconnectingSocket(
    () => `/ws/patron/${encodeURIComponent(state.token)}/?after=${state.lastSeq}`,
    { onFrame, onStatus: onConnection, onClose }
  );
  $("body").focus();
}

function onClose(event) {
  if (event.code === 4403) {
    // The chat link is no longer valid (it was purged, or never existed).
    store()?.removeItem(storageKey);
    resetToForm();
    return false;
  }
  return !state.ended;
}

function onConnection(status) {
  const box = $("connection");
  if (status === "reconnecting") {
    box.textContent = "Reconnecting…";
    box.hidden = false;
  } else if (status === "open") {
    box.hidden = true;
    box.textContent = "";
    flushOutbox();
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case "chat.state":
      applyChat(frame.chat);
      for (const message of frame.messages) addMessage(message);
      applyDesk(frame.desk_online);
      break;
    case "message":
      addMessage(frame);
      break;
    case "typing":
      $("typing").textContent = frame.active ? `${state.librarianName || "The librarian"} is typing…` : "";
      // A lost "stopped typing" must not leave the line up for ever.
      clearTimeout(state.typingShownTimer);
      if (frame.active) state.typingShownTimer = setTimeout(() => ($("typing").textContent = ""), 8000);
      break;
    case "queue.position":
      showPlace(frame.position);
      break;
    case "chat.claimed":
      state.chatState = "active";
      applyDesk(state.deskOnline);
      state.waiting = false;
      showPlace(null);
      state.librarianName = frame.by;
      $("chat-title").textContent = `Chatting with ${frame.by}`;
      setStatus(`${frame.by} has joined the chat.`);
      break;
    case "chat.transferred":
      // Back to a queue: waiting again, and the next "queue.position" says where.
      state.waiting = !frame.to;
      showPlace(null);
      state.librarianName = frame.to || null;
      $("chat-title").textContent = frame.to ? `Chatting with ${frame.to}` : "Waiting for a librarian";
      setStatus(
        frame.to
          ? `You are now chatting with ${frame.to}.`
          : `Your chat is waiting for the next librarian at ${frame.campus_name}.`
      );
      // Back in a queue while nobody is online: the ticket is offered at once.
      state.chatState = frame.to ? "active" : "waiting";
      applyDesk(state.deskOnline);
      break;
    case "chat.ended":
      endChat(frame.reason);
      break;
    case "desk.status":
      applyDesk(frame.online);
      break;
    case "email.requested":
      emailPanels().requested();
      break;
    case "chat.ticket_offer":
      if (!state.ended) emailPanels().ticketOffer();
      break;
    case "error":
      showComposerError(frame.message);
      break;
    default:
      break;
  }
}

function applyChat(chat) {
  state.chatState = chat.state;
  if (chat.librarian_name) {
    state.waiting = false;
    showPlace(null);
    state.librarianName = chat.librarian_name;
    $("chat-title").textContent = `Chatting with ${chat.librarian_name}`;
    setStatus(`You are chatting with ${chat.librarian_name}.`);
  } else if (chat.state === "waiting") {
    state.waiting = true;
    setStatus("A librarian will be with you shortly.");
    showPlace(chat.queue_position);
  }
  if (chat.state === "ended") endChat(chat.end_reason);
}

// --- nobody online while the chat waits --------------------------------------

// A waiting patron is told at once when the last librarian leaves, and offered to leave the
// question by email instead; the chat stays in the queue until they choose.
function applyDesk(online) {
  state.deskOnline = online !== false;
  const offer = !state.deskOnline && state.chatState === "waiting" && !state.ended;
  const box = $("desk-closed");
  if (offer === !box.hidden) return;
  box.hidden = !offer;
  if (offer) setStatus("No librarian is online right now.");
  else if (state.chatState === "waiting" && !state.ended) setStatus("A librarian is online again and will be with you shortly.");
}

// The offer is the widget's own ticket offer: the chat becomes a ticket with its transcript.
function ticketInsteadOfChat() {
  emailPanels().ticketOffer();
}

// A waiting patron's place in the campus's queue, kept current by "queue.position", in a
// line of its own under the status (a polite live region too).
function showPlace(position) {
  const box = $("queue-place");
  const waiting = state.waiting && !state.ended;
  const text = !waiting ? "" : position === 1 ? "You are next in the queue." : position > 1 ? `You are number ${position} in the queue.` : "";
  if (box.textContent !== text) box.textContent = text;
  box.hidden = !text;
}

// The desk's own answer (the hours, to a waiting patron) says that it is one.
const AUTOMATIC_LABEL = "Automatic answer";

function messageNode(message, pending) {
  const who = message.automatic
    ? AUTOMATIC_LABEL
    : message.sender === "patron" ? "You" : message.sender === "system" ? "" : message.sender_name || "Librarian";
  const body = el("div", { class: "body", dir: "auto" });
  renderRichText(body, message.body);
  // A div, not a list item: the conversation is a live log (role=log), not a list.
  return el(
    "div",
    {
      class: `message from-${message.sender}${message.automatic ? " automatic" : ""}${pending ? " pending" : ""}`,
      "data-seq": message.seq || null,
      "data-client-id": message.client_id || null,
    },
    who ? el("span", { class: "who", text: who }) : null,
    body,
    el("time", { class: "when", datetime: message.sent_at || null, text: pending ? "sending…" : formatClock(message.sent_at) })
  );
}

// Scroll the conversation, not the page: scrollIntoView would also move the window (and,
// inside the widget, the campus page around the frame).
function scrollToEnd(list) {
  list.scrollTop = list.scrollHeight;
}

function addMessage(message) {
  const list = $("messages");
  if (message.client_id && message.sender === "patron") {
    state.outbox.delete(message.client_id);
    list.querySelector(`.message.pending[data-client-id="${CSS.escape(message.client_id)}"]`)?.remove();
  }
  // Drop a line already shown. One that comes after a later line (the ack of the patron's
  // own line after the automatic answer to it) takes its place in seq order.
  if (list.querySelector(`.message[data-seq="${Number(message.seq)}"]`)) return;
  state.lastSeq = Math.max(state.lastSeq, message.seq);
  if (message.sender === "librarian") $("typing").textContent = "";
  placeMessage(list, messageNode(message, false), message.seq);
  scrollToEnd(list);
}

function send(event) {
  event.preventDefault();
  const text = $("body").value.trim();
  if (!text || state.ended) return;
  const max = Number(root.dataset.maxChars);
  if (text.length > max) {
    showComposerError(`Messages are limited to ${max.toLocaleString()} characters.`);
    return;
  }
  $("composer-error").hidden = true;
  const clientId = newClientId();
  state.outbox.set(clientId, text);
  const list = $("messages");
  list.append(messageNode({ sender: "patron", body: text, client_id: clientId }, true));
  scrollToEnd(list);
  $("body").value = "";
  sendTyping(false);
  deliver(clientId, text);
}

function deliver(clientId, text) {
  state.socket
    .request({ type: "message.send", client_id: clientId, body: text })
    .then((ack) => addMessage(ack.message))
    .catch((error) => {
      if (error.code === "rate_limited") {
        setTimeout(() => deliver(clientId, text), Math.max(100, (error.retry_after || 1) * 1000));
        return;
      }
      if (error.code !== "disconnected") {
        state.outbox.delete(clientId);
        document.querySelector(`.message.pending[data-client-id="${CSS.escape(clientId)}"]`)?.remove();
        if (!$("body").value) $("body").value = text; // not lost: edit it and send again
        showComposerError(error.message);
      }
      // Disconnected: the message stays in the outbox and is resent on reconnect.
    });
}

function flushOutbox() {
  for (const [clientId, text] of state.outbox) deliver(clientId, text);
}

function showComposerError(text) {
  const box = $("composer-error");
  box.textContent = text;
  box.hidden = false;
}

function sendTyping(active) {
  if (!state.socket) return;
  const now = Date.now();
  if (active && now - state.typingSentAt < 3000) return;
  state.typingSentAt = active ? now : 0;
  state.socket.notify({ type: "typing", active });
}

function onInput() {
  sendTyping(true);
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => sendTyping(false), 4000);
}

function setComposerEnabled(enabled) {
  $("body").disabled = !enabled;
  $("composer").querySelector("button").disabled = !enabled;
  $("leave").hidden = !enabled;
}

// The email panels of this chat (email asked for, ticket offer, transcript).
function emailPanels() {
  if (!state.emailPanels) {
    state.emailPanels = new EmailPanels({
      place: (node) => $("composer").before(node),
      request: (frame) => state.socket.request(frame),
      status: setStatus,
      email: $("email").value,
    });
  }
  return state.emailPanels;
}

function endChat(reason) {
  if (state.ended) return;
  state.ended = true;
  state.chatState = "ended";
  $("desk-closed").hidden = true;
  state.waiting = false;
  showPlace(null);
  state.outbox.clear();
  setComposerEnabled(false);
  $("typing").textContent = "";
  setStatus(ENDED_TEXT[reason] || "The chat has ended.");
  $("new-chat").hidden = false;
  store()?.removeItem(storageKey);
  // The socket stays open for "Email me the transcript"; it is stopped with a new chat.
  emailPanels().ended();
}

async function leave() {
  if (state.ended) return;
  try {
    await state.socket.request({ type: "chat.leave" });
  } catch (error) {
    if (error.code !== "chat_ended") showComposerError("Could not leave: you are offline. Try again.");
    return;
  }
  endChat("patron_left");
}

function resetToForm() {
  if (state.unavailable) {
    showUnavailable();
    return;
  }
  state.socket?.stop();
  state.socket = null;
  for (const kind of ["requested", "offer", "transcript"]) state.emailPanels?.close(kind);
  state.emailPanels = null;
  state.token = null;
  $("chat").hidden = true;
  $("offline").hidden = true;
  $("prechat").hidden = false;
  $("question").value = "";
  setStatus("");
  $("name").focus();
}

// --- wiring --------------------------------------------------------------

$("prechat").addEventListener("submit", startChat);
$("name").addEventListener("input", nameHint);
$("composer").addEventListener("submit", send);
$("body").addEventListener("input", onInput);
$("body").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
$("leave").addEventListener("click", leave);
$("new-chat").addEventListener("click", resetToForm);
$("offline-retry").addEventListener("click", retryAfterOffline);
$("ticket").addEventListener("submit", sendTicket);
$("ticket-another").addEventListener("click", anotherTicket);
$("desk-ticket").addEventListener("click", ticketInsteadOfChat);

// Inside the widget's frame, Escape closes the widget: key presses in a frame never reach
// the campus page, so the frame asks its parent (widget.js checks where this came from).
if (window.parent !== window) {
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      window.parent.postMessage({ refdesk: "close" }, "*");
    }
  });
}

const saved = (() => {
  try {
    return JSON.parse(store()?.getItem(storageKey) || "null");
  } catch {
    return null;
  }
})();
if (state.unavailable) store()?.removeItem(storageKey);
else if (saved?.token) openChat(saved.token);
else checkAvailabilityOnLoad();

// The page knows only the address: whether this browser's id is blocked (it may come from
// another address) is asked once on load. The answer is neutral, like the page's own.
async function checkBrowserOnLoad() {
  if (state.unavailable) return;
  try {
    const response = await fetch("/api/chats/status", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ browser: browserId() }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok && data.available === false) {
      store()?.removeItem(storageKey);
      state.socket?.stop();
      state.socket = null;
      showUnavailable(data.message);
    }
  } catch {
    // Offline or refused: POST /api/chats answers the same question when the patron starts.
  }
}
checkBrowserOnLoad();

// For tests and for patrons' own debugging: drop the connection to see it resume.
window.refdeskPatron = { drop: () => state.socket?.drop(), state };
