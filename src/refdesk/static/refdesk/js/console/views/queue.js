// The queue: every waiting chat, a row each, with its claim button; and, for supervisors
// and admins, the selection of chats to dismiss as spam.
import { el, formatWait } from "../../text.js";
import { homeLeftMs, homeWindowOver } from "../ringing.js";
import { FLAG_WORDS, displayName, firstLine, plural } from "../words.js";
import { $, badge } from "./common.js";
import { ListView } from "./list.js";
import { watchButton } from "../supervise.js";

// What a queue row shows; a change of any of it redraws the row.
function rowChanged(before, after) {
  const shown = (c) =>
    [c.state, c.claimed_by, c.patron_name, c.question, c.name_was_question, c.campus, c.home_until, c.home_ended_at, c.flag].join("\u0000");
  return shown(before) !== shown(after);
}

function focusableInRow(node) {
  return node.querySelector(".claim:not(:disabled)") || node.querySelector(".patron-name");
}

// The home-campus window on a waiting row: "South Campus Library: 14 s" while only that
// campus's librarians are rung, then "Ringing for every campus" and the row highlighted.
// It ticks in place once a second and is not a live region: a screen reader reads it when
// the librarian goes there, and is not interrupted every second.
function drawWindow(node, row, now) {
  const left = homeLeftMs({ home_until: node.dataset.homeUntil }, now);
  if (left > 0) {
    node.querySelector(".home-left").textContent = `${node.dataset.campusName}: ${Math.ceil(left / 1000)} s`;
  } else {
    node.querySelector(".home-left").textContent = "Ringing for every campus";
    node.classList.add("over");
    row?.classList.add("rings-all");
  }
}

// A waiting chat with a flagged line: its gravest flag, in words (not colour alone).
function flagBadge(chat) {
  if (!chat.flag) return null;
  return el("span", { class: `flag-badge flag-${chat.flag} queue-flag`, text: `Flagged: ${FLAG_WORDS[chat.flag] || chat.flag}` });
}

function homeWindow(chat, now) {
  if (chat.state !== "waiting" || !chat.home_until) return null;
  const node = el(
    "p",
    { class: "home-window", "data-home-until": chat.home_ended_at ? "" : chat.home_until, "data-campus-name": chat.campus_name },
    el("span", { class: "visually-hidden", text: "Home campus first: " }),
    el("span", { class: "home-left" })
  );
  drawWindow(node, null, now);
  return node;
}

