// Snippets in the composer: "/" and a few letters open a type-ahead list (the ARIA
// combobox pattern: the composer keeps the keyboard, the list shows the active option),
// and the "Snippets" button beside the composer opens the same list with every snippet.
// Arrows move, Enter or Tab inserts, Escape closes. An inserted snippet is rendered with
// the chat's values and lands in the composer for editing; it is never sent by itself.
import { el } from "../../text.js";
import { listForChat, renderSnippet, slashQuery, valuesFor } from "../snippetrules.js";

export function attachSnippets(store, { chatId, box, composer }) {
  const { state } = store;
  const listId = `snippets-${chatId}`;
  const list = el("ul", { id: listId, class: "snippet-list", role: "listbox", "aria-label": "Snippets", hidden: true });
  const count = el("p", { class: "visually-hidden", "aria-live": "polite" });
  const button = el("button", {
    type: "button",
    class: "button subtle snippet-menu",
    "aria-haspopup": "listbox",
    "aria-expanded": "false",
    "aria-controls": listId,
    text: "Snippets",
    onclick: () => (open ? close() : show(null)),
  });
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-expanded", "false");
  box.setAttribute("aria-controls", listId);

  let open = false;
  let shown = [];
  let active = 0;
  let token = null; // {start, query} of the "/word" typed, or null from the menu button

  const chat = () => state.chats.get(chatId)?.summary;

  function draw() {
    list.replaceChildren(
      ...shown.map((snippet, index) =>
        el(
          "li",
          {
            id: `${listId}-${snippet.id}`,
            role: "option",
            class: "snippet-option",
            "aria-selected": String(index === active),
            // The keyboard stays in the composer: a click must not take it away.
            onmousedown: (event) => event.preventDefault(),
            onclick: () => insert(snippet),
          },
          el("span", { class: "snippet-title", text: snippet.title }),
          snippet.shortcut ? el("span", { class: "snippet-shortcut", text: ` /${snippet.shortcut}` }) : null
        )
      )
    );
    if (shown.length) {
      box.setAttribute("aria-activedescendant", `${listId}-${shown[active].id}`);
      list.children[active].scrollIntoView?.({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }

  function show(found) {
    const summary = chat();
    if (!summary) return;
    token = found;
    shown = listForChat(state.snippets || [], summary, state.me, found ? found.query : "");
    active = 0;
    open = true;
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-expanded", "true");
    count.textContent = shown.length ? `${shown.length} snippet${shown.length === 1 ? "" : "s"}` : "No snippets match";
    draw();
    if (!found) box.focus();
  }

  function close() {
    open = false;
    token = null;
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    count.textContent = "";
  }

  function insert(snippet) {
    const summary = chat();
    const text = renderSnippet(snippet.body, valuesFor(summary, state.me, state.snippetCampuses || {}));
    const caret = box.selectionStart ?? box.value.length;
    const start = token ? token.start : caret;
    box.value = box.value.slice(0, start) + text + box.value.slice(caret);
    const end = start + text.length;
    close();
    box.focus();
    box.setSelectionRange(end, end);
    store.say(`Inserted "${snippet.title}". Edit it, then send.`);
  }

  box.addEventListener("input", () => {
    const found = slashQuery(box.value, box.selectionStart ?? box.value.length);
    if (found) show(found);
    else if (open && token) close();
  });
  box.addEventListener("blur", () => {
    if (open) setTimeout(() => document.activeElement !== box && close(), 0);
  });
  // On the form, in the capture phase: the composer's own Enter (send) never sees a key
  // the open list takes.
  composer.addEventListener(
    "keydown",
    (event) => {
      if (!open || event.target !== box) return;
      const keys = {
        ArrowDown: () => {
          active = shown.length ? (active + 1) % shown.length : 0;
          draw();
        },
        ArrowUp: () => {
          active = shown.length ? (active - 1 + shown.length) % shown.length : 0;
          draw();
        },
        Enter: () => (shown.length ? insert(shown[active]) : close()),
        Tab: () => (shown.length ? insert(shown[active]) : close()),
        Escape: () => close(),
      };
      if (!Object.hasOwn(keys, event.key) || event.isComposing) return;
      if (event.key === "Tab" && !shown.length) {
        close();
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      keys[event.key]();
    },
    true
  );
  store.subscribe("snippets", () => {
    if (open) show(token);
  });
  return { button, list, count };
}
