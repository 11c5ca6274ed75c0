// The patron's page of a ticket: the question and the answers, drawn from
// GET /api/tickets/<token>, and an answer sent with POST /api/tickets/<token>/replies.
// Everything from the API goes in as text (el() and renderRichText), never as HTML.
import { el, renderRichText } from "./text.js";

const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const api = `/api/tickets/${encodeURIComponent(token)}`;
const $ = (id) => document.getElementById(id);

const STATES = { new: "Waiting for a librarian", open: "A librarian is on it", pending: "Answered", closed: "Closed" };

function entry(item) {
  const who = item.kind === "patron" ? "You" : item.author_name || "Librarian";
  const body = el("div", { class: "ticket-entry-body", dir: "auto" });
  renderRichText(body, item.body);
  return el(
    "li",
    { class: `ticket-entry ticket-entry-${item.kind}` },
    el("p", { class: "ticket-entry-who" }, el("strong", { text: who }), " ", el("time", { datetime: item.created_at, text: new Date(item.created_at).toLocaleString() })),
    body
  );
}

function draw(ticket) {
  $("ticket-campus").textContent = ticket.campus_name;
  $("ticket-state").textContent = STATES[ticket.state] || ticket.state;
  const question = $("ticket-question");
  question.replaceChildren();
  renderRichText(question, ticket.question);
  $("ticket-thread").replaceChildren(...ticket.thread.map(entry));
  $("ticket-body").hidden = false;
}

async function load() {
  const response = await fetch(api, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!response.ok) {
    $("ticket-status").textContent = "This question could not be opened.";
    return;
  }
  draw(await response.json());
  $("ticket-status").textContent = "";
}

$("ticket-answer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("answer-error");
  const body = $("answer-body");
  error.hidden = true;
  if (!body.value.trim()) {
    error.textContent = "Please write your answer first.";
    error.hidden = false;
    body.focus();
    return;
  }
  const response = await fetch(`${api}/replies`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ body: body.value }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    error.textContent = answer.message || "Your answer could not be sent. Please try again.";
    error.hidden = false;
    body.focus();
    return;
  }
  body.value = "";
  draw(answer);
  $("ticket-status").textContent = "Thank you. Your answer was sent to the library.";
});

load();