export function mountQueue(store, actions) {
  const { state } = store;

  async function claim(chatId, button) {
    button.disabled = true;
    if (!(await actions.claim(chatId))) button.disabled = false;
  }

  function row(chat) {
    const claimed = chat.state !== "waiting";
    const name = displayName(chat);
    const who = el("button", {
      type: "button",
      class: "patron-name link-button",
      "aria-controls": "patron-panel",
      text: name,
      onclick: () => store.showPatron(state.queue.items.get(chat.id) || chat),
    });
    const select =
      store.isSupervisor() && !claimed
        ? el(
            "label",
            { class: "select" },
            el("input", {
              type: "checkbox",
              class: "select-chat",
              "aria-label": `Select chat with ${name}`,
              checked: state.selected.has(chat.id),
              onchange: (event) => store.toggleSelected(chat.id, event.currentTarget.checked),
            }),
            " Select"
          )
        : null;
    const now = store.now();
    const over = !claimed && homeWindowOver(chat, now);
    return el(
      "li",
      { class: `queue-item campus-${chat.campus}${claimed ? " claimed" : ""}${over ? " rings-all" : ""}`, "data-chat-id": chat.id },
      el("div", { class: "queue-line" }, who, badge(chat), flagBadge(chat)),
      claimed ? null : homeWindow(chat, now),
      chat.patron_name ? el("p", { class: "excerpt", text: firstLine(chat.question) }) : null,
      chat.name_was_question ? el("p", { class: "marker", text: "Question was typed in the name box" }) : null,
      el(
        "div",
        { class: "queue-line" },
        claimed
          ? el("span", { class: "wait", text: `Waited ${formatWait(((chat.claimed_ms || Date.now()) - Date.parse(chat.created_at)) / 1000)}` })
          : el("span", { class: "wait", "data-since": chat.created_at, text: formatWait((Date.now() - Date.parse(chat.created_at)) / 1000) }),
        select,
        watchButton(store, chat, name),
        claimed
          ? el("p", { class: "claimed-by", text: `Claimed by ${chat.claimed_by}` })
          : el("button", {
              type: "button",
              class: "button primary claim",
              "aria-label": `Claim Chat with ${name}`,
              text: "Claim Chat",
              onclick: (event) => claim(chat.id, event.currentTarget),
            })
      )
    );
  }

  const list = new ListView(store, "queue", {
    actions,
    list: $("queue"),
    older: $("queue-older"),
    empty: $("queue-empty"),
    count: $("waiting-count"),
    noun: "chat",
    build: row,
    refresh: rowChanged,
    focusable: focusableInRow,
    idOf: (node) => Number(node.dataset.chatId),
  });

  // --- dismissing spam -------------------------------------------------------

  const dismiss = $("dismiss-selected");
  const confirm = $("dismiss-confirm");
  const confirmButton = $("dismiss-confirm-button");

  function renderSelection() {
    const count = state.selected.size;
    dismiss.textContent = `Dismiss selected as spam (${count.toLocaleString()})`;
    dismiss.disabled = count === 0 || state.dismissing;
    $("select-none").disabled = count === 0;
    confirm.hidden = !state.confirmingDismiss;
    if (state.confirmingDismiss) {
      $("dismiss-question").textContent = `Dismiss ${plural(count, "waiting chat")} as spam? Each patron is told the chat has ended.`;
      confirmButton.textContent = `Dismiss ${plural(count, "chat")}`;
    }
    for (const [id, node] of list.nodes) {
      const box = node.querySelector(".select-chat");
      if (box) box.checked = state.selected.has(id);
    }
  }

  function renderTools() {
    $("queue-tools").hidden = !store.isSupervisor();
    renderSelection();
  }

  store.subscribe("selection", ({ kind }) => {
    renderSelection();
    if (kind === "confirm") confirmButton.focus();
    else if (kind === "cancel") dismiss.focus();
    else if (kind === "dismissed") $("select-shown").focus();
  });
  store.subscribe("me", ({ roleChanged }) => {
    renderTools();
    if (roleChanged) list.redrawAll();
  });

  $("select-shown").addEventListener("click", () => store.selectShown());
  $("select-none").addEventListener("click", () => {
    store.clearSelection();
    store.say("Selection cleared.");
  });
  dismiss.addEventListener("click", () => store.askToDismiss());
  confirmButton.addEventListener("click", () => actions.dismissSelected());
  $("dismiss-cancel").addEventListener("click", () => store.cancelDismiss());
  renderTools();

  // --- chats the campus filter hides ------------------------------------------

  // The filter is a view: what it hides still rings, and is counted beside it.
  function drawHidden() {
    const view = state.settings.filter;
    const hidden = view ? state.queue.total - state.queue.totalFor(view) : 0;
    $("filter-hidden").hidden = hidden <= 0;
    $("filter-hidden-text").textContent = hidden > 0 ? `${hidden.toLocaleString()} waiting in other campuses` : "";
  }
  store.subscribe("queue", drawHidden);
  store.subscribe("filter", drawHidden);
  $("filter-show-all").addEventListener("click", () => {
    $("campus-filter").value = "";
    store.setFilter("");
    $("campus-filter").focus();
  });
  drawHidden();

  // The waits and the home-campus windows tick in place: the rows are not redrawn for it.
  setInterval(() => {
    const now = Date.now();
    for (const node of $("queue").querySelectorAll(".wait[data-since]")) {
      node.textContent = formatWait((now - Date.parse(node.dataset.since)) / 1000);
    }
    const serverNow = store.now();
    for (const node of $("queue").querySelectorAll(".home-window[data-home-until]:not(.over)")) {
      drawWindow(node, node.closest(".queue-item"), serverNow);
    }
  }, 1000);
}
