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
