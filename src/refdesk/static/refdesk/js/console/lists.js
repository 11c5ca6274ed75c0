// A paged, counted list of items kept by id: the waiting chats, or the new tickets.
//
// The server sends the newest page and the counts; older items come a page at a time. A
// view is "" (every campus) or a campus slug; the counts and the paging are per view.
// Nothing here touches the page.

// Older first: by created_at, then id (the server's order for queues and tickets).
export function age(a, b) {
  return a.created_at.localeCompare(b.created_at) || a.id - b.id;
}

function oldestOf(items) {
  return items.reduce((found, item) => (!found || age(item, found) < 0 ? item : found), null);
}

export class PagedList {
  constructor({ order, shows }) {
    this.order = order; // how the list is sorted
    this.shows = shows; // whether an item counts as shown (a claimed chat lingers, uncounted)
    this.items = new Map(); // id -> item, whatever the filter
    this.total = 0;
    this.byCampus = new Map();
    this.complete = new Map(); // view -> the oldest item down to which it holds every item
    this.exhausted = new Set(); // views whose oldest page has come
    this.pageSize = 0;
    this.loading = false;
  }

  inView(item, view) {
    return !view || item.campus === view;
  }

  totalFor(view) {
    return view ? this.byCampus.get(view) || 0 : this.total;
  }

  shownFor(view) {
    let shown = 0;
    for (const item of this.items.values()) if (this.shows(item) && this.inView(item, view)) shown += 1;
    return shown;
  }

  // How many items of the view exist that the list does not hold.
  notShown(view) {
    if (this.exhausted.has("") || this.exhausted.has(view)) return 0;
    return Math.max(0, this.totalFor(view) - this.shownFor(view));
  }

  // The view holds less than a page of what there is: its next page should be fetched, so
  // that a filter never hides items that exist.
  wantsFill(view) {
    return this.notShown(view) > 0 && this.shownFor(view) < this.pageSize;
  }

  // Count an item in or out of the totals (delta +1 or -1).
  tally(campus, delta) {
    this.total = Math.max(0, this.total + delta);
    this.byCampus.set(campus, Math.max(0, (this.byCampus.get(campus) || 0) + delta));
  }

  // The oldest position down to which the view holds every item: its own pages, or the
  // pages of every campus together, whichever reach further back.
  cursor(view) {
    const all = this.complete.get("");
    const own = view ? this.complete.get(view) : undefined;
    if (!all || !own) return all || own || null;
    return age(all, own) < 0 ? all : own;
  }

  // A snapshot's page and counts: the older pages fetched before are forgotten.
  reset(page, total, byCampus) {
    this.total = total;
    this.byCampus = new Map(Object.entries(byCampus));
    this.complete = new Map();
    this.exhausted = new Set();
    const oldest = oldestOf(page);
    if (oldest) this.complete.set("", oldest);
    if (total > page.length) this.pageSize = Math.max(this.pageSize, page.length);
  }

  // An older page of the view came: it holds every item down to the page's oldest.
  paged(view, page, more) {
    const oldest = oldestOf(page);
    if (oldest) this.complete.set(view, oldest);
    if (!more) this.exhausted.add(view);
  }
}
