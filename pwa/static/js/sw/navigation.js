// @ts-check
/// <reference lib="webworker" />
// Navigations: network first with a short timeout, then the cached page, then the offline page.

// Long enough for a good 3G page, short enough that a dead link does not leave a white screen.
const TIMEOUT_MS = 4000;

/**
 * @param {FetchEvent} event
 * @param {{ shell: string, pages: string }} names
 * @param {string} offlineUrl
 * @returns {Promise<Response>}
 */
export async function handleNavigation(event, names, offlineUrl) {
  const { request } = event;
  const network = fetch(request).then(async (response) => {
    // Only whole same-origin pages are kept; redirects and errors are passed through.
    if (response.ok && response.type === "basic") {
      const cache = await caches.open(names.pages);
      await cache.put(request.url, response.clone());
    }
    return response;
  });
  // The fetch may finish after we answered from the cache: let it refresh the cache.
  event.waitUntil(network.then(() => undefined, () => undefined));

  const outcome = await Promise.race([
    network.then((response) => ({ response }), () => ({ failed: true })),
    sleep(TIMEOUT_MS).then(() => ({ slow: true })),
  ]);
  if ("response" in outcome) return outcome.response;

  const cached = await caches.match(request.url, { cacheName: names.pages })
    || await prefillable(request.url, names.pages);
  if (cached) return fromPhone(cached);
  if ("slow" in outcome) {
    // Nothing cached: a slow network is still better than the offline page.
    try {
      return await network;
    } catch {
      // fall through to the offline page
    }
  }
  const offline = await caches.match(offlineUrl, { cacheName: names.shell });
  return offline ? fromPhone(offline) : Response.error();
}

/**
 * A page answered from the phone's copy says so, for the badge (network.js): in a header for
 * htmx, on <html> for a full load (a page cannot read its own headers). Without it a Wi-Fi
 * with no way out, or the answer itself, would make the badge say 在线.
 * @param {Response} response
 * @returns {Promise<Response>}
 */
export async function fromPhone(response) {
  const headers = new Headers(response.headers);
  headers.set(FROM_PHONE, "1");
  const text = (await response.text()).replace("<html ", "<html data-from-phone ");
  return new Response(text, { status: response.status, statusText: response.statusText, headers });
}

/** The header that marks an answer made on the phone (network.js reads it). */
export const FROM_PHONE = "X-Gridwatch-From-Phone";

/**
 * Fetch a same-origin page and keep it for offline use.
 * @param {string} cacheName
 * @param {string} url
 * @param {string} origin
 */
export async function cachePage(cacheName, url, origin) {
  if (new URL(url).origin !== origin) return;
  const response = await fetch(url, { credentials: "same-origin" });
  if (response.ok && response.type === "basic") {
    await (await caches.open(cacheName)).put(url, response);
  }
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Pages that read their query on the phone (prefill.js): offline, their plain copy will do. */
const PREFILLED = new Set(["/hazards/new"]);

/**
 * @param {string} url @param {string} cacheName
 * @returns {Promise<Response | undefined>}
 */
async function prefillable(url, cacheName) {
  const parsed = new URL(url);
  if (!PREFILLED.has(parsed.pathname) || !parsed.search) return undefined;
  return caches.match(parsed.origin + parsed.pathname, { cacheName });
}
