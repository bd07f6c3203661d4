// @ts-check
// A plain file input (the public tip-off form) hides its choice behind a button: show what
// was chosen, as thumbnails with their count, so a resident sees the photos will go.

/** @param {Document} doc */
export function watchChosenPhotos(doc) {
  const show = (/** @type {Event} */ event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.chosen) return;
    const box = doc.getElementById(input.dataset.chosen);
    if (!box) return;
    box.querySelectorAll("img").forEach((img) => URL.revokeObjectURL(img.src));
    const files = [...(input.files || [])];
    const line = doc.createElement("p");
    line.className = "muted";
    line.textContent = (box.dataset.countText || "%(n)s").replace("%(n)s", String(files.length));
    box.replaceChildren(line, ...files.map((file) => {
      const img = new Image(64, 64);
      img.className = "thumb";
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      return img;
    }));
  };
  doc.addEventListener("change", show);
}
