// The patron panel: what the console knows of the patron of a chat, as text, and the form
// that records the name and email the patron gives during the chat.
import { el, formatClock, formatWait, renderRichText } from "../../text.js";
import { $ } from "./common.js";

// How long the patron waited: until the claim, or until now while nobody has claimed.
function waited(chat, now) {
  const until = chat.claimed_at ? Date.parse(chat.claimed_at) : chat.ended_at ? Date.parse(chat.ended_at) : now;
  return formatWait((until - Date.parse(chat.created_at)) / 1000);
}

export function mountPatron(store, actions) {
  const { state } = store;
  const panel = $("patron-panel");
  const form = $("patron-form");
  const nameBox = $("patron-name-input");
  const emailBox = $("patron-email-input");
  const error = $("patron-form-error");

  // The holder of a chat still open, or a supervisor, may record what the patron said.
  function mayEdit(chat) {
    if (chat.state === "ended") return false;
    return chat.claimed_by_id === state.me.id || store.isSupervisor();
  }

  function draw({ refresh = false } = {}) {
    const chat = state.patron;
    if (!chat) {
      panel.hidden = true;
      return;
    }
    const rows = [
      ["Name", chat.patron_name || "(not given)"],
      ["Campus", chat.campus_name],
      ["Question", chat.question],
      ["Came from", chat.page_url || "(unknown)"],
      ["Browser", chat.browser],
      ["Email", chat.patron_email || "(not given)"],
      [chat.claimed_at ? "Waited" : "Waiting since", `${formatClock(chat.created_at)} (${waited(chat, Date.now())})`],
    ];
    if (chat.name_was_question) rows.splice(1, 0, ["Note", "Question was typed in the name box"]);
    $("patron-details").replaceChildren(
      ...rows.flatMap(([term, value]) => {
        const dd = el("dd");
        renderRichText(dd, value);
        return [el("dt", { text: term }), dd];
      })
    );
    const editable = mayEdit(chat);
    form.hidden = !editable;
    // A refresh (the details changed) keeps what the librarian is typing and where.
    const typing = form.contains(document.activeElement);
    if (editable && (!refresh || !typing || panel.dataset.chatId !== String(chat.id))) {
      nameBox.value = chat.patron_name;
      emailBox.value = chat.patron_email;
    }
    const opened = panel.hidden || panel.dataset.chatId !== String(chat.id);
    panel.hidden = false;
    panel.dataset.chatId = chat.id;
    if (opened && !refresh) {
      error.hidden = true;
      $("patron-title").focus();
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chat = state.patron;
    if (!chat) return;
    error.hidden = true;
    const result = await actions.setPatron(chat.id, { name: nameBox.value, email: emailBox.value });
    if (result.ok) {
      store.say(`Saved the patron's details.`);
      return;
    }
    error.textContent = result.message;
    error.hidden = false;
    (result.field === "email" ? emailBox : nameBox).focus();
  });

  store.subscribe("patron", draw);
  $("patron-close").addEventListener("click", () => store.hidePatron());
  // The wait of a chat nobody has claimed yet ticks; a claimed one stopped at the claim.
  setInterval(() => {
    if (state.patron && !panel.hidden && !state.patron.claimed_at && state.patron.state === "waiting") draw({ refresh: true });
  }, 15000);
}
