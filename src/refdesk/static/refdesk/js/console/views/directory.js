// The directory: the contacts a librarian may need (a campus's counselling centre, its
// security desk, the national crisis lines, the IT help desk) and the courses librarians
// are pointed to, from the store (snapshot.directory, directory.changed).
//
// "Directory" in the console's bar, or Alt+K, opens a dialog with one search box that
// filters contacts and courses as you type; the count of what matches is spoken. Other
// views show a campus's contacts with `renderContacts` (the campus panel beside each
// chat, the crisis panel), which keeps what it drew up to date when the directory changes.
// Every value is set as text; phone numbers become tel: links, emails mailto: links, and
// only http(s) addresses become links, opened apart with rel="noopener noreferrer".
import { el } from "../../text.js";

// What the campus panel lists of the chat's campus (and consortium-wide).
export const CAMPUS_PANEL_CATEGORIES = ["counselling", "security", "it_help_desk", "disability_services", "writing_centre"];
// What the crisis panel lists.
export const CRISIS_CATEGORIES = ["counselling", "security", "emergency", "crisis_line"];
export const DIRECTORY_SHORTCUT = "Alt+K";

let directoryStore = null;
// Containers filled by renderContacts -> what they show; redrawn on each change.
const rendered = new Map();

function webLink(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function outLink(href, text, label) {
  return el("a", { href, text, target: "_blank", rel: "noopener noreferrer", "aria-label": label || null });
}

// "+1 (555) 010-4400 ext. 12" dials as tel:+15550104400,12.
export function telHref(phone) {
  const match = phone.match(/^(.*?)(?:\s*(?:ext\.?|x)\s*(\d+))?$/i);
  const number = match[1].replace(/[^0-9+]/g, "");
  return `tel:${number}${match[2] ? `,${match[2]}` : ""}`;
}

function where(contact) {
  return contact.campus_name || "Consortium-wide";
}

export function contactItem(contact) {
  const ways = [];
  if (contact.phone) ways.push(el("li", {}, el("a", { href: telHref(contact.phone), text: contact.phone, "aria-label": `Call ${contact.name}: ${contact.phone}` })));
  if (contact.email) ways.push(el("li", {}, el("a", { href: `mailto:${contact.email}`, text: contact.email })));
  const href = contact.link && webLink(contact.link);
  if (href) ways.push(el("li", {}, outLink(href, contact.link, `${contact.name} website (opens in a new tab)`)));
  return el(
    "li",
    { class: "dir-contact", "data-category": contact.category, "data-id": String(contact.id) },
    el("p", { class: "dir-name" }, el("strong", { text: contact.name }), contact.role ? el("span", { class: "dir-role", text: ` — ${contact.role}` }) : null),
    el("p", { class: "dir-meta", text: [contact.category_label, where(contact), contact.available].filter(Boolean).join(" · ") }),
    ways.length ? el("ul", { class: "dir-ways" }, ...ways) : null,
    contact.note ? el("p", { class: "dir-note", text: contact.note }) : null
  );
}

export function courseItem(course) {
  const href = webLink(course.link);
  return el(
    "li",
    { class: "dir-course", "data-id": String(course.id) },
    el("p", { class: "dir-name" }, href ? outLink(href, course.title, `${course.title} (opens in a new tab)`) : el("strong", { text: course.title })),
    el("p", { class: "dir-meta", text: [course.provider, course.cost, course.length].filter(Boolean).join(" · ") }),
    course.why ? el("p", { class: "dir-note", text: course.why }) : null
  );
}

// The contacts of a campus and the consortium-wide ones, of the given categories: in the
// categories' order, the campus's own before the consortium's within each.
export function contactsFor(directory, campusSlug, categories) {
  const order = new Map(categories.map((category, index) => [category, index]));
  return directory.contacts
    .map((contact, index) => ({ contact, index }))
    .filter(({ contact }) => order.has(contact.category) && (contact.campus === null || contact.campus === campusSlug))
    .sort(
      (a, b) =>
        order.get(a.contact.category) - order.get(b.contact.category) ||
        Number(a.contact.campus === null) - Number(b.contact.campus === null) ||
        a.index - b.index
    )
    .map(({ contact }) => contact);
}

function drawContacts(container, campusSlug, categories) {
  const directory = directoryStore ? directoryStore.state.directory : { contacts: [], courses: [] };
  const found = contactsFor(directory, campusSlug, categories);
  container.replaceChildren(
    found.length
      ? el("ul", { class: "dir-list dir-contacts" }, ...found.map(contactItem))
      : el("p", { class: "dir-none", text: "No contacts in the directory for this campus yet." })
  );
  return found.length;
}

// Fill `container` with the contacts of `campusSlug` and the consortium-wide ones of the
// given categories (see CRISIS_CATEGORIES), and keep it up to date while it is in the
// page. Returns how many it shows.
export function renderContacts(container, campusSlug, categories) {
  rendered.set(container, { campusSlug, categories: [...categories] });
  return drawContacts(container, campusSlug, categories);
}

function redrawRendered() {
  for (const [container, { campusSlug, categories }] of rendered) {
    if (container.isConnected) drawContacts(container, campusSlug, categories);
    else rendered.delete(container);
  }
}

// Lower case without accents, so that "counselling" finds "Counselling" and "cafe" "café".
function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

export function searchDirectory(directory, query) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const matches = (fields) => {
    const haystack = fold(fields.filter(Boolean).join(" "));
    return words.every((word) => haystack.includes(word));
  };
  return {
    contacts: directory.contacts.filter((c) => matches([c.name, c.role, where(c), c.campus, c.category_label, c.category.replaceAll("_", " ")])),
    courses: directory.courses.filter((c) => matches([c.title, c.provider, c.why])),
  };
}

