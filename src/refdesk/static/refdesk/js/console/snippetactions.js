// What managing my personal snippets needs of the server: snippet.save and snippet.delete.
// Each sends its frame and hands the answer to the store; an error is returned in words,
// with the field it is about, for the dialog to show beside that field. Nothing here
// touches the page.

export function createSnippetActions(store, socket) {
  // Add one ({id: null}) or change one of mine. Resolves to {ok, snippet} or
  // {ok: false, message, field}.
  async function save({ id = null, title, body, shortcut }) {
    try {
      const ack = await socket.request({ type: "snippet.save", id, title, body, shortcut });
      // The "snippets" event follows; the ack already says what was saved.
      const others = store.state.snippets.filter((s) => s.id !== ack.snippet.id);
      store.setSnippets([ack.snippet, ...others]);
      return { ok: true, snippet: ack.snippet };
    } catch (error) {
      return { ok: false, message: error.message || "The snippet was not saved.", field: error.field || null };
    }
  }

  // Delete one of mine. Resolves to {ok} or {ok: false, message}.
  async function remove(id) {
    try {
      await socket.request({ type: "snippet.delete", id });
      store.setSnippets(store.state.snippets.filter((s) => s.id !== id));
      return { ok: true };
    } catch (error) {
      return { ok: false, message: error.message || "The snippet was not deleted." };
    }
  }

  return { save, remove };
}
