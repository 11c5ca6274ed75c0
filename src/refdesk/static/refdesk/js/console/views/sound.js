// The console's sounds and desktop notifications: waiting chats ring (see ../ringing.js)
// and a patron's line in a chat not in front of the librarian beeps.
//
// Browsers start audio suspended until the page gets a click or a key press: the audio
// context is made and resumed at the first such gesture, and while it cannot play a
// notice says so, with a button that is itself the gesture that turns sound on.
import { dueRings } from "../ringing.js";
import { displayName } from "../words.js";
import { $ } from "./common.js";

const TICK_MS = 1000;
const NAMED_AT_ONCE = 3;
const TONES = {
  loud: { frequency: 880, gain: 0.2, beeps: 3 },
  soft: { frequency: 660, gain: 0.05, beeps: 1 },
  line: { frequency: 880, gain: 0.15, beeps: 1 },
};

export function mountSound(store) {
  const { state } = store;
  const notice = $("sound-blocked");
  let audio = null;
  const lastRung = new Map();
  // What rang, for the page's own checks and for tests: [{at, level, chats, played}].
  const rings = [];

  function context() {
    if (!audio && typeof AudioContext !== "undefined") {
      try {
        audio = new AudioContext();
        audio.addEventListener("statechange", drawNotice);
      } catch {
        audio = null;
      }
    }
    return audio;
  }

  function blocked() {
    return state.settings.sound && (!audio || audio.state !== "running");
  }

  function drawNotice() {
    notice.hidden = !(state.settings.sound && audio && audio.state !== "running");
  }

  // Called from a click or a key press, when the browser lets a page start its sound.
  function unlock() {
    const ctx = context();
    if (ctx && ctx.state !== "running") ctx.resume().then(drawNotice, drawNotice);
    drawNotice();
  }

  function play(kind) {
    if (!state.settings.sound) return false;
    const ctx = context();
    if (!ctx) return false;
    if (ctx.state !== "running") {
      // Blocked until a gesture: say so rather than ring silently.
      ctx.resume().then(drawNotice, drawNotice);
      drawNotice();
      return false;
    }
    const tone = TONES[kind];
    try {
      for (let i = 0; i < tone.beeps; i += 1) {
        const start = ctx.currentTime + i * 0.25;
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = tone.frequency;
        gain.gain.setValueAtTime(tone.gain, start);
        gain.gain.exponentialRampToValueAtTime(0.001, start + 0.2);
        osc.connect(gain).connect(ctx.destination);
        osc.start(start);
        osc.stop(start + 0.2);
      }
      return true;
    } catch {
      return false; // no audio device
    }
  }

  // A few chats are named one by one; a flood is one notification, not hundreds.
  function notify(chats) {
    if (!chats.length || !state.pageHidden || !("Notification" in window) || Notification.permission !== "granted") return;
    const notes =
      chats.length <= NAMED_AT_ONCE
        ? chats.map((chat) => new Notification(`New chat: ${chat.campus_name}`, { body: displayName(chat), tag: `chat-${chat.id}` }))
        : [new Notification(`${chats.length.toLocaleString()} new chats waiting`, { tag: "chats-waiting" })];
    for (const note of notes) note.onclick = () => window.focus();
  }

  // Every waiting chat the console holds rings, whatever the campus filter shows: the
  // filter is a view, not a way to stop monitoring.
  function tick() {
    const now = store.now();
    const { level, fresh } = dueRings(state.queue.items.values(), state.me, now, lastRung);
    if (!level) return;
    const played = play(level);
    rings.push({ at: now, level, chats: fresh.map((chat) => chat.id), played });
    if (rings.length > 200) rings.splice(0, rings.length - 200);
    notify(fresh);
  }

  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock, { capture: true });
  $("sound-unblock").addEventListener("click", unlock);
  store.subscribe("settings", ({ key }) => {
    if (key === "sound") {
      if (state.settings.sound) unlock();
      drawNotice();
    }
  });
  // A new chat rings at once, not at the next tick (a flood's arrivals in one).
  let soon = null;
  store.subscribe("arrival", () => {
    soon ||= setTimeout(() => {
      soon = null;
      tick();
    }, 0);
  });
  store.subscribe("chats", ({ arrived }) => {
    if (arrived) play("line");
  });
  setInterval(tick, TICK_MS);

  return { rings, blocked, play, state: () => (audio ? audio.state : "none") };
}
