// Each patron's connection, on their queue row and their chat's pane: "Patron here", or
// "Patron gone 2 min" since their last tab closed. The queue and the chat panes draw the
// rows; this module adds the line to them and keeps its minutes current.
import { el } from "../../text.js";
import { $ } from "./common.js";

const REFRESH_MS = 15000;

function describe(goneSince, now = Date.now()) {
  if (!goneSince) return "Patron here";
  const minutes = Math.floor((now - Date.parse(goneSince)) / 60000);
  return minutes < 1 ? "Patron gone just now" : `Patron gone ${minutes} min`;
}

function decorate(container, goneSince) {
  if (!container) return;
  let node = container.querySelector(":scope > .patron-connection");
  if (!node) {
    node = el("span", { class: "patron-connection" });
    container.append(node);
  }
  node.textContent = describe(goneSince);
  node.dataset.gone = goneSince ? "true" : "false";
  if (goneSince) node.dataset.since = goneSince;
  else delete node.dataset.since;
}

export function mountPatronConnections(store) {
  const { state } = store;

  function drawRow(id) {
    const item = state.queue.items.get(id);
    const row = $("queue").querySelector(`.queue-item[data-chat-id="${id}"]`);
    if (!row || !item) return;
    const line = row.querySelector(".queue-line");
    if (item.state === "waiting") decorate(line, item.patron_gone_at);
    else line?.querySelector(":scope > .patron-connection")?.remove();
  }

  function drawRows() {
    for (const id of state.queue.items.keys()) drawRow(id);
  }

  function drawPane(id) {
    const chat = state.chats.get(id);
    const who = document.querySelector(`#pane-${id} .pane-who`);
    if (!chat || !who) return;
    if (chat.ended) who.querySelector(":scope > .patron-connection")?.remove();
    else decorate(who, chat.summary.patron_gone_at);
  }

  store.subscribe("queue", (change) => {
    if (change.kind === "put") drawRow(change.item.id);
    else if (change.kind !== "remove") drawRows();
  });
  store.subscribe("filter", drawRows);
  store.subscribe("chats", (change) => drawPane(change.id));
  store.subscribe("patrons", ({ id }) => {
    drawRow(id);
    drawPane(id);
  });
  setInterval(() => {
    const now = Date.now();
    for (const node of document.querySelectorAll(".patron-connection[data-since]")) {
      node.textContent = describe(node.dataset.since, now);
    }
  }, REFRESH_MS);
}
