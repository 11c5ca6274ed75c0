// The patron panel: what the console knows of the patron of a chat, as text.
import { el, formatClock, formatWait, renderRichText } from "../../text.js";
import { $ } from "./common.js";

export function mountPatron(store) {
  const panel = $("patron-panel");

  store.subscribe("patron", () => {
    const chat = store.state.patron;
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
      ["Waiting since", `${formatClock(chat.created_at)} (${formatWait((Date.now() - Date.parse(chat.created_at)) / 1000)})`],
    ];
    if (chat.name_was_question) rows.splice(1, 0, ["Note", "Question was typed in the name box"]);
    $("patron-details").replaceChildren(
      ...rows.flatMap(([term, value]) => {
        const dd = el("dd");
        renderRichText(dd, value);
        return [el("dt", { text: term }), dd];
      })
    );
    panel.hidden = false;
    panel.dataset.chatId = chat.id;
    $("patron-title").focus();
  });

  $("patron-close").addEventListener("click", () => store.hidePatron());
}
