// The hard moments' actions: block a chat's patron (patron.block) and report an incident
// (incident.report), each from a real <dialog> with labelled fields that shows the
// server's answer or refusal in place; and, for supervisors, the incidents that others
// report (incident.created, applied by the store) as a live notice with a link.
//
// mountSafetyActions(store, socket) wires it once, from console.js. The escalation and
// crisis panels, and the chat's own toolbar, call:
//   openBlockDialog(chatId)           -> the Block patron dialog for that chat
//   openIncidentDialog(chatId, kind)  -> the Report incident dialog, kind preselected
// Every text from people is set with textContent.

import { el } from "../text.js";

export const BLOCK_DAYS = [1, 7, 30];
export const INCIDENT_KINDS = [
  ["abuse", "Abuse"],
  ["threat", "Threat"],
  ["crisis", "Crisis"],
  ["spam", "Spam"],
  ["other", "Other"],
];
export const SHARED_ADDRESS_WARNING =
  "An address may be a shared library computer: a block by address also stops other people using it until it expires.";

let wired = null; // {store, socket}
let blockDialog = null;
let incidentDialog = null;

function chatName(chatId) {
  const chat = wired?.store.state.chats.get(chatId);
  return chat?.summary?.patron_name || chat?.patron_name || `chat ${chatId}`;
}

function field(id, labelText, control, hint) {
  return el(
    "div",
    { class: "field" },
    el("label", { for: id, text: labelText }),
    control,
    hint ? el("p", { class: "hint", id: `${id}-hint`, text: hint }) : null
  );
}

function buttons(submitText, dialog) {
  return el(
    "div",
    { class: "dialog-buttons" },
    el("button", { type: "button", class: "button subtle", text: "Cancel", onclick: () => dialog.close() }),
    el("button", { type: "submit", class: "button primary", text: submitText })
  );
}

function formatExpiry(iso) {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

function makeBlockDialog() {
  const dialog = el("dialog", { id: "block-dialog", class: "safety-dialog", "aria-labelledby": "block-title" });
  const reason = el("textarea", { id: "block-reason", name: "reason", rows: "3", maxlength: "500", required: true, "aria-required": "true" });
  const days = el(
    "fieldset",
    { class: "block-days" },
    el("legend", { text: "How long" }),
    ...BLOCK_DAYS.map((n) =>
      el(
        "label",
        {},
        el("input", { type: "radio", name: "days", value: String(n), checked: n === 1 }),
        ` ${n === 1 ? "1 day" : `${n} days`}`
      )
    )
  );
  const result = el("p", { id: "block-result", class: "result", role: "status", "aria-live": "polite" });
  const form = el(
    "form",
    { method: "dialog", class: "stack" },
    el("h2", { id: "block-title", text: "Block patron" }),
    el("p", { id: "block-who", class: "hint" }),
    field("block-reason", "Reason (for staff only)", reason),
    days,
    el("p", { class: "warning", id: "block-warning", text: SHARED_ADDRESS_WARNING }),
    result,
    buttons("Block patron", dialog)
  );
  dialog.append(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chatId = Number(dialog.dataset.chatId);
    const chosen = form.querySelector('input[name="days"]:checked');
    result.classList.remove("error");
    result.textContent = "Blocking…";
    try {
      const ack = await wired.socket.request({
        type: "patron.block",
        chat_id: chatId,
        reason: reason.value,
        days: Number(chosen?.value || 1),
      });
      result.textContent = `Blocked until ${formatExpiry(ack.expires_at)}. The chat has ended.`;
      form.querySelector('button[type="submit"]').disabled = true;
      wired.store.say(`Patron of ${chatName(chatId)} blocked until ${formatExpiry(ack.expires_at)}.`);
    } catch (error) {
      result.classList.add("error");
      result.textContent = error.message || "Could not block the patron.";
      if (error.field === "reason") reason.focus();
    }
  });
  document.body.append(dialog);
  return { dialog, form, reason, result };
}

