// The switch between the Chats and Tickets views, and the Tickets view's list: the
// campus queues of tickets with their counts, the filters (campus, state, owner) and the
// search, a row per ticket, newest first after the librarian's own campus's new tickets,
// and "Show older tickets". A ticket opens in its own view (views/ticket.js) beside the
// list.
//
// Rows are kept by id: a ticket that arrives is placed in its spot, one that changes is
// redrawn in its own node, one that leaves the filter goes; the focus stays where it was.
import { el, formatClock } from "../../text.js";
import { plural } from "../words.js";
import { $, badge } from "./common.js";

export const STATE_WORDS = { new: "New", open: "Open", pending: "Pending", closed: "Closed" };
const QUESTION_EXCERPT = 140;

export function formatWhen(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  if (when.toDateString() === new Date().toDateString()) return formatClock(iso);
  return when.toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
}

export function campusesOfPage() {
  return [...$("campus-filter").options].filter((option) => option.value).map((option) => ({ slug: option.value, name: option.textContent }));
}

function excerpt(text) {
  const line = (text || "").replace(/\s+/gu, " ").trim();
  return line.length > QUESTION_EXCERPT ? `${line.slice(0, QUESTION_EXCERPT - 1)}…` : line;
}

function ownerWords(ticket, me) {
  if (ticket.owner_id == null) return "Unassigned";
  return ticket.owner_id === me.id ? "Yours" : `With ${ticket.owner}`;
}

// --- the switch between the views ---------------------------------------------------

function mountSwitch(store, grid, section) {
  const desk = store.ticketdesk;
  const chatsCount = el("span", { class: "count", id: "view-chats-count" });
  const ticketsCount = el("span", { class: "count", id: "view-tickets-count" });
  const offerMark = el("span", { class: "view-offer", text: "offer", hidden: true });
  const chatsTab = el(
    "button",
    { type: "button", role: "tab", id: "view-chats-tab", class: "view-tab", "aria-controls": grid.id, "aria-selected": "true" },
    "Chats ",
    chatsCount,
    el("span", { class: "visually-hidden", text: " waiting" }),
    offerMark
  );
  const ticketsTab = el(
    "button",
    { type: "button", role: "tab", id: "view-tickets-tab", class: "view-tab", "aria-controls": section.id, "aria-selected": "false", tabindex: "-1" },
    "Tickets ",
    ticketsCount,
    el("span", { class: "visually-hidden", text: " new" })
  );
  const tabs = [chatsTab, ticketsTab];
  const bar = el("div", { class: "view-switch", role: "tablist", "aria-label": "Console views" }, chatsTab, ticketsTab);
  grid.before(bar);
  grid.setAttribute("role", "tabpanel");
  grid.setAttribute("aria-labelledby", chatsTab.id);

  chatsTab.addEventListener("click", () => desk.showView("chats"));
  ticketsTab.addEventListener("click", () => desk.showView("tickets"));
  bar.addEventListener("keydown", (event) => {
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const tab = tabs[(next + tabs.length) % tabs.length];
    tab.focus();
    tab.click();
  });

  function drawView() {
    const tickets = desk.state.view === "tickets";
    chatsTab.setAttribute("aria-selected", String(!tickets));
    ticketsTab.setAttribute("aria-selected", String(tickets));
    chatsTab.tabIndex = tickets ? -1 : 0;
    ticketsTab.tabIndex = tickets ? 0 : -1;
    grid.hidden = tickets;
    section.hidden = !tickets;
  }

  function drawCounts() {
    const { queue, tickets, offers } = store.state;
    chatsCount.textContent = queue.totalFor("").toLocaleString();
    ticketsCount.textContent = tickets.total.toLocaleString();
    // A transfer offered to me shows on the Chats tab while the Tickets view is up.
    offerMark.hidden = offers.size === 0;
  }

  store.subscribe("view", drawView);
  for (const topic of ["queue", "tickets", "offers"]) store.subscribe(topic, drawCounts);
  drawView();
  drawCounts();
}

// --- the list ---------------------------------------------------------------------------

function select(id, label, options) {
  return el(
    "div",
    { class: "td-filter" },
    el("label", { for: id, text: label }),
    el("select", { id }, ...options.map(([value, text]) => el("option", { value, text })))
  );
}

