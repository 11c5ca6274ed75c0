// Who is at the desk: every librarian by home campus, operators (online) first with their
// number of active chats, then the away ones, then the offline ones; and my own status,
// with its toggle and the away notice's "I'm back".
import { el } from "../../text.js";
import { plural } from "../words.js";
import { $ } from "./common.js";

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
              el("span", { class: "presence-state", text: describe(p) })
            )
          )
        )
      );
    });
    $("presence").replaceChildren(...groups);
    $("operators-count").textContent = String(operators);
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
