// Beside each chat: the campus panel (the chat's campus's hours today on its own clock,
// whether it is open now, the coming week's exceptions, its links, its staff notes, and
// the directory's contacts for it: counselling, security, IT, disability services and
// writing, the campus's own and the consortium's) and
// the reference-interview card. A link or a question is one click from the composer: it
// goes in at the caret. Supervisors and admins edit the staff notes here. The facts come
// with the snapshot and with every campus.facts event; they also change by the clock
// alone, so the panel asks for a campus's facts again at its changes_at.
import { el } from "../../text.js";
import { CAMPUS_PANEL_CATEGORIES, renderContacts } from "./directory.js";

// Whether the interview card is collapsed, kept across reloads where storage is allowed.
const COLLAPSED_KEY = "refdesk.interview";
const EDITORS = new Set(["supervisor", "admin"]);
// A timer longer than this is cut short (setTimeout's limit is about 24.8 days).
const LONGEST_WAIT_MS = 6 * 60 * 60 * 1000;
// A campus's facts are asked for at most this often, whatever the clocks say.
const ASK_AGAIN_MS = 10 * 1000;

function readCollapsed() {
  try {
    return window.localStorage.getItem(COLLAPSED_KEY) === "collapsed";
  } catch {
    return false;
  }
}

function writeCollapsed(collapsed) {
  try {
    window.localStorage.setItem(COLLAPSED_KEY, collapsed ? "collapsed" : "open");
  } catch {
    // Storage blocked: the choice lasts for this page.
  }
}

