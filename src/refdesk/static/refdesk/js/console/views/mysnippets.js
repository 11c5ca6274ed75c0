// My snippets: the dialog where a librarian adds, edits and deletes their own (personal)
// snippets. It opens from "My snippets" in the console's bar, draws the list from the
// store (snapshot.snippets, the "snippets" event), saves through snippet.save and
// snippet.delete, and shows an error beside the field the server names. Escape or Close
// closes it, and the keyboard goes back to the button that opened it.
import { el } from "../../text.js";
import { PLACEHOLDERS } from "../snippetrules.js";

const FIELDS = ["title", "body", "shortcut"];

export function mountMySnippets(store, snippetActions, { where }) {
  const { state } = store;
  const mine = () => (state.snippets || []).filter((s) => s.mine);

  const opener = el("button", {
    type: "button",
    id: "my-snippets-open",
    class: "button subtle",
    "aria-haspopup": "dialog",
    text: "My snippets",
    onclick: () => open(),
  });
  where.append(opener);

  // --- the form ----------------------------------------------------------------

  const inputs = {
    title: el("input", { id: "my-snippet-title", type: "text", maxlength: "80", autocomplete: "off" }),
    body: el("textarea", { id: "my-snippet-body", rows: "4", maxlength: "4000" }),
    shortcut: el("input", { id: "my-snippet-shortcut", type: "text", maxlength: "31", autocomplete: "off", spellcheck: "false" }),
  };
  const hints = {
    body: el("p", {
      id: "my-snippet-body-hint",
      class: "field-hint",
      text: `Placeholders filled in from the chat: ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}. One with no value is left out.`,
    }),
    shortcut: el("p", {
      id: "my-snippet-shortcut-hint",
      class: "field-hint",
      text: "Optional. Type / and the shortcut in the composer to find it: lower-case letters, digits and hyphens.",
    }),
  };
  const errors = Object.fromEntries(
    FIELDS.map((field) => [field, el("p", { id: `my-snippet-${field}-error`, class: "field-error", hidden: true })])
  );
  for (const field of FIELDS) {
    inputs[field].setAttribute("aria-describedby", [hints[field]?.id, errors[field].id].filter(Boolean).join(" "));
  }
  const labels = { title: "Title", body: "Text", shortcut: "Shortcut (optional)" };
  const formTitle = el("h3", { id: "my-snippet-form-title", text: "Add a snippet" });
  const submit = el("button", { type: "submit", class: "button primary", text: "Add snippet" });
  const cancelEdit = el("button", { type: "button", class: "button subtle", text: "Cancel editing", hidden: true, onclick: () => stopEditing({ focusRow: true }) });
  const form = el(
    "form",
    { class: "my-snippet-form", "aria-labelledby": "my-snippet-form-title", novalidate: true, onsubmit: (event) => save(event) },
    formTitle,
    ...FIELDS.map((field) =>
      el(
        "div",
        { class: "field" },
        el("label", { for: inputs[field].id, text: labels[field] }),
        inputs[field],
        hints[field] || null,
        errors[field]
      )
    ),
    el("div", { class: "form-buttons" }, submit, cancelEdit)
  );

  // --- the dialog ----------------------------------------------------------------

  const list = el("ul", { class: "my-snippets-list", "aria-labelledby": "my-snippets-list-title" });
  const empty = el("p", { class: "empty", text: "You have no snippets of your own yet." });
  const status = el("p", { class: "my-snippets-status", role: "status", "aria-live": "polite" });
  const dialog = el(
    "dialog",
    { id: "my-snippets", class: "my-snippets-dialog", "aria-labelledby": "my-snippets-title", "aria-describedby": "my-snippets-intro" },
    el("h2", { id: "my-snippets-title", text: "My snippets" }),
    el("p", { id: "my-snippets-intro", text: "Lines of your own for the composer. Only you see them; the library's shared snippets are set up in the admin." }),
    el("h3", { id: "my-snippets-list-title", text: "Saved" }),
    list,
    empty,
    form,
    status,
    el("div", { class: "dialog-buttons" }, el("button", { type: "button", class: "button subtle", text: "Close", onclick: () => dialog.close() }))
  );
  document.body.append(dialog);

  let editing = null; // the id of the snippet in the form, or null for a new one
  let confirming = null; // the id whose deletion is being confirmed
  let returnTo = null;

  function row(snippet) {
    const name = el("span", { class: "my-snippet-name", text: snippet.title });
    const shortcut = snippet.shortcut ? el("span", { class: "my-snippet-shortcut", text: ` /${snippet.shortcut}` }) : null;
    if (confirming === snippet.id) {
      return el(
        "li",
        { "data-id": snippet.id },
        el("span", { class: "my-snippet-question", text: `Delete "${snippet.title}"?` }),
        el("button", { type: "button", class: "button danger confirm-delete", text: "Delete", onclick: () => remove(snippet) }),
        el("button", { type: "button", class: "button subtle keep", text: "Keep", onclick: () => confirmDelete(null, snippet.id) })
      );
    }
    return el(
      "li",
      { "data-id": snippet.id },
      name,
      shortcut,
      el("button", { type: "button", class: "button subtle edit", text: "Edit", "aria-label": `Edit "${snippet.title}"`, onclick: () => edit(snippet) }),
      el("button", { type: "button", class: "button subtle delete", text: "Delete", "aria-label": `Delete "${snippet.title}"`, onclick: () => confirmDelete(snippet.id) })
    );
  }

  // Redraw the list; the keyboard, if it was on a row's button, stays on that row's
  // `focusClass` button (or the given one).
  function draw({ focusId = null, focusClass = null } = {}) {
    const active = list.contains(document.activeElement) ? document.activeElement : null;
    const keepId = focusId ?? (active ? Number(active.closest("li")?.dataset.id) : null);
    const keepClass = focusClass ?? (active ? [...active.classList].find((c) => ["edit", "delete", "confirm-delete", "keep"].includes(c)) : null);
    const rows = mine();
    list.replaceChildren(...rows.map(row));
    empty.hidden = rows.length > 0;
    list.hidden = rows.length === 0;
    if (editing !== null && !rows.some((s) => s.id === editing)) {
      stopEditing();
      status.textContent = "The snippet you were editing was deleted.";
    }
    if (keepId !== null && keepClass) {
      const target = list.querySelector(`li[data-id="${keepId}"] .${keepClass}`) || list.querySelector(`li[data-id="${keepId}"] button`);
      if (target) target.focus();
      else if (active) inputs.title.focus();
    }
  }

  function clearErrors() {
    for (const field of FIELDS) {
      errors[field].hidden = true;
      errors[field].textContent = "";
      inputs[field].removeAttribute("aria-invalid");
    }
  }

  function fill(snippet) {
    inputs.title.value = snippet ? snippet.title : "";
    inputs.body.value = snippet ? snippet.body : "";
    inputs.shortcut.value = snippet ? snippet.shortcut : "";
  }

  function edit(snippet) {
    editing = snippet.id;
    confirming = null;
    clearErrors();
    fill(snippet);
    formTitle.textContent = `Edit "${snippet.title}"`;
    submit.textContent = "Save changes";
    cancelEdit.hidden = false;
    status.textContent = "";
    inputs.title.focus();
  }

  function stopEditing({ focusRow = false } = {}) {
    const was = editing;
    editing = null;
    clearErrors();
    fill(null);
    formTitle.textContent = "Add a snippet";
    submit.textContent = "Add snippet";
    cancelEdit.hidden = true;
    if (focusRow && was !== null) {
      const button = list.querySelector(`li[data-id="${was}"] .edit`);
      (button || inputs.title).focus();
    }
  }

  function confirmDelete(id, back = null) {
    confirming = id;
    draw({ focusId: id ?? back, focusClass: id !== null ? "keep" : "delete" });
  }

  async function remove(snippet) {
    submit.disabled = true;
    const result = await snippetActions.remove(snippet.id);
    submit.disabled = false;
    confirming = null;
    if (!result.ok) {
      status.textContent = result.message;
      draw({ focusId: snippet.id, focusClass: "delete" });
      return;
    }
    if (editing === snippet.id) stopEditing();
    draw();
    status.textContent = `Deleted "${snippet.title}".`;
    inputs.title.focus();
  }

  async function save(event) {
    event.preventDefault();
    clearErrors();
    status.textContent = "";
    submit.disabled = true;
    const wasEditing = editing;
    const result = await snippetActions.save({
      id: wasEditing,
      title: inputs.title.value,
      body: inputs.body.value,
      shortcut: inputs.shortcut.value,
    });
    submit.disabled = false;
    if (!result.ok) {
      const field = FIELDS.includes(result.field) ? result.field : null;
      if (field) {
        errors[field].textContent = result.message;
        errors[field].hidden = false;
        inputs[field].setAttribute("aria-invalid", "true");
        inputs[field].focus();
      } else {
        status.textContent = result.message;
      }
      return;
    }
    stopEditing();
    draw();
    status.textContent = wasEditing === null ? `Added "${result.snippet.title}".` : `Saved "${result.snippet.title}".`;
    if (wasEditing === null) inputs.title.focus();
    else (list.querySelector(`li[data-id="${wasEditing}"] .edit`) || inputs.title).focus();
  }

  function open() {
    returnTo = document.activeElement;
    confirming = null;
    stopEditing();
    status.textContent = "";
    draw();
    dialog.showModal();
    inputs.title.focus();
  }

  // Escape closes the dialog only: the console's own Escape (closing the patron panel, a
  // confirmation) does not see it.
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") event.stopPropagation();
  });
  dialog.addEventListener("close", () => {
    confirming = null;
    const back = returnTo && returnTo.isConnected ? returnTo : opener;
    returnTo = null;
    back.focus();
  });
  store.subscribe("snippets", () => {
    if (dialog.open) draw();
  });
  return { open, dialog };
}