export function mountTicketDesk(store, actions) {
  const desk = store.ticketdesk;
  const { state } = desk;
  const { me } = store.state;
  const grid = document.querySelector(".console-grid");
  if (!grid.id) grid.id = "console-chats";
  const campuses = campusesOfPage();

  const counts = el("ul", { class: "td-counts", "aria-label": "New tickets in each campus queue" });
  const search = el("input", { id: "td-q", type: "search", maxlength: "200", autocomplete: "off", spellcheck: "false" });
  const form = el(
    "form",
    { class: "td-filters", role: "search", "aria-label": "Find tickets" },
    select("td-campus", "Campus", [["", "All campuses"], ...campuses.map((c) => [c.slug, c.name])]),
    select("td-state", "State", [["new", "New"], ["open", "Open"], ["pending", "Pending"], ["closed", "Closed"], ["all", "All states"]]),
    select("td-owner", "Owner", [["", "Anyone"], ["me", "Mine"], ["none", "Unassigned"]]),
    el(
      "div",
      { class: "td-filter td-search" },
      el("label", { for: "td-q", text: "Search question, patron and thread" }),
      el("div", { class: "td-search-row" }, search, el("button", { type: "submit", class: "button subtle", text: "Search" }))
    )
  );
  // What the list holds, kept current; the live region says it only when a filter's
  // page comes, not at every ticket that moves.
  const summary = el("p", { id: "td-summary", class: "td-summary" });
  const status = el("p", { id: "td-status", class: "visually-hidden", role: "status", "aria-live": "polite" });
  const error = el("p", { id: "td-error", class: "notice error", role: "alert", hidden: true });
  const list = el("ul", { id: "td-list", class: "td-list", "aria-label": "Tickets", tabindex: "-1" });
  const empty = el("p", { id: "td-empty", class: "empty", text: "No tickets match.", hidden: true });
  const older = el("button", { type: "button", id: "td-older", class: "button subtle older", text: "Show older tickets", hidden: true });
  const ticketView = el("article", { id: "ticket-view", class: "ticket-view", "aria-labelledby": "ticket-view-title", hidden: true });
  const section = el(
    "section",
    { id: "ticketdesk", class: "ticketdesk", role: "tabpanel", "aria-labelledby": "view-tickets-tab", hidden: true },
    el(
      "div",
      { class: "td-pane" },
      el("h2", { id: "td-title", class: "td-title", text: "Tickets" }),
      counts,
      form,
      summary,
      status,
      error,
      list,
      older,
      empty
    ),
    ticketView
  );
  grid.after(section);
  mountSwitch(store, grid, section);

  const fields = { campus: $("td-campus"), state: $("td-state"), owner: $("td-owner") };
  function drawFilter() {
    for (const [key, control] of Object.entries(fields)) control.value = state.filter[key];
    if (document.activeElement !== search) search.value = state.filter.q;
  }
  for (const [key, control] of Object.entries(fields)) {
    control.addEventListener("change", () => desk.setFilter({ [key]: control.value }));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    desk.setFilter({ q: search.value });
  });
  // Clearing the box (its × or Escape) shows every ticket of the filter again.
  search.addEventListener("input", () => {
    if (!search.value && state.filter.q) desk.setFilter({ q: "" });
  });

  // --- the counts of new tickets, per campus -------------------------------------------

  function drawCounts() {
    const { tickets } = store.state;
    const mineFirst = [...campuses].sort((a, b) => Number(b.slug === me.campus) - Number(a.slug === me.campus));
    counts.replaceChildren(
      ...mineFirst.map((campus) => {
        const n = tickets.byCampus.get(campus.slug) || 0;
        return el(
          "li",
          { class: `td-count campus-${campus.slug}`, "data-campus": campus.slug },
          badge({ campus: campus.slug, campus_name: campus.name }),
          " ",
          el("span", { class: "td-count-number", text: `${n.toLocaleString()} new` }),
          campus.slug === me.campus ? el("span", { class: "td-mine", text: " (your campus)" }) : null
        );
      })
    );
  }
  store.subscribe("tickets", (change) => {
    if (change.kind === "counts" || change.kind === "reset") drawCounts();
  });

  // --- the rows ------------------------------------------------------------------------

  const nodes = new Map(); // ticket id -> its row

  function row(ticket) {
    const open = state.open?.id === ticket.id;
    return el(
      "li",
      { class: `td-row campus-${ticket.campus} state-${ticket.state}${desk.rank(ticket) === 0 ? " td-row-mine" : ""}`, "data-ticket-id": ticket.id },
      el(
        "button",
        { type: "button", class: "td-open", "aria-current": open ? "true" : null, onclick: () => desk.openTicket(ticket.id) },
        el("span", { class: "td-line" }, el("span", { class: "td-who", dir: "auto", text: ticket.name || ticket.email || "(no name given)" }), badge(ticket)),
        el("span", { class: "td-question", dir: "auto", text: excerpt(ticket.question) }),
        el(
          "span",
          { class: "td-meta" },
          el("span", { class: `td-state td-state-${ticket.state}`, text: STATE_WORDS[ticket.state] || ticket.state }),
          " · ",
          el("span", { class: "td-owner", text: ownerWords(ticket, me) }),
          " · ",
          el("time", { datetime: ticket.created_at, text: formatWhen(ticket.created_at) })
        )
      )
    );
  }

  function place(node, ticket) {
    const rows = list.children;
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = state.items.get(Number(rows[middle].dataset.ticketId));
      if (other && desk.order(other, ticket) <= 0) low = middle + 1;
      else high = middle;
    }
    list.insertBefore(node, rows[low] || null);
  }

  function put(ticket, known) {
    const node = nodes.get(ticket.id);
    if (!node) {
      const made = row(ticket);
      nodes.set(ticket.id, made);
      place(made, ticket);
      return;
    }
    const hadFocus = node.contains(document.activeElement);
    const fresh = row(ticket);
    node.className = fresh.className;
    node.replaceChildren(...fresh.childNodes);
    // A ticket whose rank changed (no longer new) moves to its new spot.
    if (known && desk.rank(known) !== desk.rank(ticket)) {
      node.remove();
      place(node, ticket);
    }
    if (hadFocus) node.querySelector("button")?.focus();
  }

  function remove(id) {
    const node = nodes.get(id);
    if (!node) return;
    nodes.delete(id);
    if (node.contains(document.activeElement)) {
      // The focus goes to the next row, or the one before, not to the top of the page.
      const next = node.nextElementSibling || node.previousElementSibling;
      node.remove();
      (next?.querySelector("button") || list).focus();
    } else {
      node.remove();
    }
  }

  function drawFooter() {
    older.hidden = !state.more;
    if (state.loading) older.setAttribute("aria-busy", "true");
    else older.removeAttribute("aria-busy");
    empty.hidden = !state.loaded || state.loading || list.childElementCount > 0;
    error.hidden = !state.error;
    error.textContent = state.error;
  }

  // What the list holds, said once a filter's page has come: "3 tickets: new, unassigned,
  // every campus, matching “laptop”."
  function describe() {
    const { filter } = state;
    const parts = [filter.state === "all" ? "every state" : STATE_WORDS[filter.state].toLowerCase()];
    if (filter.owner) parts.push(filter.owner === "me" ? "mine" : "unassigned");
    parts.push(filter.campus ? (campuses.find((c) => c.slug === filter.campus)?.name ?? filter.campus) : "every campus");
    const query = filter.q ? `, matching “${filter.q}”` : "";
    const more = state.more ? " shown (more are older)" : "";
    return `${plural(state.items.size, "ticket")}${more}: ${parts.join(", ")}${query}.`;
  }

  store.subscribe("ticketdesk", (change) => {
    if (change.kind === "put") put(change.item, change.known);
    else if (change.kind === "remove") remove(change.id);
    else if (change.kind === "reset") {
      nodes.clear();
      list.replaceChildren();
      drawFilter();
    } else if (change.kind === "page") {
      status.textContent = describe();
    }
    summary.textContent = state.loaded ? describe() : "Loading tickets…";
    drawFooter();
  });

  // The open ticket's row is marked as the current one.
  store.subscribe("ticket", (change) => {
    if (change.kind !== "open" && change.kind !== "close") return;
    for (const [id, node] of nodes) {
      const button = node.querySelector(".td-open");
      if (state.open?.id === id) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  });

  older.addEventListener("click", async () => {
    const hadFocus = document.activeElement === older;
    const added = await actions.loadTickets({ older: true });
    // The last page came while the keyboard was on the button, which is gone: the focus
    // goes to the first row it brought.
    if (hadFocus && older.hidden && added) {
      const first = added.map((t) => nodes.get(t.id)).find(Boolean);
      (first?.querySelector("button") || list).focus();
    }
  });

  // Up and Down move between the rows; Home and End go to the first and the last.
  list.addEventListener("keydown", (event) => {
    const buttons = [...list.querySelectorAll(".td-open")];
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (next === undefined || !buttons[next]) return;
    event.preventDefault();
    buttons[next].focus();
  });

  drawFilter();
  drawCounts();
  drawFooter();
  return { list, nodes, view: ticketView };
}
