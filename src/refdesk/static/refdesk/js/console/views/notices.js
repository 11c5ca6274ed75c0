// What the console says: the live region and the reminder. Sounds and desktop
// notifications are views/sound.js's.
import { plural, displayName } from "../words.js";
import { $ } from "./common.js";

// New chats that arrive this soon after one another are announced together.
const ARRIVALS_MS = 2000;
const REMINDER_MS = 8000;

export function mountNotices(store) {
  let arrivals = 0;
  let arrivalsTimer = null;
  let reminderTimer = null;

  // Emptied first, so that the same sentence twice is read twice.
  function announce(text) {
    const box = $("announcer");
    box.textContent = "";
    setTimeout(() => (box.textContent = text), 50);
  }

  // The first new chat is announced at once; those that follow it closely (a flood) are
  // counted and announced together every two seconds while they come.
  function arrival(chat) {
    if (arrivalsTimer) {
      arrivals += 1;
      return;
    }
    announce(`New chat from ${displayName(chat)} at ${chat.campus_name}.`);
    arrivalsTimer = setTimeout(function flush() {
      const more = arrivals;
      arrivals = 0;
      if (!more) {
        arrivalsTimer = null;
        return;
      }
      announce(`${plural(more, "more new chat")}.`);
      arrivalsTimer = setTimeout(flush, ARRIVALS_MS);
    }, ARRIVALS_MS);
  }

  store.subscribe("say", ({ text }) => announce(text));
  store.subscribe("arrival", ({ chat }) => arrival(chat));
  store.subscribe("remind", ({ text }) => {
    const box = $("reminder");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(reminderTimer);
    reminderTimer = setTimeout(() => (box.hidden = true), REMINDER_MS);
  });
}
