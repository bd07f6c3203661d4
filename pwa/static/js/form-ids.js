// @ts-check
// Offline-capable forms get new ids each time they are shown. A page kept in the phone's
// cache is shown again and again: each submission must be a mutation of its own (and a
// report form a record of its own), or the second would be taken for a retry of the first.

/** @param {ParentNode} root */
export function freshenForms(root) {
  for (const input of root.querySelectorAll("input[data-fresh]")) {
    if (input instanceof HTMLInputElement) input.value = crypto.randomUUID();
  }
}

/** @param {Document} doc */
export function watchFormIds(doc) {
  freshenForms(doc);
  // htmx:load: new content swapped in (boosted navigation, fragments)
  doc.addEventListener("htmx:load", (event) => {
    if (event.target instanceof Element) freshenForms(event.target);
  });
  // back/forward cache: the same page object shown again
  window.addEventListener("pageshow", (event) => { if (event.persisted) freshenForms(doc); });
}
