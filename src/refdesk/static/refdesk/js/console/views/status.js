// The console's bar and title: the connection, the sound switch, desktop notifications,
// and the count of waiting chats and unread lines in the page title.
import { $ } from "./common.js";

const CONNECTION = {
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  open: "Connected",
  closed: "Disconnected. Reload the page to log in again.",
};

export function mountStatus(store) {
  const { state } = store;

  function drawConnection() {
    const box = $("connection");
    box.textContent = CONNECTION[state.connection];
    box.dataset.status = state.connection;
  }

  const sound = $("sound-toggle");
  function drawSound() {
    sound.setAttribute("aria-pressed", String(state.settings.sound));
    sound.textContent = state.settings.sound ? "Sound on" : "Sound off";
  }
  sound.addEventListener("click", () => store.setSound(!state.settings.sound));

  function drawTitle() {
    let count = state.queue.total;
    for (const chat of state.chats.values()) count += chat.unread;
    document.title = count ? `(${count}) Console — refdesk` : "Console — refdesk";
  }

  if ("Notification" in window && Notification.permission === "default") {
    const enable = $("notify-enable");
    enable.hidden = false;
    enable.addEventListener("click", async () => {
      await Notification.requestPermission();
      enable.hidden = true;
    });
  }

  store.subscribe("connection", drawConnection);
  store.subscribe("settings", drawSound);
  store.subscribe("queue", drawTitle);
  store.subscribe("chats", drawTitle);
  drawConnection();
  drawSound();
}