function counted(n, one, many) {
  return n === 0 ? `no ${many}` : `${n} ${n === 1 ? one : many}`;
}

export function mountDirectory(store, { where: bar }) {
  directoryStore = store;
  const { state } = store;

  const opener = el("button", {
    type: "button",
    id: "directory-open",
    class: "button subtle",
    "aria-haspopup": "dialog",
    "aria-keyshortcuts": DIRECTORY_SHORTCUT,
    title: `Directory (${DIRECTORY_SHORTCUT})`,
    text: "Directory",
    onclick: () => open(),
  });
  bar.append(opener);

  const search = el("input", {
    id: "directory-search",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "directory-search-hint",
    "aria-controls": "directory-results",
  });
  const count = el("p", { id: "directory-count", class: "directory-count", role: "status", "aria-live": "polite" });
  const contacts = el("ul", { id: "directory-contacts", class: "dir-list dir-contacts", "aria-labelledby": "directory-contacts-title" });
  const courses = el("ul", { id: "directory-courses", class: "dir-list dir-courses", "aria-labelledby": "directory-courses-title" });
  const contactsTitle = el("h3", { id: "directory-contacts-title", text: "Contacts" });
  const coursesTitle = el("h3", { id: "directory-courses-title", text: "Courses" });
  const dialog = el(
    "dialog",
    { id: "directory", class: "directory-dialog", "aria-labelledby": "directory-title" },
    el("h2", { id: "directory-title", text: "Directory" }),
    el(
      "div",
      { class: "field", role: "search" },
      el("label", { for: "directory-search", text: "Search contacts and courses" }),
      search,
      el("p", { id: "directory-search-hint", class: "field-hint", text: "By name, role, campus, category, provider or why to take it." })
    ),
    count,
    el("div", { id: "directory-results", class: "directory-results" }, contactsTitle, contacts, coursesTitle, courses),
    el("div", { class: "dialog-buttons" }, el("button", { type: "button", class: "button subtle", text: "Close", onclick: () => dialog.close() }))
  );
  document.body.append(dialog);

  let returnTo = null;

  function draw() {
    const query = search.value.trim();
    const found = searchDirectory(state.directory, query);
    contacts.replaceChildren(...found.contacts.map(contactItem));
    courses.replaceChildren(...found.courses.map(courseItem));
    contactsTitle.hidden = contacts.hidden = found.contacts.length === 0;
    coursesTitle.hidden = courses.hidden = found.courses.length === 0;
    const both = `${counted(found.contacts.length, "contact", "contacts")} and ${counted(found.courses.length, "course", "courses")}`;
    const sentence = query ? `${both} match “${query}”.` : `${both}.`;
    count.textContent = `${sentence[0].toUpperCase()}${sentence.slice(1)}`;
  }

  function open() {
    if (dialog.open) {
      search.focus();
      return;
    }
    returnTo = document.activeElement;
    draw();
    dialog.showModal();
    search.focus();
    search.select();
  }

  search.addEventListener("input", draw);
  // Escape closes the dialog at once (a search box would first empty itself), and only
  // the dialog: the console's own Escape does not see it.
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    event.stopPropagation();
    dialog.close();
  });
  dialog.addEventListener("close", () => {
    const back = returnTo && returnTo.isConnected ? returnTo : opener;
    returnTo = null;
    back.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.code !== "KeyK") return;
    event.preventDefault();
    open();
  });
  store.subscribe("directory", () => {
    if (dialog.open) draw();
    redrawRendered();
  });
  return { open, dialog };
}
