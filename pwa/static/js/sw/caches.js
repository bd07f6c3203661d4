// @ts-check
/// <reference lib="webworker" />
// Owns Cache Storage: the names of this build's caches, precaching and cleaning.

const PREFIX = "gw-";
/** Pages kept for offline use; its name does not change with the build. */
export const PAGES_CACHE = `${PREFIX}pages-v1`;

/**
 * The shell cache is per build; the pages cache outlives builds so that pages opened
 * before an update still open offline afterwards.
 * @param {string} version
 */
export function cacheNamesFor(version) {
  return { shell: `${PREFIX}shell-${version}`, pages: PAGES_CACHE };
}

/**
 * Fetch every file of the build, all or nothing. A versioned URL (?v=hash) never changes, so
 * the HTTP cache may answer it (the page just loaded most of them: no second download on 2G);
 * anything else is fetched anew.
 * @param {string} cacheName
 * @param {string[]} urls
 */
export async function precache(cacheName, urls) {
  const cache = await caches.open(cacheName);
  const requests = urls.map(
    (url) => new Request(url, { cache: url.includes("?v=") ? "default" : "reload", credentials: "same-origin" }),
  );
  await cache.addAll(requests);
}

/** @param {{ shell: string, pages: string }} names */
export async function removeOldCaches(names) {
  const keep = new Set(Object.values(names));
  const all = await caches.keys();
  await Promise.all(all.filter((n) => n.startsWith(PREFIX) && !keep.has(n)).map((n) => caches.delete(n)));
}
