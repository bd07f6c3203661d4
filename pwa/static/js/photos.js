// @ts-check
// Owns photos on the phone: downscaled before they are kept, named by SHA-256, uploaded in
// chunks that resume where the server stopped. The camera itself is the browser's file input.
import { announce } from "./changes.js";
import { settle, transact } from "./idb.js";

const LONGEST_SIDE = 1600;
const QUALITY = 0.8;
const CHUNK = 64 * 1024;

/** @typedef {{ sha256: string, blob: Blob, queued_at: number }} KeptPhoto */

/**
 * Downscale to 1600 px on the longest side as JPEG (a 12 MP photo becomes ~300 KB: it gets
 * through 2G), and name it by its content.
 * @param {Blob} file
 * @returns {Promise<{ sha256: string, blob: Blob }>}
 */
export async function prepare(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, LONGEST_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d");
  if (!context) throw new Error("no 2d canvas");
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: QUALITY });
  return { sha256: await sha256(blob), blob };
}

/** @param {Blob} blob */
export async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Keep a prepared photo until the server has it whole. @param {{ sha256: string, blob: Blob }} photo */
export async function keep(photo) {
  await transact(["photos"], "readwrite", (tx) => {
    tx.objectStore("photos").put({ ...photo, queued_at: Date.now() });
  });
  announce();
}

/** @returns {Promise<KeptPhoto[]>} */
export function waiting() {
  return transact(["photos"], "readonly", (tx) => settle(tx.objectStore("photos").getAll()));
}

/**
 * Upload every kept photo, resuming each from what the server already has.
 * @returns {Promise<{ uploaded: number, offline: boolean }>}
 */
export async function uploadAll() {
  let uploaded = 0;
  for (const photo of await waiting()) {
    try {
      if (await upload(photo)) {
        await transact(["photos"], "readwrite", (tx) => { tx.objectStore("photos").delete(photo.sha256); });
        uploaded += 1;
        announce();
      }
    } catch {
      return { uploaded, offline: true };
    }
  }
  return { uploaded, offline: false };
}

/** @param {KeptPhoto} photo @returns {Promise<boolean>} whether the server has it whole */
async function upload(photo) {
  const url = `/media/uploads/${photo.sha256}`;
  const headers = { accept: "application/json" };
  let { received, complete } = await (await fetch(url, { headers })).json();
  while (!complete) {
    const end = Math.min(received + CHUNK, photo.blob.size);
    const response = await fetch(url, {
      method: "PUT", headers: { ...headers, "content-type": "application/octet-stream",
        "content-range": `bytes ${received}-${end - 1}/${photo.blob.size}` },
      body: photo.blob.slice(received, end),
    });
    if (response.status === 409) {
      ({ received, complete } = await (await fetch(url, { headers })).json());
      continue; // a part arrived that we did not hear about: go on from where the server is
    }
    if (!response.ok) return false; // refused (damaged, not a photo): kept, tried again later
    ({ received, complete } = await response.json());
  }
  return true;
}

/**
 * Wire file inputs marked `data-photos`: each chosen photo is prepared and kept now (so it
 * survives a crash before submit) and the form carries its SHA-256 in hidden `photos` fields
 * instead of the file.
 * @param {Document} doc
 */
export function watchPhotoInputs(doc) {
  doc.addEventListener("change", async (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.matches("input[type=file][data-photos]")) return;
    const form = input.form;
    const files = [...(input.files || [])];
    input.value = "";
    for (const file of files) {
      const photo = await prepare(file);
      await keep(photo);
      const field = doc.createElement("input");
      field.type = "hidden";
      field.name = input.dataset.photos || "photos";
      field.value = photo.sha256;
      form?.append(field);
      showThumbnail(form, field.name, photo.blob);
    }
    input.dispatchEvent(new CustomEvent("photos-ready", { bubbles: true }));
  });
}

/**
 * Show a chosen photo in the form (the person sees what will be sent).
 * @param {HTMLFormElement | null} form @param {string} name @param {Blob} blob
 */
function showThumbnail(form, name, blob) {
  const box = form?.querySelector(`[data-photo-preview="${name}"]`);
  if (!box) return;
  const img = new Image(72, 72);
  img.src = URL.createObjectURL(blob);
  img.alt = "";
  img.className = "thumb";
  box.append(img);
}
