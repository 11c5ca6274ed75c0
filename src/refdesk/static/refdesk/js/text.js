// Rendering patron and librarian text safely: text nodes only, links for http(s) only.

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/giu;
const TRAILING = /[.,;:!?)\]}'"]+$/u;

// Append `text` to `parent` as text nodes and <a> elements for http(s) URLs.
export function renderRichText(parent, text) {
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let url = match[0];
    const trail = url.match(TRAILING);
    if (trail) url = url.slice(0, -trail[0].length);
    const start = match.index;
    if (start > last) parent.append(document.createTextNode(text.slice(last, start)));
    let href = null;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
    } catch {
      href = null;
    }
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.textContent = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      parent.append(a);
    } else {
      parent.append(document.createTextNode(url));
    }
    last = start + url.length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

// Put a stored message in its place: stored messages in seq order, then the ones still
// being sent (no seq yet). A message typed offline is stored after whatever arrived
// meanwhile, and shows where a reload would show it.
export function placeMessage(list, node, seq) {
  let after = list.lastElementChild;
  while (after && (!after.dataset.seq || Number(after.dataset.seq) > seq)) {
    after = after.previousElementSibling;
  }
  if (after) after.after(node);
  else list.prepend(node);
}

export function formatClock(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

export function formatWait(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  const rest = String(s % 60).padStart(2, "0");
  return m >= 60 ? `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m` : `${m}:${rest}`;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}