// Put text into a composer at its caret (replacing a selection), spaced from the words
// around it, and leave the caret after it.
export function insertAtCaret(box, text) {
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? start;
  const before = box.value.slice(0, start);
  const after = box.value.slice(end);
  const lead = before && !/\s$/.test(before) ? " " : "";
  const trail = after && !/^\s/.test(after) ? " " : "";
  box.focus();
  box.setRangeText(`${lead}${text}${trail}`, start, end, "end");
  // The composer's own listeners (typing) hear of it as of any other input.
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

export function mountFacts(store, socket) {
  const { state } = store;
  const drawn = new Map(); // chat id -> the nodes of its panel and card
  let collapsed = readCollapsed();
  let refreshTimer = null;
  const asked = new Map(); // campus slug -> when its facts were last asked for (store.now())

  const canEdit = () => EDITORS.has(state.me.role);
  // The chat's composer while it takes text (not once the chat ended).
  const composer = (id) => {
    const box = document.getElementById(`compose-${id}`);
    return box && !box.disabled && !box.closest("form")?.hidden ? box : null;
  };

  function build(id, pane) {
    const parts = { campus: null };
    parts.title = el("h4", { class: "facts-title", id: `campus-facts-title-${id}` });
    parts.body = el("div", { class: "facts-body" });
    parts.notes = el("div", { class: "facts-notes-text" });
    parts.contacts = el("div", { class: "facts-contacts", id: `campus-contacts-${id}` });
    parts.saved = el("p", { class: "facts-saved", role: "status" });
    parts.notesBox = el("textarea", { id: `campus-notes-${id}`, rows: "6", maxlength: "4000" });
    parts.notesError = el("p", { class: "notice error", role: "alert", hidden: true });
    parts.notesLabel = el("label", { for: `campus-notes-${id}`, text: "Staff notes" });
    // The form's fields are in the page only while it is open: the composer stays the
    // pane's one text box otherwise.
    parts.editorFields = [
      parts.notesLabel,
      parts.notesBox,
      parts.notesError,
      el(
        "div",
        { class: "notes-editor-buttons" },
        el("button", { type: "submit", class: "button primary", text: "Save notes" }),
        el("button", { type: "button", class: "button subtle", text: "Cancel", onclick: () => closeEditor(id) })
      ),
    ];
    parts.editor = el("form", { class: "notes-editor", hidden: true, onsubmit: (event) => saveNotes(event, id) });
    parts.editButton = el("button", {
      type: "button",
      class: "button subtle edit-notes",
      text: "Edit notes",
      onclick: () => openEditor(id),
    });
    parts.editor.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        closeEditor(id);
      }
    });
    parts.panel = el(
      "section",
      { class: "campus-panel", "aria-labelledby": parts.title.id },
      parts.title,
      parts.body,
      el("h5", { class: "facts-subtitle", text: "Staff notes" }),
      parts.notes,
      parts.editButton,
      parts.editor,
      parts.saved,
      el("h5", { class: "facts-subtitle", text: "Contacts" }),
      parts.contacts
    );

    parts.toggle = el("button", {
      type: "button",
      class: "interview-toggle",
      "aria-expanded": "true",
      "aria-controls": `interview-${id}`,
      text: "Reference interview",
      onclick: () => setCollapsed(!collapsed),
    });
    parts.questions = el("ul", { class: "interview-questions", id: `interview-${id}` });
    parts.card = el(
      "section",
      { class: "interview-card", "aria-labelledby": `interview-title-${id}` },
      el("h4", { class: "facts-title", id: `interview-title-${id}` }, parts.toggle),
      parts.questions
    );
    parts.aside = el("aside", { class: "chat-facts", "aria-label": "Campus facts and interview" }, parts.panel, parts.card);
    pane.append(parts.aside);
    drawn.set(id, parts);
    drawCampus(id);
    drawQuestions(id);
    drawCollapsed(parts);
  }

  function drawCampus(id) {
    const parts = drawn.get(id);
    const chat = state.chats.get(id);
    if (!parts || !chat) return;
    const slug = chat.summary.campus;
    const facts = state.campusFacts.get(slug);
    const moved = parts.campus !== slug;
    parts.campus = slug;
    if (moved) closeEditor(id, { focus: false });
    if (moved) renderContacts(parts.contacts, slug, CAMPUS_PANEL_CATEGORIES);
    parts.title.textContent = facts ? facts.name : chat.summary.campus_name;
    parts.editButton.hidden = !canEdit() || !facts || !parts.editor.hidden;
    if (!facts) {
      parts.body.replaceChildren(el("p", { class: "facts-missing", text: "This campus's hours and links are not available." }));
      parts.notes.replaceChildren();
      return;
    }
    const rows = [
      el("dl", { class: "facts-today" }, el("dt", { text: "Today" }), el("dd", { class: "facts-hours", text: facts.hours_today })),
      el("p", { class: `facts-status ${facts.open_now ? "is-open" : "is-closed"}`, text: facts.status }),
    ];
    if (facts.exceptions.length) {
      rows.push(
        el("h5", { class: "facts-subtitle", text: "Coming days" }),
        el(
          "ul",
          { class: "facts-exceptions" },
          ...facts.exceptions.map(([day, hours]) => el("li", {}, el("span", { class: "facts-day", text: day }), `: ${hours}`))
        )
      );
    }
    rows.push(el("h5", { class: "facts-subtitle", text: "Links" }));
    if (facts.links.length) {
      rows.push(
        el(
          "ul",
          { class: "facts-links" },
          ...facts.links.map((link) =>
            el(
              "li",
              {},
              el("button", {
                type: "button",
                class: "link-button facts-link",
                "aria-label": `Insert ${link.title} link`,
                "data-url": link.url,
                text: link.title,
                onclick: () => {
                  const target = composer(id);
                  if (target) insertAtCaret(target, link.url);
                },
              }),
              el("span", { class: "facts-url", text: link.url })
            )
          )
        )
      );
    } else {
      rows.push(el("p", { class: "facts-none", text: "No links yet." }));
    }
    parts.body.replaceChildren(...rows);
    parts.notes.replaceChildren(facts.notes ? el("p", { class: "facts-notes", text: facts.notes }) : el("p", { class: "facts-none", text: "No notes yet." }));
  }

  function drawQuestions(id) {
    const parts = drawn.get(id);
    if (!parts) return;
    const questions = state.interviewQuestions;
    parts.card.hidden = questions.length === 0;
    parts.questions.replaceChildren(
      ...questions.map((question) =>
        el(
          "li",
          {},
          el("button", {
            type: "button",
            class: "interview-question",
            text: question,
            onclick: () => {
              const target = composer(id);
              if (target) insertAtCaret(target, question);
            },
          })
        )
      )
    );
  }

  function drawCollapsed(parts) {
    parts.toggle.setAttribute("aria-expanded", String(!collapsed));
    parts.questions.hidden = collapsed;
    parts.card.classList.toggle("collapsed", collapsed);
  }

  function setCollapsed(value) {
    collapsed = value;
    writeCollapsed(collapsed);
    for (const parts of drawn.values()) drawCollapsed(parts);
  }

  // --- staff notes (supervisors and admins) ---

  function openEditor(id) {
    const parts = drawn.get(id);
    const facts = state.campusFacts.get(parts.campus);
    if (!facts || !canEdit()) return;
    parts.notesLabel.textContent = `Staff notes for ${facts.name}`;
    parts.notesBox.value = facts.notes;
    parts.notesError.hidden = true;
    parts.saved.textContent = "";
    parts.editor.replaceChildren(...parts.editorFields);
    parts.editor.hidden = false;
    parts.editButton.hidden = true;
    parts.notesBox.focus();
  }

  function closeEditor(id, { focus = true } = {}) {
    const parts = drawn.get(id);
    if (!parts || parts.editor.hidden) return;
    parts.editor.hidden = true;
    parts.editor.replaceChildren();
    parts.editButton.hidden = !canEdit();
    if (focus) parts.editButton.focus();
  }

  async function saveNotes(event, id) {
    event.preventDefault();
    const parts = drawn.get(id);
    const campus = parts.campus;
    const button = parts.editor.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const ack = await socket.request({ type: "campus.notes.set", campus, notes: parts.notesBox.value });
      store.receive({ type: "campus.facts", facts: ack.facts });
      if (!drawn.has(id)) return;
      closeEditor(id);
      parts.saved.textContent = "Notes saved.";
    } catch (error) {
      if (!drawn.has(id)) return;
      parts.notesError.textContent = error.message || "Could not save the notes.";
      parts.notesError.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  // --- asking again when the facts change by the clock ---

  function shownCampuses() {
    return new Set([...drawn.values()].map((parts) => parts.campus).filter(Boolean));
  }

  async function refresh(campus) {
    asked.set(campus, store.now());
    try {
      const ack = await socket.request({ type: "campus.facts", campus });
      store.receive({ type: "campus.facts", facts: ack.facts });
    } catch {
      // Offline or refused: the next snapshot brings the facts again.
    }
  }

  function schedule() {
    clearTimeout(refreshTimer);
    refreshTimer = null;
    if (state.connection !== "open") return;
    const now = store.now();
    let next = Infinity;
    for (const campus of shownCampuses()) {
      const facts = state.campusFacts.get(campus);
      if (!facts) continue;
      const at = Date.parse(facts.changes_at);
      const again = (asked.get(campus) ?? -Infinity) + ASK_AGAIN_MS;
      if (at > now) next = Math.min(next, at);
      else if (again <= now) refresh(campus);
      else next = Math.min(next, again);
    }
    if (next !== Infinity) {
      // A second late, so that the server's clock is surely past the change.
      refreshTimer = setTimeout(schedule, Math.min(next - now + 1000, LONGEST_WAIT_MS));
    }
  }

  store.subscribe("chats", (change) => {
    if (change.kind === "close") {
      drawn.delete(change.id);
      return;
    }
    const pane = document.getElementById(`pane-${change.id}`);
    if (!pane || !state.chats.has(change.id)) return;
    if (!drawn.has(change.id)) {
      build(change.id, pane);
      schedule();
    } else if (drawn.get(change.id).campus !== state.chats.get(change.id).summary.campus) {
      drawCampus(change.id); // transferred to another campus's queue
      schedule();
    }
  });

  store.subscribe("campus", ({ campus }) => {
    for (const [id, parts] of drawn) {
      if (!campus) drawQuestions(id);
      if (!campus || parts.campus === campus) drawCampus(id);
    }
    schedule();
  });

  store.subscribe("me", () => {
    for (const [id, parts] of drawn) {
      if (!canEdit()) closeEditor(id, { focus: false });
      parts.editButton.hidden = !canEdit() || !parts.editor.hidden;
    }
  });

  store.subscribe("connection", schedule);
}
