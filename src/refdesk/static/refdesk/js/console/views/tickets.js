// The new tickets: a row each, newest first, with the address to answer and the question.
import { el, formatClock, renderRichText } from "../../text.js";
import { $, badge } from "./common.js";
import { ListView } from "./list.js";

// A ticket's question is shown whole up to this length, and behind a disclosure beyond it.
const TICKET_EXCERPT = 280;

function formatWhen(iso) {
  const when = new Date(iso);
  if (when.toDateString() === new Date().toDateString()) return formatClock(iso);
  return when.toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
}

// Every part of an address is encoded, so that nothing in it reads as a mailto: header.
function mailto(email) {
  return `mailto:${email.split("@").map(encodeURIComponent).join("@")}`;
}

function row(ticket, open) {
  const question = el("p", { class: "ticket-question", dir: "auto" });
  const long = ticket.question.length > TICKET_EXCERPT;
  renderRichText(question, long ? `${ticket.question.slice(0, TICKET_EXCERPT - 1)}…` : ticket.question);
  let more = null;
  if (long) {
    const whole = el("p", { class: "ticket-question", dir: "auto" });
    renderRichText(whole, ticket.question);
    more = el("details", { class: "ticket-more" }, el("summary", { text: "Whole question" }), whole);
  }
  return el(
    "li",
    { class: `ticket-item campus-${ticket.campus}`, "data-ticket-id": ticket.id },
    el("div", { class: "queue-line" }, el("span", { class: "ticket-who", dir: "auto", text: ticket.name || "(no name given)" }), badge(ticket)),
    el("a", { class: "ticket-email", href: mailto(ticket.email), text: ticket.email }),
    question,
    more,
    el("time", { class: "ticket-time", datetime: ticket.created_at, text: formatWhen(ticket.created_at) }),
    // Answered in the Tickets view, where it opens.
    el("button", { type: "button", class: "link-button ticket-open", text: "Open ticket", onclick: () => open(ticket.id) })
  );
}

export function mountTickets(store, actions) {
  new ListView(store, "tickets", {
    actions,
    list: $("tickets"),
    older: $("tickets-older"),
    empty: $("tickets-empty"),
    count: $("tickets-count"),
    noun: "ticket",
    build: (ticket) =>
      row(ticket, (id) => {
        store.ticketdesk.showView("tickets");
        store.ticketdesk.openTicket(id);
      }),
    refresh: () => false,
    focusable: (node) => node.querySelector("a"),
    idOf: (node) => Number(node.dataset.ticketId),
  });
}
