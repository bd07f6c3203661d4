// @ts-check
// A call-up's live board: the server says "changed" over SSE (it reads the call-up's
// version once a second); the board fragment is then fetched again and swapped in, at most
// every half second, keeping the page and town the person is looking at.

/** @param {Document} doc */
export function watchBoards(doc) {
  /** @type {EventSource | null} */
  let source = null;
  const attach = () => {
    const board = doc.querySelector("[data-board-stream]");
    if (source && (!board || board.getAttribute("data-board-stream") !== source.url.replace(location.origin, ""))) {
      source.close();
      source = null;
    }
    if (!board || source || typeof EventSource === "undefined") return;
    const stream = String(board.getAttribute("data-board-stream"));
    source = new EventSource(stream);
    let timer = 0;
    source.addEventListener("changed", () => {
      if (timer) return;
      timer = window.setTimeout(() => { timer = 0; refresh(doc); }, 500);
    });
  };
  doc.addEventListener("htmx:load", attach);
  window.addEventListener("pagehide", () => { source?.close(); source = null; });
  attach();
}

/** @param {Document} doc */
async function refresh(doc) {
  const board = doc.querySelector("[data-board-src]");
  if (!board) return;
  const response = await fetch(String(board.getAttribute("data-board-src")), {
    credentials: "same-origin", headers: { "HX-Request": "true" },
  }).catch(() => null);
  if (!response || !response.ok) return;
  const holder = doc.createElement("div");
  holder.innerHTML = await response.text();
  const fresh = holder.querySelector("[data-board-src]");
  if (fresh) board.replaceWith(fresh);
}
