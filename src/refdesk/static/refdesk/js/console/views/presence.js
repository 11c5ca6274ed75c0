// Who is online: every librarian, online first, by name.
import { el } from "../../text.js";
import { $ } from "./common.js";

export function mountPresence(store) {
  store.subscribe("presence", () => {
    const rows = [...store.state.presence.values()].sort((a, b) =>
      a.status === b.status ? a.display_name.localeCompare(b.display_name) : a.status === "online" ? -1 : 1
    );
    $("presence").replaceChildren(
      ...rows.map((p) =>
        el("li", { class: `presence-${p.status}` }, el("span", { class: `dot campus-${p.campus}`, "aria-hidden": "true" }), `${p.display_name} (${p.campus}) — ${p.status}`)
      )
    );
  });
}
