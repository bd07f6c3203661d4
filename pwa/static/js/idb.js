// @ts-check
// Owns IndexedDB: the database name, its version and the one upgrade function. Stores are
// lowercase plurals. Everything the phone must not lose lives here, never in memory only.

export const DB_NAME = "gridwatch";
export const DB_VERSION = 2;

/**
 * outbox: mutations in the order they were made (autoincrement `order`), FIFO.
 * photos: photo Blobs by SHA-256, until the server has them whole.
 * meta:   small values by key (device id, epoch, counters, the clock).
 * tipoffs:  public tip-off forms kept while there is no network (fields and photo Blobs).
 * receipts: the tracking codes this phone got back (a resident has no account to find them).
 * @param {IDBDatabase} db
 * @param {number} oldVersion
 */
function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    const outbox = db.createObjectStore("outbox", { keyPath: "order", autoIncrement: true });
    outbox.createIndex("mutation_id", "mutation.mutation_id", { unique: true });
    db.createObjectStore("photos", { keyPath: "sha256" });
    db.createObjectStore("meta", { keyPath: "key" });
  }
  if (oldVersion < 2) {
    db.createObjectStore("tipoffs", { keyPath: "id" });
    db.createObjectStore("receipts", { keyPath: "code" });
  }
}

/** @type {Promise<IDBDatabase> | null} */
let opening = null;

/** @returns {Promise<IDBDatabase>} */
export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

/**
 * Run `work` in one transaction and resolve when it has committed (not merely when the
 * requests succeeded: a write is only safe once the transaction is complete).
 * @template T
 * @param {string[]} stores
 * @param {IDBTransactionMode} mode
 * @param {(tx: IDBTransaction) => T | Promise<T>} work
 * @returns {Promise<T>}
 */
export async function transact(stores, mode, work) {
  const db = await openDb();
  const tx = db.transaction(stores, mode);
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(undefined);
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
  const result = await work(tx);
  await done;
  return result;
}

/**
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
export function settle(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
