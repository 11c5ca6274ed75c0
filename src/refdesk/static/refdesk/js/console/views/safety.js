// Hard moments beside a chat. When a patron's line is flagged (an `alert` of kind abuse,
// threat or crisis, or a stored line's `flag`), the line is marked in the transcript
// ("Flagged: abusive", which screen readers read too), and the matching panel opens
// beside the chat: the escalation panel (abuse, threat) or the crisis panel. The panel
// is announced in the live region and never takes the keyboard from the composer; Escape
// or its Close button closes it, and "Safety guidance" in the chat's head opens it again.
// Its guidance comes from the admin (snapshot.safety, safety.changed); its snippets are
// the warning (escalation) or compassion (crisis) ones; Block, Report incident and Alert
// a supervisor call ./safetyactions.js.
import { el } from "../../text.js";
import { insertAtCaret } from "./facts.js";
import { renderSnippet, valuesFor } from "../snippetrules.js";
import { openBlockDialog, openIncidentDialog } from "../safetyactions.js";
import { alertSupervisor } from "../supervise.js";
import { CRISIS_CATEGORIES, renderContacts } from "./directory.js";
import { FLAG_WORDS, displayName } from "../words.js";

const PANEL_OF = { abuse: "escalation", threat: "escalation", crisis: "crisis" };
const PANEL_TITLES = { escalation: "Abusive or threatening patron", crisis: "Patron in crisis" };
const SNIPPET_PURPOSE = { escalation: "warning", crisis: "compassion" };

