// The console's away timer: no keyboard or pointer input for the desk's
// REFDESK_AWAY_AFTER_MINUTES (the page's data-away-after-ms) makes the librarian away, as
// the toggle would. Any input starts the count again; the notice's "I'm back" (views/
// presence.js) brings them online.

const INPUT_EVENTS = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"];

export function mountAwayTimer(store, actions, afterMs) {
  const { state } = store;
  if (!(afterMs > 0)) return;
  let timer = null;
  let lastInput = Date.now();

  function idle() {
    timer = null;
    const mine = state.presence.get(state.me.id);
    if (state.connection !== "open" || (mine && mine.status !== "online")) {
      restart();
      return;
    }
    actions.setPresence("away").then(() => store.say("You were set to away after a while without input."), restart);
  }

  function restart() {
    clearTimeout(timer);
    timer = setTimeout(idle, afterMs);
  }

  // A pointer that moves fires many events: the timer is set again at most once a second.
  function onInput() {
    const now = Date.now();
    if (timer !== null && now - lastInput < 1000) return;
    lastInput = now;
    restart();
  }

  for (const type of INPUT_EVENTS) document.addEventListener(type, onInput, { capture: true, passive: true });
  restart();
}
