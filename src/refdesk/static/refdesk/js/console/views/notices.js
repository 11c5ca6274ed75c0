// What the console says aloud or with a sound: the live region, the reminder, the beep
// and the desktop notification of a new chat.
import { plural, displayName } from "../words.js";
import { $ } from "./common.js";

// New chats that arrive this soon after one another are announced together.
const ARRIVALS_MS = 2000;
const REMINDER_MS = 8000;

export function mountNotices(store) {
  const { state } = store;
  let audio = null;
  let arrivals = 0;
  let arrivalsTimer = null;
  let reminderTimer = null;

  // Emptied first, so that the same sentence twice is read twice.
  function announce(text) {
    const box = $("announcer");
    box.textContent = "";
    setTimeout(() => (box.textContent = text), 50);
  }

  function beep() {
    if (!state.settings.sound) return;
    try {
      audio ||= new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
    } catch {
      // No audio device, or the browser blocked it until the first click.
    }
  }

  // The first new chat is announced at once; those that follow it closely (a flood) are
  // counted and announced together every two seconds while they come, with one sound each.
  function arrival(chat) {
    if (arrivalsTimer) {
      arrivals += 1;
      return;
    }
    beep();
    announce(`New chat from ${displayName(chat)} at ${chat.campus_name}.`);
    if (state.pageHidden && "Notification" in window && Notification.permission === "granted") {
      const note = new Notification(`New chat: ${chat.campus_name}`, { body: displayName(chat), tag: `chat-${chat.id}` });
      note.onclick = () => window.focus();
    }
    arrivalsTimer = setTimeout(function flush() {
      const more = arrivals;
      arrivals = 0;
      if (!more) {
        arrivalsTimer = null;
        return;
      }
      beep();
      announce(`${plural(more, "more new chat")}.`);
      arrivalsTimer = setTimeout(flush, ARRIVALS_MS);
    }, ARRIVALS_MS);
  }

  store.subscribe("say", ({ text }) => announce(text));
  store.subscribe("arrival", ({ chat }) => arrival(chat));
  // A patron's line in a chat not in front of the librarian.
  store.subscribe("chats", ({ arrived }) => {
    if (arrived) beep();
  });
  store.subscribe("remind", ({ text }) => {
    const box = $("reminder");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(reminderTimer);
    reminderTimer = setTimeout(() => (box.hidden = true), REMINDER_MS);
  });
}