export function mountSafety(store, actions) {
  const { state } = store;
  const panels = new Map(); // chat id -> {aside, kind, flag}
  const reopeners = new Map(); // chat id -> its "Safety guidance" button

  const pane = (id) => document.getElementById(`pane-${id}`);
  const composer = (id) => {
    const box = document.getElementById(`compose-${id}`);
    return box && !box.disabled ? box : null;
  };

  function markLines(id) {
    const lines = state.flags.get(id);
    const where = pane(id);
    if (!lines || !where) return;
    for (const [seq, flag] of lines) {
      const line = where.querySelector(`.message[data-seq="${Number(seq)}"]`);
      if (!line || line.querySelector(".flag-badge")) continue;
      line.classList.add("flagged", `flagged-${flag}`);
      line.prepend(el("span", { class: `flag-badge flag-${flag}`, text: `Flagged: ${FLAG_WORDS[flag] || flag}` }));
    }
    showReopener(id);
  }

  // The newest flag of a chat decides which panel "Safety guidance" opens.
  function latestFlag(id) {
    const lines = state.flags.get(id);
    if (!lines || !lines.size) return null;
    return lines.get(Math.max(...lines.keys()));
  }

  function showReopener(id) {
    const where = pane(id);
    if (!where || reopeners.has(id)) return;
    const button = el("button", {
      type: "button",
      class: "button subtle safety-reopen",
      "data-action": "safety-panel",
      text: "Safety guidance",
      onclick: () => openPanel(id, latestFlag(id), { focus: true }),
    });
    const head = where.querySelector(".pane-head") || where;
    head.append(button);
    reopeners.set(id, button);
  }

  function guidanceList(kind) {
    return (state.safetyGuidance[kind] || []).map((section) =>
      el(
        "section",
        { class: "safety-section" },
        el("h5", { text: section.heading }),
        el("ol", {}, ...section.steps.map((step) => el("li", { text: step })))
      )
    );
  }

  function snippetButtons(id, kind) {
    const chat = state.chats.get(id);
    const purpose = SNIPPET_PURPOSE[kind];
    const chosen = state.snippets.filter((s) => s.purpose === purpose);
    if (!chosen.length) return [el("p", { class: "safety-empty", text: "No snippets for this yet." })];
    return chosen.map((snippet) =>
      el("button", {
        type: "button",
        class: "button subtle safety-snippet",
        "data-snippet": String(snippet.id),
        text: snippet.title,
        onclick: () => {
          const box = composer(id);
          if (!box || !chat) return;
          const values = valuesFor(chat.summary, state.me, state.snippetCampuses);
          insertAtCaret(box, renderSnippet(snippet.body, values));
        },
      })
    );
  }

  // Once the chat ended (closed, blocked, the patron left, transferred away), only what
  // needs no live chat is offered: the report.
  const isOver = (id) => {
    const chat = state.chats.get(id);
    return !chat || chat.ended;
  };

  function buttons(id, kind, flag) {
    if (isOver(id)) {
      return [el("button", { type: "button", class: "button", "data-action": "report-incident", text: "Report incident", onclick: () => openIncidentDialog(id, flag) })];
    }
    if (kind === "escalation") {
      return [
        el("button", { type: "button", class: "button danger", "data-action": "end-chat", text: "End chat", onclick: () => store.confirmEnd(id, true) }),
        el("button", { type: "button", class: "button", "data-action": "block", text: "Block patron", onclick: () => openBlockDialog(id) }),
        el("button", { type: "button", class: "button", "data-action": "report-incident", text: "Report incident", onclick: () => openIncidentDialog(id, flag) }),
      ];
    }
    return [
      el("button", { type: "button", class: "button primary", "data-action": "alert-supervisor", text: "Alert a supervisor", onclick: () => alertSupervisor(id) }),
      el("button", { type: "button", class: "button", "data-action": "report-incident", text: "Report incident", onclick: () => openIncidentDialog(id, flag) }),
    ];
  }

  // The campus's counselling, security and emergency contacts and the national lines,
  // from the directory (kept up to date by renderContacts while the panel is shown).
  function contactsSection(id) {
    const headingId = `safety-contacts-${id}`;
    const list = el("div", { class: "safety-contact-list" });
    const section = el(
      "section",
      { class: "safety-section safety-contacts", "data-slot": "contacts", "aria-labelledby": headingId },
      el("h5", { id: headingId, text: "Contacts" }),
      list
    );
    const campus = state.chats.get(id)?.summary?.campus || null;
    if (!renderContacts(list, campus, CRISIS_CATEGORIES)) {
      list.append(el("p", { class: "safety-empty", text: "No contacts in the directory for this campus yet." }));
    }
    return section;
  }

  function draw(id) {
    const panel = panels.get(id);
    if (!panel) return;
    const { aside, kind, flag } = panel;
    const titleId = `safety-title-${id}`;
    aside.replaceChildren(
      el(
        "div",
        { class: "safety-head" },
        el("h4", { id: titleId, text: PANEL_TITLES[kind] }),
        el("button", { type: "button", class: "button subtle", "data-action": "close-safety", text: "Close", "aria-label": `Close ${PANEL_TITLES[kind]} guidance`, onclick: () => closePanel(id) })
      ),
      ...guidanceList(kind),
      isOver(id)
        ? el("p", { class: "safety-over", text: "This chat has ended: you can still report what happened." })
        : el("section", { class: "safety-section safety-snippets" }, el("h5", { text: kind === "escalation" ? "Warning snippets" : "Compassionate snippets" }), ...snippetButtons(id, kind)),
      kind === "crisis" ? contactsSection(id) : null,
      el("div", { class: "safety-actions" }, ...buttons(id, kind, flag))
    );
    aside.setAttribute("aria-labelledby", titleId);
  }

  function openPanel(id, flag, { focus = false } = {}) {
    const where = pane(id);
    if (!where || !flag) return;
    const kind = PANEL_OF[flag];
    let panel = panels.get(id);
    if (!panel) {
      const aside = el("aside", { class: `safety-panel`, tabindex: "-1" });
      aside.addEventListener("keydown", (event) => {
        if (event.key !== "Escape") return;
        event.preventDefault();
        event.stopPropagation();
        closePanel(id, { refocus: true });
      });
      panel = { aside, kind, flag };
      panels.set(id, panel);
      const facts = where.querySelector(".chat-facts");
      if (facts) facts.prepend(aside);
      else where.append(aside);
    }
    panel.kind = kind;
    panel.flag = flag;
    panel.aside.className = `safety-panel safety-${kind}`;
    panel.aside.hidden = false;
    draw(id);
    if (focus) panel.aside.focus();
  }

  function closePanel(id, { refocus = false } = {}) {
    const panel = panels.get(id);
    if (!panel) return;
    panel.aside.hidden = true;
    if (refocus || panel.aside.contains(document.activeElement)) {
      (reopeners.get(id) || composer(id))?.focus();
    }
  }

  store.subscribe("safety", (change) => {
    if (change.kind === "guidance") {
      for (const id of panels.keys()) draw(id);
      return;
    }
    const chat = state.chats.get(change.id);
    markLines(change.id);
    if (!change.fresh) return;
    const words = FLAG_WORDS[change.flag] || change.flag;
    if (chat && !chat.ended) {
      openPanel(change.id, change.flag);
      const panelName = PANEL_OF[change.flag] === "crisis" ? "crisis panel" : "escalation panel";
      store.say(`Flagged as ${words}: a message from ${displayName(chat.summary)}. The ${panelName} is open beside the chat.`);
    } else if (!chat) {
      store.say(`A waiting chat has a message flagged as ${words}.`);
    }
  });

  store.subscribe("chats", (change) => {
    if (change.kind === "close") {
      panels.delete(change.id);
      reopeners.delete(change.id);
      return;
    }
    if ((change.kind === "ended" || change.kind === "reopened") && panels.has(change.id)) {
      // The buttons change under the keyboard: focus left on one that went (the chat's
      // view has usually taken it to "Close tab" already) goes to the report.
      const { aside } = panels.get(change.id);
      draw(change.id);
      const active = document.activeElement;
      if (!active || active === document.body || !active.isConnected) aside.querySelector('[data-action="report-incident"]')?.focus();
    }
    if (state.flags.has(change.id)) markLines(change.id);
  });

  store.subscribe("snippets", () => {
    for (const id of panels.keys()) draw(id);
  });

  return { openPanel, closePanel, actions };
}
