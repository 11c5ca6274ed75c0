// The librarian console: every queue live, claimed chats in tabs, on the staff socket.
//
// This entry wires the parts. The store (console/store.js) holds the state and applies
// every frame with its handler; the actions (console/actions.js) send what the librarian
// does and apply the answers; each view (console/views/) draws one part of the page from
// the store and calls the actions.
import { ReconnectingSocket } from "./socket.js";
import { createActions } from "./console/actions.js";
import { Store } from "./console/store.js";
import { mountAwayTimer } from "./console/views/away.js";
import { mountChats } from "./console/views/chats.js";
import { mountFacts } from "./console/views/facts.js";
import { mountTransfers } from "./console/views/transfer.js";
import { mountNotices } from "./console/views/notices.js";
import { mountPatron } from "./console/views/patron.js";
import { mountPatronConnections } from "./console/views/patrons.js";
import { mountPresence } from "./console/views/presence.js";
import { mountQueue } from "./console/views/queue.js";
import { mountSound } from "./console/views/sound.js";
import { mountStatus } from "./console/views/status.js";
import { mountTickets } from "./console/views/tickets.js";
import { createTicketActions } from "./console/ticketactions.js";
import { mountTicket } from "./console/views/ticket.js";
import { mountTicketDesk } from "./console/views/ticketdesk.js";
import { createSnippetActions } from "./console/snippetactions.js";
import { mountSafetyActions } from "./console/safetyactions.js";
import { mountMySnippets } from "./console/views/mysnippets.js";
import { mountDirectory } from "./console/views/directory.js";
import { readThresholds } from "./console/timers.js";
import { mountTimers } from "./console/views/timers.js";
import { mountSafety } from "./console/views/safety.js";
import { mountSupervise } from "./console/supervise.js";

// Settings survive a reload where the browser allows storage; elsewhere they are per page.
function readSetting(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeSetting(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Storage blocked (a private window, a policy): the setting lasts for this page.
  }
}

const root = document.getElementById("console");
const filter = document.getElementById("campus-filter");
// A campus that is no longer an option falls back to every campus.
filter.value = readSetting("refdesk.filter") || "";
const store = new Store({
  me: { id: Number(root.dataset.meId), name: root.dataset.meName, campus: root.dataset.meCampus, role: root.dataset.meRole },
  settings: { sound: readSetting("refdesk.sound") !== "off", filter: filter.value },
});
const { state } = store;
store.setPageHidden(document.hidden);
store.subscribe("settings", ({ key }) => {
  if (key === "sound") writeSetting("refdesk.sound", state.settings.sound ? "on" : "off");
  else writeSetting("refdesk.filter", state.settings.filter);
});

const socket = new ReconnectingSocket(() => `/ws/staff/?after=${state.lastEventId}`, {
  onFrame: (frame) => store.receive(frame),
  // "Connected" waits for the snapshot: until it lands the console shows nothing current.
  onStatus: (status) => {
    if (status !== "open") store.setConnection(status);
  },
  onClose(event) {
    if (event.code === 4401 || event.code === 4403) {
      location.href = `/accounts/login/?next=${encodeURIComponent(location.pathname)}`;
      return false;
    }
    return true;
  },
});
const actions = createActions(store, socket);

mountStatus(store);
mountNotices(store);
const sound = mountSound(store);
mountQueue(store, actions);
mountTickets(store, actions);
mountPresence(store, actions);
mountAwayTimer(store, actions, Number(root.dataset.awayAfterMs));
mountChats(store, actions);
// The directory (Alt+K): before the campus panel, which lists the campus's contacts.
mountDirectory(store, { where: document.querySelector(".console-tools") });
// The campus panel and the interview card beside each chat: after mountChats, which
// makes the panes.
mountFacts(store, socket);
mountTransfers(store, actions);
mountPatron(store, actions);
mountPatronConnections(store);
// After the chats and the transfers: it adds to the panes they build.
mountTimers(store, actions, readThresholds(root.dataset));
// After the campus panel: the safety panel opens at the top of the aside it builds.
mountSafety(store, actions);
const ticketActions = createTicketActions(store, socket);
mountTicket(store, ticketActions, mountTicketDesk(store, ticketActions));
// My snippets: the dialog for the librarian's own (views/mysnippets.js).
mountMySnippets(store, createSnippetActions(store, socket), { where: document.querySelector(".console-tools") });

// Block patron and Report incident dialogs; incidents reported reach supervisors here.
mountSafetyActions(store, socket, { where: document.querySelector(".console-tools") });
// Supervision: "Alert a supervisor" for everyone; alerts, watching and notes for supervisors.
mountSupervise(store, socket, sound, { where: document.querySelector(".console-tools") });

filter.addEventListener("change", () => store.setFilter(filter.value));
document.addEventListener("visibilitychange", () => store.setPageHidden(document.hidden));
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const chat = state.chats.get(state.current);
  if (chat?.confirmingEnd) store.confirmEnd(chat.id, false);
  else if (state.confirmingDismiss) store.cancelDismiss();
  else if (state.patron) store.hidePatron();
});

// For tests: drop the connection to see the console resume, read the state, and apply a
// frame as if the server had sent it.
window.refdeskConsole = { drop: () => socket.drop(), state, receive: (frame) => store.receive(frame), store, sound };