function makeIncidentDialog() {
  const dialog = el("dialog", { id: "incident-dialog", class: "safety-dialog", "aria-labelledby": "incident-title" });
  const kind = el("select", { id: "incident-kind", name: "kind" }, ...INCIDENT_KINDS.map(([value, label]) => el("option", { value, text: label })));
  const what = el("textarea", { id: "incident-what", name: "what_happened", rows: "4", maxlength: "4000", required: true, "aria-required": "true" });
  const done = el("textarea", { id: "incident-actions", name: "actions_taken", rows: "3", maxlength: "4000" });
  const follow = el("textarea", { id: "incident-follow-up", name: "follow_up", rows: "2", maxlength: "4000" });
  const result = el("p", { id: "incident-result", class: "result", role: "status", "aria-live": "polite" });
  const form = el(
    "form",
    { method: "dialog", class: "stack" },
    el("h2", { id: "incident-title", text: "Report incident" }),
    el("p", { id: "incident-who", class: "hint" }),
    field("incident-kind", "Kind", kind),
    field("incident-what", "What happened", what),
    field("incident-actions", "Actions taken", done),
    field("incident-follow-up", "Follow-up needed", follow),
    result,
    buttons("Report incident", dialog)
  );
  dialog.append(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.classList.remove("error");
    result.textContent = "Reporting…";
    try {
      const ack = await wired.socket.request({
        type: "incident.report",
        chat_id: Number(dialog.dataset.chatId),
        kind: kind.value,
        what_happened: what.value,
        actions_taken: done.value,
        follow_up: follow.value,
      });
      result.textContent = `Incident ${ack.incident_id} reported. Supervisors have been told.`;
      form.querySelector('button[type="submit"]').disabled = true;
    } catch (error) {
      result.classList.add("error");
      result.textContent = error.message || "Could not report the incident.";
      const box = { kind, what_happened: what, actions_taken: done, follow_up: follow }[error.field];
      box?.focus();
    }
  });
  document.body.append(dialog);
  return { dialog, form, kind, what, done, follow, result };
}

// Open the Block patron dialog for a chat (the holder's, or any for a supervisor).
export function openBlockDialog(chatId) {
  if (!wired) return;
  blockDialog ||= makeBlockDialog();
  const { dialog, form, reason, result } = blockDialog;
  form.reset();
  result.textContent = "";
  result.classList.remove("error");
  form.querySelector('button[type="submit"]').disabled = false;
  dialog.dataset.chatId = String(chatId);
  dialog.querySelector("#block-who").textContent = `Chat with ${chatName(chatId)}`;
  dialog.showModal();
  reason.focus();
}

// Open the Report incident dialog for a chat, with `kind` chosen ("abuse", "threat",
// "crisis", "spam" or "other").
export function openIncidentDialog(chatId, kind = "abuse") {
  if (!wired) return;
  incidentDialog ||= makeIncidentDialog();
  const { dialog, form, result, what } = incidentDialog;
  form.reset();
  result.textContent = "";
  result.classList.remove("error");
  form.querySelector('button[type="submit"]').disabled = false;
  incidentDialog.kind.value = INCIDENT_KINDS.some(([value]) => value === kind) ? kind : "other";
  dialog.dataset.chatId = String(chatId);
  dialog.querySelector("#incident-who").textContent = `Chat with ${chatName(chatId)}`;
  dialog.showModal();
  what.focus();
}

// A supervisor's console: each reported incident as a live notice with a link to it.
function mountIncidentNotices(store, where) {
  const region = el("div", { id: "incident-notices", class: "incident-notices", role: "status", "aria-live": "polite" });
  where.append(region);
  store.subscribe("incident", ({ incident }) => {
    if (!incident) return;
    const link = el("a", { href: incident.url, text: `Incident ${incident.id}` });
    const who = incident.reported_by ? ` by ${incident.reported_by}` : "";
    region.replaceChildren(el("p", {}, `New ${incident.kind} report${who} (${incident.campus_name}): `, link));
  });
}

export function mountSafetyActions(store, socket, { where = document.body } = {}) {
  wired = { store, socket };
  mountIncidentNotices(store, where);
}
