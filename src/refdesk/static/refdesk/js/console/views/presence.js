// Who is at the desk: every librarian by home campus, operators (online) first with their
// number of active chats, then the away ones, then the offline ones; and my own status,
// with its toggle and the away notice's "I'm back".
import { el } from "../../text.js";
import { plural } from "../words.js";
import { $ } from "./common.js";
import { watchButton } from "../supervise.js";

const ORDER = { online: 0, away: 1, offline: 2 };

function campusNames() {
  // The campus filter lists every campus with its name.
  const names = new Map();
  for (const option of $("campus-filter").options) if (option.value) names.set(option.value, option.textContent);
  return names;
}

function describe(entry) {
  if (entry.status === "offline") return "offline";
  const chats = plural(entry.active_chats || 0, "active chat");
  return `${entry.status}, ${chats}`;
}

export function mountPresence(store, actions) {
  const { state } = store;
  const names = campusNames();

  function drawList() {
    const byCampus = new Map();
    for (const entry of state.presence.values()) {
      if (!byCampus.has(entry.campus)) byCampus.set(entry.campus, []);
      byCampus.get(entry.campus).push(entry);
    }
    const campuses = [...byCampus.keys()].sort((a, b) => (names.get(a) || a).localeCompare(names.get(b) || b));
    let operators = 0;
    const groups = campuses.map((campus) => {
      const rows = byCampus.get(campus).sort(
        (a, b) => ORDER[a.status] - ORDER[b.status] || a.display_name.localeCompare(b.display_name)
      );
      const online = rows.filter((p) => p.status === "online").length;
      operators += online;
      const title = `${names.get(campus) || campus}: ${plural(online, "operator")} online`;
      return el(
        "section",
        { class: "presence-campus", "aria-label": title },
        el("h3", { class: "presence-campus-title" }, el("span", { class: `dot campus-${campus}`, "aria-hidden": "true" }), title),
        el(
          "ul",
          { class: "presence-list" },
          ...rows.map((p) =>
            el(
              "li",
              { class: `presence-${p.status}`, "data-librarian-id": p.librarian_id },
              el("span", { class: "presence-name", text: p.display_name }),
              el("span", { class: "presence-state", text: describe(p) }),
              takeOverControls(p)
            )
          )
        )
      );
    });
    $("presence").replaceChildren(...groups);
    $("operators-count").textContent = String(operators);
  }

  // A supervisor sees who holds which chats and may take one over.
  const opened = new Map(); // librarian id -> the chats last listed, while their list is open
  function takeOverControls(p) {
    if (!store.isSupervisor() || p.librarian_id === state.me.id || !p.active_chats) return null;
    const list = el("ul", { class: "take-over-list", "aria-label": `${p.display_name}'s chats` });
    const status = el("p", { class: "take-over-status", role: "status" });
    const toggle = el("button", {
      type: "button",
      class: "button subtle take-over-open",
      "aria-expanded": String(opened.has(p.librarian_id)),
      text: `Their chats (${p.active_chats})`,
      onclick: () => (opened.has(p.librarian_id) ? close(p.librarian_id) : open(p, toggle)),
    });
    const box = el("div", { class: "take-over" }, toggle, list, status);
    if (opened.has(p.librarian_id)) drawChats(p, list, status, opened.get(p.librarian_id));
    return box;
  }

  async function open(p, toggle) {
    toggle.disabled = true;
    try {
      opened.set(p.librarian_id, await actions.listChatsOf(p.librarian_id));
    } catch (error) {
      store.say(error.message || "Could not list the chats.");
      opened.delete(p.librarian_id);
    }
    drawList();
    $("presence").querySelector(`[data-librarian-id="${p.librarian_id}"] .take-over-open`)?.focus();
  }

  function close(librarianId) {
    opened.delete(librarianId);
    drawList();
    $("presence").querySelector(`[data-librarian-id="${librarianId}"] .take-over-open`)?.focus();
  }

  function drawChats(p, list, status, chats) {
    if (!chats.length) status.textContent = `${p.display_name} holds no chats now.`;
    list.replaceChildren(
      ...chats.map((chat) =>
        el(
          "li",
          { "data-chat-id": chat.id },
          el("span", { text: `${chat.patron_name || chat.question.slice(0, 60)} (${chat.campus_name}) ` }),
          el("button", {
            type: "button",
            class: "button subtle",
            text: "Take over",
            "aria-label": `Take over the chat with ${chat.patron_name || "the patron"} from ${p.display_name}`,
            onclick: async () => {
              try {
                await actions.takeOver(chat.id);
                opened.delete(p.librarian_id);
                drawList();
              } catch (error) {
                status.textContent = error.message || "Could not take the chat over.";
              }
            },
          }),
          " ",
          watchButton(store, chat, `${chat.patron_name || "the patron"} (${p.display_name})`)
        )
      )
    );
  }

  function myStatus() {
    return state.presence.get(state.me.id)?.status || "online";
  }

  function drawMine() {
    const status = myStatus();
    for (const input of $("my-status").querySelectorAll("input")) input.checked = input.value === status;
    $("away-body").hidden = status !== "away";
  }

  for (const input of $("my-status").querySelectorAll("input")) {
    input.addEventListener("change", () => {
      // Refused or offline: the toggle goes back to what the server has.
      if (input.checked) actions.setPresence(input.value).catch(drawMine);
    });
  }
  $("im-back").addEventListener("click", () => {
    actions
      .setPresence("online")
      // The notice and its button are gone: the keyboard goes back to the console.
      .then(() => $("queue").focus())
      .catch(() => {});
  });

  store.subscribe("presence", () => {
    drawList();
    drawMine();
  });
  drawMine();
}
