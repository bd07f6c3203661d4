// @ts-check
// After a sync, the pages this phone keeps for offline use are brought up to date from the
// server's change feed: changed ones fetched again, ones that left the person's scope dropped.
import { settle, transact } from "./idb.js";
import { PAGES_CACHE } from "./sw/caches.js";

/**
 * Kept pages that list what changes (the home, 我的隐患, the inbox...): fetched again after a
 * sync that brought changes, or the phone shows yesterday's list when the signal goes.
 */
const LISTS = /^\/((hazards|inbox|patrols|tipoffs|callups)|evacuations\/[0-9a-f-]+\/mine)?$/;

/** @returns {Promise<number>} how many kept pages were refreshed or dropped */
export async function refreshFromFeed() {
  let cursor = await readCursor();
  const pages = await caches.open(PAGES_CACHE);
  let touched = 0;
  let changed = false;
  for (;;) {
    const response = await fetch(`/sync/changes?since=${cursor}&limit=200`, {
      credentials: "same-origin", headers: { accept: "application/json" },
    });
    if (!response.ok) return touched;
    const page = await response.json();
    changed ||= page.entries.length > 0;
    for (const entry of page.entries) {
      const url = new URL(entry.url, location.origin).href;
      if (entry.removed) {
        if (await pages.delete(url)) touched += 1;
      } else if (await pages.match(url)) {
        const fresh = await fetch(url, { credentials: "same-origin" });
        if (fresh.ok) {
          await pages.put(url, fresh);
          touched += 1;
        } else if (fresh.status === 404) {
          await pages.delete(url); // no longer ours to see
        }
      }
    }
    cursor = page.cursor;
    await writeCursor(cursor);
    if (!page.more) break;
  }
  if (changed) touched += await refreshLists(pages);
  return touched;
}

/** @param {Cache} pages @returns {Promise<number>} */
async function refreshLists(pages) {
  let touched = 0;
  for (const request of await pages.keys()) {
    if (!LISTS.test(new URL(request.url).pathname)) continue;
    const fresh = await fetch(request.url, { credentials: "same-origin" }).catch(() => null);
    if (fresh && fresh.ok && fresh.type === "basic") {
      await pages.put(request.url, fresh);
      touched += 1;
    }
  }
  return touched;
}

async function readCursor() {
  const row = await transact(["meta"], "readonly", (tx) => settle(tx.objectStore("meta").get("feed")));
  return row ? row.cursor : 0;
}

/** @param {number} cursor */
function writeCursor(cursor) {
  return transact(["meta"], "readwrite", (tx) => { tx.objectStore("meta").put({ key: "feed", cursor }); });
}

/**
 * Keep the pages named by the page's `gw-keep` meta (the report form, my hazards) and by its
 * `data-gw-keep` elements (the households of an evacuation under way, which a boosted
 * navigation brings in its body) before they are ever opened: the first time they are
 * needed may be where there is no signal.
 * @param {Document} doc
 */
export async function keepWorkingSet(doc) {
  const meta = doc.querySelector('meta[name="gw-keep"]');
  const named = [meta instanceof HTMLMetaElement ? meta.content : "",
    ...[...doc.querySelectorAll("[data-gw-keep]")].map((el) => el.getAttribute("data-gw-keep") || "")];
  const urls = named.join(" ").split(" ").filter(Boolean);
  if (urls.length === 0 || !("caches" in window)) return;
  const pages = await caches.open(PAGES_CACHE);
  for (const path of urls) {
    const url = new URL(path, location.origin).href;
    if (await pages.match(url)) continue;
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) await pages.put(url, response);
  }
}
