// Transfers: the Transfer button of each chat of mine and its dialog (operators from the
// patron's campus first, then the other librarians online, then the campus queues), the
// note on a chat while an offer of it stands, and the offers made to me, each with the
// conversation so far, Accept, Decline and the seconds left.
import { el, formatClock } from "../../text.js";
import { displayName, plural } from "../words.js";
import { $ } from "./common.js";

// The last lines of an offered chat shown on its card; the whole chat opens on accept.
const PREVIEW_LINES = 4;

// Seconds from now until an ISO time, never below zero.
function secondsLeft(iso, offsetMs) {
  return Math.max(0, Math.ceil((Date.parse(iso) - (Date.now() + offsetMs)) / 1000));
}

function campusesOfPage() {
  return [...$("campus-filter").options]
    .filter((option) => option.value)
    .map((option) => ({ slug: option.value, name: option.textContent }));
}

export function mountTransfers(store, actions) {
  const { state } = store;
  // The server's clock minus ours, when the snapshot tells it; 0 otherwise.
  const offsetMs = () => state.serverOffsetMs || 0;

  // --- the dialog ------------------------------------------------------------

  const title = el("h2", { id: "transfer-title", text: "Transfer chat" });
  const intro = el("p", { id: "transfer-intro", class: "transfer-intro" });
  const lists = el("div", { class: "transfer-lists" });
  const status = el("p", { class: "transfer-status", role: "status", "aria-live": "polite" });
  const close = el("button", { type: "button", class: "button subtle", text: "Cancel", onclick: () => dialog.close() });
  const dialog = el(
    "dialog",
    { id: "transfer-dialog", class: "transfer-dialog", "aria-labelledby": "transfer-title", "aria-describedby": "transfer-intro" },
    title,
    intro,
    lists,
    status,
    el("div", { class: "dialog-buttons" }, close)
  );
  document.body.append(dialog);
  let dialogChat = null;

  function choice(text, detail, onChoose) {
    return el(
      "li",
      {},
      el("button", { type: "button", class: "button choice", onclick: onChoose }, text, detail ? el("span", { class: "choice-detail", text: detail }) : null)
    );
  }

  async function choose(chatId, target, label) {
    status.textContent = `Transferring to ${label}…`;
    for (const button of lists.querySelectorAll("button")) button.disabled = true;
    try {
      status.textContent = await actions.transfer(chatId, target);
      setTimeout(() => dialog.close(), 900);
    } catch (error) {
      status.textContent = error.message || "The transfer did not go through.";
      for (const button of lists.querySelectorAll("button")) button.disabled = false;
    }
  }

  function openDialog(chatId) {
    const chat = state.chats.get(chatId);
    if (!chat || chat.ended) return;
    dialogChat = chatId;
    const summary = chat.summary;
    const online = [...state.presence.values()].filter((p) => p.status === "online" && p.librarian_id !== state.me.id);
    const home = online.filter((p) => p.campus === summary.campus);
    const others = online.filter((p) => p.campus !== summary.campus);
    const who = (p) => {
      const count = typeof p.active_chats === "number" ? `, ${plural(p.active_chats, "active chat")}` : "";
      return ` (${p.campus}${count})`;
    };
    const toLibrarian = (p) => choice(p.display_name, who(p), () => choose(chatId, { toLibrarian: p.librarian_id }, p.display_name));
    const section = (heading, items, empty) =>
      el(
        "section",
        { class: "transfer-section" },
        el("h3", { text: heading }),
        items.length ? el("ul", { class: "choices" }, ...items) : el("p", { class: "empty", text: empty })
      );
    title.textContent = `Transfer the chat with ${displayName(summary)}`;
    intro.textContent = home.length
      ? `The patron asked at ${summary.campus_name}: an operator from there first.`
      : `Nobody from ${summary.campus_name} is online. Choose another librarian, or put the chat in a campus's queue.`;
    const queues = campusesOfPage().map((campus) =>
      choice(`${campus.name} queue`, campus.slug === summary.campus ? " (the patron's campus)" : "", () =>
        choose(chatId, { toCampus: campus.slug }, `the ${campus.name} queue`)
      )
    );
    queues.sort((a, b) => Number(b.textContent.includes("the patron's")) - Number(a.textContent.includes("the patron's")));
    lists.replaceChildren(
      section(`Online from ${summary.campus_name}`, home.map(toLibrarian), "Nobody from this campus is online."),
      section("Other librarians online", others.map(toLibrarian), "Nobody else is online."),
      section("Campus queues", queues, "")
    );
    status.textContent = "";
    dialog.showModal();
    (lists.querySelector("button") || close).focus();
  }

  // Focus goes back where it came from; once the chat has left, to its "Close tab".
  dialog.addEventListener("close", () => {
    const pane = dialogChat !== null ? $(`pane-${dialogChat}`) : null;
    const back = [...(pane?.querySelectorAll(".transfer-open, .close-tab") || [])].find((b) => !b.hidden);
    back?.focus();
    dialogChat = null;
  });

  // --- the Transfer button and the note on each chat of mine ---------------------

  const notes = new Map(); // chat id -> the note node in its pane

  function addButton(id) {
    const pane = $(`pane-${id}`);
    if (!pane || pane.querySelector(".transfer-open")) return;
    const button = el("button", { type: "button", class: "button subtle transfer-open", text: "Transfer…", onclick: () => openDialog(id) });
    const note = el("p", { class: "transfer-note", role: "status", hidden: true });
    pane.querySelector(".pane-head")?.append(button);
    pane.querySelector(".pane-head")?.after(note);
    notes.set(id, { button, note });
  }

  function drawNote(id) {
    const chat = state.chats.get(id);
    const parts = notes.get(id);
    if (!chat || !parts) return;
    const offeredTo = chat.summary.offer_to_id;
    let text = chat.transferNote || "";
    if (offeredTo && chat.summary.offer_expires_at && !chat.ended) {
      const name = state.presence.get(offeredTo)?.display_name || "a librarian";
      text = `Offered to ${name}: ${secondsLeft(chat.summary.offer_expires_at, offsetMs())} s left.`;
    }
    parts.note.textContent = text;
    parts.note.hidden = !text || chat.ended;
    parts.button.hidden = chat.ended;
  }

  store.subscribe("chats", (change) => {
    if (change.kind === "open") addButton(change.id);
    else if (change.kind === "ended" || change.kind === "reopened") drawNote(change.id);
    else if (change.kind === "close") notes.delete(change.id);
  });
  store.subscribe("transfer", ({ id }) => drawNote(id));

  // --- offers made to me ---------------------------------------------------------

  const offersBox = el("section", { id: "transfer-offers", class: "transfer-offers", "aria-label": "Chats offered to you", hidden: true });
  $("tabs").before(offersBox);
  const cards = new Map(); // chat id -> {card, left}

  function card(offer) {
    const chat = offer.chat;
    const lines = (chat.messages || []).slice(-PREVIEW_LINES).map((m) =>
      el(
        "li",
        { class: `preview from-${m.sender}` },
        el("span", { class: "who", text: m.sender === "patron" ? m.sender_name || "Patron" : m.sender_name || "" }),
        ` ${m.body}`,
        el("time", { class: "when", datetime: m.sent_at, text: ` ${formatClock(m.sent_at)}` })
      )
    );
    const left = el("span", { class: "offer-left" });
    const node = el(
      "article",
      { class: "offer-card", "data-chat-id": offer.chat_id, "aria-labelledby": `offer-title-${offer.chat_id}` },
      el("h3", { id: `offer-title-${offer.chat_id}`, text: `${offer.from} offers you a chat with ${displayName(chat)} (${chat.campus_name})` }),
      el("ol", { class: "offer-preview", "aria-label": "The conversation so far" }, ...lines),
      el(
        "div",
        { class: "offer-buttons" },
        el("button", { type: "button", class: "button primary", text: "Accept", onclick: () => actions.acceptOffer(offer.chat_id) }),
        el("button", { type: "button", class: "button subtle", text: "Decline", onclick: () => actions.declineOffer(offer.chat_id) }),
        left
      )
    );
    return { card: node, left };
  }

  function drawOffers() {
    for (const [id, { card: node }] of cards) {
      if (!state.offers.has(id)) {
        node.remove();
        cards.delete(id);
      }
    }
    for (const [id, offer] of state.offers) {
      if (!cards.has(id)) {
        const made = card(offer);
        cards.set(id, made);
        offersBox.append(made.card);
      }
    }
    offersBox.hidden = cards.size === 0;
    tick();
  }

  function tick() {
    for (const [id, { left }] of cards) {
      const offer = state.offers.get(id);
      if (offer) left.textContent = `${secondsLeft(offer.expires_at, offsetMs())} s left`;
    }
    for (const id of notes.keys()) {
      if (state.chats.get(id)?.summary.offer_to_id) drawNote(id);
    }
  }

  store.subscribe("offers", drawOffers);
  setInterval(tick, 1000);
}
