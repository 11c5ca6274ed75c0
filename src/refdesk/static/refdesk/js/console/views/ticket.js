// A ticket's own view, beside the Tickets list: the question, the patron's name and
// email, the chat's transcript when it came from a chat, the thread (replies, the
// patron's answers and internal notes, each marked in words), and the work on it: Claim,
// Assign to, Move to campus, Reply (emailed), Add internal note (never sent), Set pending
// and Close. Each action says its error in words next to its control.
//
// The controls are built once and only their contents change, so the keyboard's focus
// stays on the control the librarian used while the ticket updates live around it.
import { el, formatClock, renderRichText } from "../../text.js";
import { plural } from "../words.js";
import { badge } from "./common.js";
import { STATE_WORDS, campusesOfPage, formatWhen } from "./ticketdesk.js";

// Every part of an address is encoded, so that nothing in it reads as a mailto: header.
function mailto(email) {
  return `mailto:${email.split("@").map(encodeURIComponent).join("@")}`;
}

function errorLine(id) {
  return el("p", { id, class: "field-error", role: "alert", hidden: true });
}

function showError(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

// Busy controls stay focusable (a disabled button would drop the keyboard's focus): they
// are marked, and a second press while the first is under way does nothing.
function markBusy(button, busy) {
  if (busy) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

const SOURCE_WORDS = { chat: "A chat that became a ticket", form: "The offline form" };

function entryNode(entry) {
  const body = el("div", { class: "tv-entry-body", dir: "auto" });
  renderRichText(body, entry.body);
  const when = el("time", { datetime: entry.created_at, text: formatWhen(entry.created_at) });
  let label;
  let detail = null;
  if (entry.kind === "note") {
    label = el("span", { class: "tv-kind", text: "Internal note" });
    detail = el("span", { class: "tv-note-warning", text: "Never sent to the patron" });
  } else if (entry.kind === "patron") {
    label = el("span", { class: "tv-kind", text: "Patron's answer" });
  } else {
    label = el("span", { class: "tv-kind", text: "Reply" });
    detail =
      entry.send_state === "unsent"
        ? el(
            "span",
            { class: "tv-send tv-unsent" },
            el("strong", { text: "Not sent yet — will retry" }),
            entry.send_attempts ? ` (${plural(entry.send_attempts, "attempt")}${entry.last_error ? `; last: ${entry.last_error}` : ""})` : ""
          )
        : el("span", { class: "tv-send tv-sent", text: `Emailed${entry.sent_at ? ` at ${formatClock(entry.sent_at)}` : ""}` });
  }
  return el(
    "li",
    { class: `tv-entry tv-entry-${entry.kind}${entry.send_state === "unsent" ? " tv-entry-unsent" : ""}`, "data-entry-id": entry.id },
    el("p", { class: "tv-entry-head" }, label, " ", el("span", { class: "tv-author", dir: "auto", text: entry.author_name || (entry.kind === "patron" ? "Patron" : "Librarian") }), " · ", when, detail ? " · " : null, detail),
    body
  );
}

function transcriptLine(message) {
  const body = el("span", { class: "tv-line-body", dir: "auto" });
  renderRichText(body, message.body);
  const who = message.sender === "system" ? "Desk" : message.sender_name || (message.sender === "patron" ? "Patron" : "Librarian");
  return el(
    "li",
    { class: `tv-line from-${message.sender}` },
    el("span", { class: "tv-line-who", dir: "auto", text: `${who}: ` }),
    body,
    " ",
    el("time", { datetime: message.sent_at, text: formatClock(message.sent_at) })
  );
}

export function mountTicket(store, actions, { view, list, nodes }) {
  const desk = store.ticketdesk;
  const { state } = desk;
  const { me } = store.state;

  // --- the skeleton, built once --------------------------------------------------------

  const title = el("h2", { id: "ticket-view-title", class: "tv-title", tabindex: "-1" });
  const back = el("button", { type: "button", class: "button subtle tv-back", text: "Back to the list" });
  const loading = el("p", { class: "tv-loading", role: "status", "aria-live": "polite" });
  const live = el("p", { class: "visually-hidden tv-live", role: "status", "aria-live": "polite" });
  const loadError = el("p", { class: "notice error", role: "alert", hidden: true });
  const details = el("dl", { class: "details tv-details" });
  const question = el("blockquote", { class: "tv-question", dir: "auto" });
  const transcriptList = el("ol", { class: "tv-transcript-lines" });
  const transcriptSummary = el("summary", { text: "Chat transcript" });
  const transcript = el("details", { class: "tv-transcript", open: true, hidden: true }, transcriptSummary, transcriptList);
  const thread = el("ol", { class: "tv-thread", "aria-labelledby": "tv-thread-title" });
  const threadEmpty = el("p", { class: "empty", text: "No replies or notes yet." });

  const owner = el("p", { class: "tv-owner-line", tabindex: "-1" });
  const claimButton = el("button", { type: "button", class: "button primary tv-claim", text: "Claim" });
  const claimError = errorLine("tv-claim-error");

  const assignSelect = el("select", { id: "tv-assign", "aria-describedby": "tv-assign-error" });
  const assignButton = el("button", { type: "button", class: "button subtle", text: "Assign" });
  const assignError = errorLine("tv-assign-error");

  const moveSelect = el("select", { id: "tv-move", "aria-describedby": "tv-move-error" });
  const moveButton = el("button", { type: "button", class: "button subtle", text: "Move" });
  const moveError = errorLine("tv-move-error");

  const pendingButton = el("button", { type: "button", class: "button subtle tv-pending", text: "Set pending" });
  const closeButton = el("button", { type: "button", class: "button subtle tv-close", text: "Close ticket" });
  const statusError = errorLine("tv-status-error");

  const replyBox = el("textarea", { id: "tv-reply", rows: "5", maxlength: "4000", "aria-describedby": "tv-reply-hint tv-reply-error tv-reply-done" });
  const replyHint = el("p", { id: "tv-reply-hint", class: "tv-hint" });
  const replyButton = el("button", { type: "submit", class: "button primary", text: "Send reply by email" });
  const replyError = errorLine("tv-reply-error");
  const replyDone = el("p", { id: "tv-reply-done", class: "tv-done", role: "status" });
  const replyForm = el(
    "form",
    { class: "tv-form tv-reply-form", novalidate: true },
    el("label", { for: "tv-reply", text: "Reply to the patron" }),
    replyHint,
    replyBox,
    replyError,
    el("div", { class: "tv-form-buttons" }, replyButton),
    replyDone
  );

  const noteBox = el("textarea", { id: "tv-note", rows: "3", maxlength: "4000", "aria-describedby": "tv-note-hint tv-note-error" });
  const noteButton = el("button", { type: "submit", class: "button subtle", text: "Add internal note" });
  const noteError = errorLine("tv-note-error");
  const noteForm = el(
    "form",
    { class: "tv-form tv-note-form", novalidate: true },
    el("label", { for: "tv-note", text: "Internal note" }),
    el("p", { id: "tv-note-hint", class: "tv-hint", text: "Only librarians see notes: a note is never emailed or shown to the patron. Ctrl+Enter adds it." }),
    noteBox,
    noteError,
    el("div", { class: "tv-form-buttons" }, noteButton)
  );

  const work = el(
    "section",
    { class: "tv-work", "aria-labelledby": "tv-work-title" },
    el("h3", { id: "tv-work-title", class: "visually-hidden", text: "Work on this ticket" }),
    el("div", { class: "tv-action" }, owner, claimButton, claimError),
    el(
      "div",
      { class: "tv-action" },
      el("label", { for: "tv-assign", text: "Assign to" }),
      el("div", { class: "tv-row" }, assignSelect, assignButton),
      assignError
    ),
    el(
      "div",
      { class: "tv-action" },
      el("label", { for: "tv-move", text: "Move to campus" }),
      el("div", { class: "tv-row" }, moveSelect, moveButton),
      moveError
    ),
    el("div", { class: "tv-action", role: "group", "aria-label": "State" }, el("div", { class: "tv-row" }, pendingButton, closeButton), statusError)
  );

  view.append(
    el("div", { class: "tv-head" }, title, back),
    loading,
    live,
    loadError,
    el("div", { class: "tv-state-line" }),
    work,
    details,
    el("h3", { text: "Question" }),
    question,
    transcript,
    el("h3", { id: "tv-thread-title", text: "Thread" }),
    thread,
    threadEmpty,
    replyForm,
    noteForm
  );
  const stateLine = view.querySelector(".tv-state-line");

  // --- drawing -----------------------------------------------------------------------

  const lastSeen = { id: null, entries: new Map() }; // entry id -> send_state, to say changes

  function librarianOptions() {
    const chosen = assignSelect.value;
    const people = [...store.state.presence.values()].sort((a, b) => a.display_name.localeCompare(b.display_name));
    const option = (p) => el("option", { value: String(p.librarian_id), text: `${p.display_name} (${p.campus})${p.librarian_id === me.id ? " — you" : ""}` });
    const online = people.filter((p) => p.status === "online");
    const others = people.filter((p) => p.status !== "online");
    assignSelect.replaceChildren(
      el("option", { value: "", text: "Choose a librarian…" }),
      el("optgroup", { label: "Online now" }, ...online.map(option)),
      el("optgroup", { label: "Everyone else" }, ...others.map(option))
    );
    assignSelect.value = chosen;
    if (assignSelect.value !== chosen) assignSelect.value = "";
  }

  function campusOptions(ticket) {
    const chosen = moveSelect.value;
    const others = campusesOfPage().filter((c) => !ticket || c.slug !== ticket.campus);
    moveSelect.replaceChildren(el("option", { value: "", text: "Choose a campus…" }), ...others.map((c) => el("option", { value: c.slug, text: c.name })));
    moveSelect.value = chosen;
    if (moveSelect.value !== chosen) moveSelect.value = "";
  }

  function drawErrors() {
    const errors = state.open?.errors || {};
    showError(claimError, errors.claim);
    showError(assignError, errors.assign);
    showError(moveError, errors.move);
    showError(statusError, errors.status);
    showError(replyError, errors.reply);
    showError(noteError, errors.note);
  }

  function drawBusy() {
    const busy = state.open?.busy || {};
    markBusy(claimButton, busy.claim);
    markBusy(assignButton, busy.assign);
    markBusy(moveButton, busy.move);
    markBusy(pendingButton, busy.status);
    markBusy(closeButton, busy.status);
    markBusy(replyButton, busy.reply);
    markBusy(noteButton, busy.note);
  }

  // Tell a screen reader what changed in the thread since it was drawn: the patron
  // answered, a reply went out, or could not be sent.
  function sayChanges(ticket) {
    if (lastSeen.id !== ticket.id) {
      lastSeen.id = ticket.id;
      lastSeen.entries = new Map(ticket.thread.map((e) => [e.id, e.send_state]));
      return;
    }
    const said = [];
    for (const entry of ticket.thread) {
      const before = lastSeen.entries.get(entry.id);
      if (before === undefined && entry.kind === "patron") said.push(`${entry.author_name || "The patron"} answered.`);
      if (before === "unsent" && entry.send_state === "sent") said.push("The reply was emailed.");
      if (before === undefined && entry.kind === "reply" && entry.send_state === "unsent" && entry.send_attempts) {
        said.push("The reply is saved but not sent yet; it will be retried.");
      }
    }
    lastSeen.entries = new Map(ticket.thread.map((e) => [e.id, e.send_state]));
    if (said.length) live.textContent = said.join(" ");
  }

  function draw() {
    const open = state.open;
    view.hidden = !open;
    view.closest(".ticketdesk")?.classList.toggle("has-ticket", Boolean(open));
    if (!open) return;
    const ticket = open.ticket;
    loading.textContent = open.loading && !open.full ? "Loading the ticket…" : "";
    showError(loadError, open.error);
    if (!ticket) {
      title.textContent = `Ticket ${open.id}`;
      return;
    }
    const who = ticket.name || ticket.email || "the patron";
    title.textContent = `Ticket ${ticket.id}: ${who}`;
    stateLine.replaceChildren(
      badge(ticket),
      " ",
      el("span", { class: `td-state td-state-${ticket.state}`, text: STATE_WORDS[ticket.state] || ticket.state })
    );
    const rows = [
      ["Name", ticket.name || "(no name given)"],
      ["Email", ticket.email ? el("a", { href: mailto(ticket.email), text: ticket.email }) : "(none)"],
      ["Campus", ticket.campus_name],
      ["Filed", new Date(ticket.created_at).toLocaleString()],
      ["From", SOURCE_WORDS[ticket.source] || ticket.source],
    ];
    details.replaceChildren(...rows.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { dir: "auto" }, value)]));
    question.replaceChildren();
    renderRichText(question, ticket.question);

    const mine = ticket.owner_id === me.id;
    const focusedClaim = document.activeElement === claimButton;
    owner.textContent = ticket.owner_id == null ? "Nobody has this ticket yet." : mine ? "You have this ticket." : `${ticket.owner} has this ticket.`;
    claimButton.hidden = ticket.owner_id != null;
    // The Claim button went away under the keyboard: the line that says who has it takes
    // the focus.
    if (focusedClaim && claimButton.hidden) owner.focus();
    campusOptions(ticket);
    replyHint.textContent = ticket.email
      ? `Emailed to ${ticket.email}, with the question and a link to answer. Ctrl+Enter sends.`
      : "This ticket has no email address, so it cannot be answered by email.";

    if (open.full) {
      const lines = ticket.transcript || [];
      transcript.hidden = ticket.transcript == null;
      transcriptSummary.textContent = `Chat transcript (${plural(lines.length, "line")})`;
      transcriptList.replaceChildren(...lines.map(transcriptLine));
      thread.replaceChildren(...ticket.thread.map(entryNode));
      threadEmpty.hidden = ticket.thread.length > 0;
      sayChanges(ticket);
    }
  }

  function openTicketView({ focus }) {
    replyBox.value = "";
    noteBox.value = "";
    replyDone.textContent = "";
    live.textContent = "";
    assignSelect.value = "";
    moveSelect.value = "";
    lastSeen.id = null;
    librarianOptions();
    draw();
    drawErrors();
    drawBusy();
    if (focus) title.focus();
  }

  // --- what the librarian does ----------------------------------------------------------

  const openId = () => state.open?.id;
  const busy = (action) => Boolean(state.open?.busy[action]);

  claimButton.addEventListener("click", () => {
    if (!busy("claim")) actions.claim(openId());
  });
  assignButton.addEventListener("click", () => {
    if (busy("assign")) return;
    if (!assignSelect.value) {
      desk.setError("assign", "Choose a librarian first.");
      assignSelect.focus();
      return;
    }
    actions.assign(openId(), Number(assignSelect.value));
  });
  moveButton.addEventListener("click", async () => {
    if (busy("move")) return;
    if (!moveSelect.value) {
      desk.setError("move", "Choose a campus first.");
      moveSelect.focus();
      return;
    }
    if (await actions.move(openId(), moveSelect.value)) moveSelect.value = "";
  });
  pendingButton.addEventListener("click", () => {
    if (!busy("status")) actions.setState(openId(), "pending");
  });
  closeButton.addEventListener("click", () => {
    if (!busy("status")) actions.setState(openId(), "closed");
  });

  async function sendReply() {
    if (busy("reply")) return;
    const body = replyBox.value.trim();
    replyDone.textContent = "";
    if (!body) {
      desk.setError("reply", "Write the reply first.");
      replyBox.focus();
      return;
    }
    const ticket = await actions.reply(openId(), body);
    if (!ticket) return;
    replyBox.value = "";
    const entry = [...ticket.thread].reverse().find((e) => e.kind === "reply");
    replyDone.textContent =
      entry && entry.send_state === "unsent"
        ? "Reply saved, but not sent yet: it will be retried until it goes."
        : `Reply emailed to ${ticket.email}.`;
  }

  async function addNote() {
    if (busy("note")) return;
    const body = noteBox.value.trim();
    if (!body) {
      desk.setError("note", "Write the note first.");
      noteBox.focus();
      return;
    }
    if (await actions.note(openId(), body)) noteBox.value = "";
  }

  replyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });
  noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    addNote();
  });
  // Enter makes a new line (replies are letters); Ctrl+Enter (or ⌘+Enter) sends.
  for (const [box, send] of [
    [replyBox, sendReply],
    [noteBox, addNote],
  ]) {
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        send();
      }
    });
  }

  function closeView() {
    const id = openId();
    desk.closeTicket();
    // Back to the ticket's row in the list, or the list itself when it left the filter.
    const node = id != null ? nodes.get(id) : null;
    (node?.querySelector("button") || list).focus();
  }
  back.addEventListener("click", closeView);
  // Escape leaves the ticket, unless it would throw away words being written.
  view.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const target = event.target;
    if ((target === replyBox || target === noteBox) && target.value.trim()) return;
    event.preventDefault();
    closeView();
  });

  store.subscribe("ticket", (change) => {
    if (change.kind === "open") openTicketView({ focus: true });
    else if (change.kind === "close") draw();
    else if (change.kind === "error") {
      drawErrors();
      if (!change.action) draw();
    } else if (change.kind === "busy") drawBusy();
    else draw();
  });
  store.subscribe("presence", () => {
    if (state.open) librarianOptions();
  });
  draw();
}
