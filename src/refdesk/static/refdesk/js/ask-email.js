// The patron's email in the widget: the field a librarian asks for (email.requested ->
// email.set), the offer to leave a waiting question as a ticket (chat.ticket_offer ->
// chat.to_ticket), and "Email me the transcript" once the chat has ended
// (transcript.request). Each panel is built here and placed before the composer.
import { el } from "./text.js";

let counter = 0;

// One small form: a labelled email field, its error, and buttons. Returns its parts.
function emailForm({ title, hint, submit, extra = null, value = "" }) {
  counter += 1;
  const id = `patron-email-${counter}`;
  const input = el("input", { id, type: "email", autocomplete: "email", maxlength: "254", required: "", value, "aria-describedby": `${id}-hint ${id}-error` });
  const error = el("p", { id: `${id}-error`, class: "field-error", role: "alert", hidden: "" });
  const heading = el("h2", { class: "email-panel-title", tabindex: "-1", text: title });
  const form = el(
    "form",
    { class: "stack email-panel", novalidate: "" },
    heading,
    el("div", { class: "field" }, el("label", { for: id, text: "Your email" }), input, el("p", { id: `${id}-hint`, class: "hint", text: hint }), error),
    el("div", { class: "button-row" }, el("button", { type: "submit", class: "button primary", text: submit }), extra)
  );
  return { form, input, error, heading };
}

function showError(parts, text) {
  parts.error.textContent = text;
  parts.error.hidden = false;
  parts.input.focus();
}

export class EmailPanels {
  // place(node): puts a panel in the chat; request(frame): sends a frame, resolving with
  // its ack or rejecting with its error; status(text): the widget's live status line.
  constructor({ place, request, status, email }) {
    this.place = place;
    this.request = request;
    this.status = status;
    this.email = email || "";
    this.open = new Map();
  }

  close(kind) {
    this.open.get(kind)?.form.remove();
    this.open.delete(kind);
  }

  show(kind, options, onSubmit) {
    this.close(kind);
    const parts = emailForm({ ...options, value: this.email });
    parts.form.addEventListener("submit", async (event) => {
      event.preventDefault();
      parts.error.hidden = true;
      const email = parts.input.value.trim();
      if (!email || !parts.input.checkValidity()) {
        showError(parts, "Please give an email address such as name@example.edu.");
        return;
      }
      try {
        await onSubmit(email);
        this.email = email;
      } catch (error) {
        showError(parts, error.message || "That did not work. Please try again.");
      }
    });
    this.open.set(kind, parts);
    this.place(parts.form);
    parts.heading.focus();
    return parts;
  }

  // The librarian asked for an address.
  requested() {
    this.show("requested", { title: "The librarian asks for your email", hint: "So that the library can answer you by email.", submit: "Send email address" }, async (email) => {
      await this.request({ type: "email.set", email });
      this.close("requested");
      this.status("Thank you: the librarian has your email address.");
    });
  }

  // Nobody has answered yet: offer to leave the question as a ticket.
  ticketOffer() {
    const keep = el("button", { type: "button", class: "button subtle", text: "Keep waiting" });
    keep.addEventListener("click", () => {
      this.close("offer");
      this.status("You are still in the queue. A librarian will be with you as soon as possible.");
    });
    this.show(
      "offer",
      { title: "Nobody is free just now", hint: "Leave your question and a librarian will answer it by email. Or keep waiting.", submit: "Leave it as a ticket", extra: keep },
      async (email) => {
        await this.request({ type: "chat.to_ticket", email });
        this.close("offer");
      }
    );
  }

  // The chat has ended: the transcript may be emailed.
  ended() {
    this.close("requested");
    this.close("offer");
    this.show("transcript", { title: "Email me the transcript", hint: "We send the conversation to this address once.", submit: "Email me the transcript" }, async (email) => {
      await this.request({ type: "transcript.request", email });
      this.close("transcript");
      this.status(`The transcript was sent to ${email}.`);
    });
  }
}
