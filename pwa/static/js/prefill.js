// @ts-check
// A form opened with values in its query (a hazard report from a patrol check-in: which
// record id, which place, where) gets them on the phone, so that the same link works when
// the page comes from the phone's cache in a dead zone. The server fills what it can when
// online; the query fills the rest, after the form's fresh ids were made (form-ids.js).

const FIELDS = ["record_id", "place_id", "lat", "lng", "accuracy"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** @param {ParentNode} root */
function prefill(root) {
  const query = new URLSearchParams(location.search);
  for (const form of root.querySelectorAll("form[data-prefill]")) {
    for (const name of FIELDS) {
      const value = query.get(name === "place_id" ? "place" : name) || "";
      const input = form.querySelector(`input[name="${name}"]`);
      if (!value || !(input instanceof HTMLInputElement)) continue;
      if (name.endsWith("id") && !UUID.test(value)) continue;
      if (name === "record_id" || !input.value) input.value = value;
    }
    const placeName = query.get("place_name");
    const line = form.querySelector("[data-place-line]");
    const shown = form.querySelector("[data-place-name]");
    if (placeName && line instanceof HTMLElement && shown && !shown.textContent) {
      shown.textContent = placeName;
      line.hidden = false;
    }
  }
}

/** @param {Document} doc */
export function watchPrefill(doc) {
  prefill(doc);
  doc.addEventListener("htmx:load", (event) => {
    if (event.target instanceof Element) prefill(event.target);
  });
}
