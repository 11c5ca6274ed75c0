// A websocket that reconnects with backoff and matches answers to frames by "ref".
//
// The caller supplies url() so that every reconnect resumes from the latest cursor
// (the last seq or event id it has seen).

const MAX_DELAY_MS = 15000;

export class ReconnectingSocket {
  constructor(url, { onFrame, onStatus, onClose } = {}) {
    this.url = url;
    this.onFrame = onFrame || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onClose = onClose || (() => {});
    this.pending = new Map();
    this.nextRef = 1;
    this.attempt = 0;
    this.stopped = false;
    this.ws = null;
    this.open();
    window.addEventListener("online", () => this.retryNow());
  }

  get connected() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  open() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${this.url()}`);
    this.ws = ws;
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.onStatus("open");
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if ((frame.type === "ack" || frame.type === "error") && frame.ref != null) {
        const waiter = this.pending.get(frame.ref);
        if (waiter) {
          this.pending.delete(frame.ref);
          if (frame.type === "ack") waiter.resolve(frame);
          else waiter.reject(frame);
          return;
        }
      }
      this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const waiter of this.pending.values()) {
        waiter.reject({ type: "error", code: "disconnected", message: "Connection lost." });
      }
      this.pending.clear();
      if (this.onClose(event) === false || this.stopped) {
        this.onStatus("closed");
        return;
      }
      this.schedule();
    });
  }

  schedule() {
    this.onStatus("reconnecting");
    const delay = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempt) * (0.7 + Math.random() * 0.6);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }

  retryNow() {
    if (!this.stopped && this.ws === null) {
      clearTimeout(this.timer);
      this.open();
    }
  }

  // Send a frame and wait for its ack; rejects with the error frame.
  request(frame) {
    if (!this.connected) {
      return Promise.reject({ type: "error", code: "disconnected", message: "Not connected." });
    }
    const ref = `r${this.nextRef++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      this.ws.send(JSON.stringify({ ...frame, ref }));
    });
  }

  // Send a frame that expects no answer (typing); dropped while disconnected.
  notify(frame) {
    if (this.connected) this.ws.send(JSON.stringify(frame));
  }

  // Drop the connection on purpose (tests and "network lost" simulation use this too).
  drop() {
    if (this.ws) this.ws.close();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }
}

export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
