// Draws one of the store's paged lists ("queue" or "tickets") one node per item.
//
// An item that arrives is placed in its sorted spot, one that changes is redrawn in its own
// node, one that goes is removed: the other nodes stay as they are, and with them a keyboard
// user's focus. Only a change of the campus filter redraws the whole list. The nodes are
// a cache of the drawing; the items, counts and pages are the store's.

export class ListView {
  constructor(store, name, { actions, list, older, empty, count, noun, build, refresh, focusable, idOf }) {
    Object.assign(this, { store, name, actions, list, older, empty, count, noun, build, refresh, focusable, idOf });
    this.data = store.state[name];
    this.nodes = new Map(); // id -> its node, built when first shown
    older.addEventListener("click", () => this.loadOlder());
    store.subscribe(name, (change) => this.apply(change));
    store.subscribe("filter", () => {
      this.redraw();
      this.fill();
    });
    this.render();
  }

  get view() {
    return this.store.state.settings.filter;
  }

  apply(change) {
    if (change.kind === "put") this.put(change.item, change.known);
    else if (change.kind === "remove") this.remove(change.id);
    else this.render();
    if (change.kind === "reset") this.fill();
  }

  put(item, known) {
    const node = this.nodes.get(item.id);
    if (node) {
      if (known && this.refresh(known, item)) this.redrawNode(node, item);
    } else if (this.data.inView(item, this.view)) {
      this.place(this.nodeFor(item), item);
    }
  }

  nodeFor(item) {
    let node = this.nodes.get(item.id);
    if (!node) {
      node = this.build(item);
      this.nodes.set(item.id, node);
    }
    return node;
  }

  // Binary search of the drawn rows for the first that sorts after the item.
  place(node, item) {
    const rows = this.list.children;
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = this.data.items.get(this.idOf(rows[middle]));
      if (other && this.data.order(other, item) <= 0) low = middle + 1;
      else high = middle;
    }
    this.list.insertBefore(node, rows[low] || null);
  }

  // The item's own node gets new contents; focus inside it goes to its first control.
  redrawNode(node, item) {
    const hadFocus = node.contains(document.activeElement);
    const fresh = this.build(item);
    node.className = fresh.className;
    node.replaceChildren(...fresh.childNodes);
    if (hadFocus) this.focusable(node)?.focus();
  }

  redrawAll() {
    for (const [id, node] of this.nodes) this.redrawNode(node, this.data.items.get(id));
  }

  remove(id) {
    const node = this.nodes.get(id);
    if (!node) return;
    this.nodes.delete(id);
    if (node.isConnected && node.contains(document.activeElement)) {
      // Focus goes to the next row, or the one before, not back to the top of the page.
      const next = node.nextElementSibling || node.previousElementSibling;
      node.remove();
      (next && this.focusable(next))?.focus();
    } else {
      node.remove();
    }
  }

  // The campus filter changed: the one redraw of the whole list.
  redraw() {
    const items = [...this.data.items.values()].filter((item) => this.data.inView(item, this.view)).sort(this.data.order);
    this.list.replaceChildren(...items.map((item) => this.nodeFor(item)));
    this.render();
  }

  render() {
    const more = this.data.notShown(this.view);
    this.older.hidden = more === 0;
    this.older.textContent = `Show older ${this.noun}s (${more.toLocaleString()} more)`;
    // Not disabled while it loads: a disabled button would drop the keyboard focus.
    if (this.data.loading) this.older.setAttribute("aria-busy", "true");
    else this.older.removeAttribute("aria-busy");
    this.count.textContent = this.data.totalFor(this.view).toLocaleString();
    this.empty.hidden = this.list.childElementCount > 0 || more > 0;
  }

  fill() {
    if (this.data.wantsFill(this.view)) this.loadOlder();
  }

  async loadOlder() {
    const buttonHadFocus = document.activeElement === this.older;
    const page = await this.actions.loadOlder(this.name);
    // The last page came while the keyboard was on the button, which is gone: the focus
    // goes to the first of the rows it brought.
    if (page && buttonHadFocus && this.data.notShown(page.view) === 0) {
      const first = page.added.filter((item) => this.data.inView(item, this.view)).sort(this.data.order)[0];
      const target = first && this.nodes.get(first.id);
      (target ? this.focusable(target) : this.list)?.focus();
    }
  }
}
