// @ts-check
// Owns the camera for QR codes: the browser's own BarcodeDetector where it has one (Android
// Chrome), else the vendored jsQR, loaded on first use, on frames of a live <video>. Where
// no camera stream can be had (WeChat's browser, an old Android, no permission) a still photo
// of the plate is decoded the same way.

/** @typedef {(source: CanvasImageSource, width: number, height: number, limit: number) => Promise<string | null>} Decode */

/** Images are scaled down to this width first (jsQR's work grows with the pixels): a live
 * frame is aimed at the plate; a still photo may hold it small. */
const FRAME_WIDTH = 640;
const STILL_WIDTH = 1280;
const FRAME_MS = 150;

/** @type {Promise<Decode> | null} */
let decoding = null;

/**
 * The place token in what a plate says: our plates carry `{BASE_URL}/p/{token}`; a bare token
 * (a plate printed elsewhere) is taken as it is.
 * @param {string} text
 */
export function tokenOf(text) {
  const match = text.trim().match(/\/p\/([^/?#\s]+)/);
  return (match ? decodeURIComponent(match[1]) : text.trim()).slice(0, 32);
}

/** @returns {Promise<Decode>} */
function decoder() {
  decoding ??= makeDecoder();
  return decoding;
}

/** @returns {Promise<Decode>} */
async function makeDecoder() {
  const Detector = /** @type {any} */ (globalThis).BarcodeDetector;
  if (Detector && (await Detector.getSupportedFormats?.().catch(() => []))?.includes("qr_code")) {
    const detector = new Detector({ formats: ["qr_code"] });
    return async (source) => (await detector.detect(source))[0]?.rawValue ?? null;
  }
  // a UMD file: imported as a module it sets self.jsQR
  await import("../vendor/jsqr-1.4.0/jsQR.js");
  const jsQR = /** @type {any} */ (globalThis).jsQR;
  const canvas = document.createElement("canvas");
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
  return async (source, width, height, limit) => {
    const scale = Math.min(1, limit / width);
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" })?.data ?? null;
  };
}

/** Whether a live camera can be asked for at all (a secure page with mediaDevices). */
export function canStream() {
  return Boolean(navigator.mediaDevices?.getUserMedia) && isSecureContext;
}

/**
 * Show the back camera in `video` until a QR code is read or `signal` aborts; the camera is
 * always released. Rejects when the camera cannot be opened (no permission, none there).
 * @param {HTMLVideoElement} video @param {AbortSignal} signal
 * @returns {Promise<string | null>} the text read, or null when cancelled
 */
export async function scanStream(video, signal) {
  const [decode, stream] = await Promise.all([
    decoder(),
    navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false }),
  ]);
  try {
    video.srcObject = stream;
    await video.play();
    while (!signal.aborted) {
      if (video.videoWidth) {
        const text = await decode(video, video.videoWidth, video.videoHeight, FRAME_WIDTH).catch(() => null);
        if (text) return text;
      }
      await new Promise((resolve) => setTimeout(resolve, FRAME_MS));
    }
    return null;
  } finally {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  }
}

/**
 * Read a QR code from a still photo (the file input's camera).
 * @param {Blob} file
 * @returns {Promise<string | null>}
 */
export async function scanStill(file) {
  const [decode, bitmap] = await Promise.all([decoder(), createImageBitmap(file)]);
  try {
    return await decode(bitmap, bitmap.width, bitmap.height, STILL_WIDTH);
  } finally {
    bitmap.close();
  }
}

/**
 * The scan buttons of a page: `[data-scan]` opens the live camera in the full-screen
 * `[data-scanner]` view, `input[data-scan-still]` reads a still photo; what is read (or null,
 * with the message to show: the page's data-scan-failed or data-scan-none) goes to `fill`
 * with the button's form. Typing stays possible throughout.
 * @param {HTMLElement} page
 * @param {(form: HTMLFormElement, text: string | null, otherwise: string) => void} fill
 */
export function wireScanner(page, fill) {
  const view = page.querySelector("[data-scanner]");
  const video = view?.querySelector("video");
  if (!(view instanceof HTMLElement) || !(video instanceof HTMLVideoElement)) return;
  /** @type {AbortController | null} */
  let scanning = null;
  const close = () => { scanning?.abort(); scanning = null; view.hidden = true; };
  view.querySelector("[data-scan-cancel]")?.addEventListener("click", close);
  page.querySelectorAll("[data-scan]").forEach((button) => button.addEventListener("click", async () => {
    const form = button.closest("form");
    if (!form) return;
    if (!canStream()) return fill(form, null, page.dataset.scanFailed || "");
    scanning?.abort();
    const mine = new AbortController();
    scanning = mine;
    view.hidden = false;
    try {
      const text = await scanStream(video, mine.signal);
      if (text) fill(form, text, "");
    } catch {
      fill(form, null, page.dataset.scanFailed || "");
    } finally {
      if (scanning === mine) close();
    }
  }));
  page.querySelectorAll("input[data-scan-still]").forEach((input) => input.addEventListener("change", async () => {
    if (!(input instanceof HTMLInputElement) || !input.form || !input.files?.[0]) return;
    const text = await scanStill(input.files[0]).catch(() => null);
    input.value = "";
    fill(input.form, text, page.dataset.scanNone || "");
  }));
}

/**
 * A shelter's door (`[data-door]`): a household's card scanned fills its code and checks
 * the household in at once (the form posts; a wrong code comes back with its message).
 * @param {Document} doc
 */
export function watchDoors(doc) {
  const setUp = () => {
    const page = doc.querySelector("[data-door]");
    if (!(page instanceof HTMLElement) || page.dataset.ready) return;
    page.dataset.ready = "1";
    wireScanner(page, (form, text, otherwise) => {
      const said = form.querySelector("[data-scan-said]");
      const input = form.elements.namedItem("code");
      if (!text || !(input instanceof HTMLInputElement)) {
        if (said) said.textContent = otherwise;
        return;
      }
      input.value = text.trim().slice(0, 40);
      if (said) said.textContent = `${page.dataset.scanRead || ""} ${input.value}`;
      form.requestSubmit();
    });
  };
  doc.addEventListener("htmx:load", setUp);
  setUp();
}
