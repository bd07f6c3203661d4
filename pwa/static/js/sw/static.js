// @ts-check
/// <reference lib="webworker" />
// Static files: from this build's precache, else the network.

/**
 * A versioned URL (?v=hash) must match exactly, so a page newer than this worker still gets
 * its own files; an unversioned one (an ES module's relative import) takes this build's copy.
 * @param {Request} request
 * @param {string} shellCache
 * @returns {Promise<Response>}
 */
export async function handleStatic(request, shellCache) {
  const cache = await caches.open(shellCache);
  const versioned = new URL(request.url).searchParams.has("v");
  const cached = await cache.match(request, { ignoreSearch: !versioned });
  if (cached) return cached;
  return fetch(request);
}
