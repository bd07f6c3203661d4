// @ts-check
// The phone's hybrid logical clock: the same rules and text form as sync/hlc.py.

/** @typedef {{ wall: number, counter: number, node: string }} Clock */

/** @param {Clock} c */
export function format(c) {
  return `${String(c.wall).padStart(13, "0")}-${String(c.counter).padStart(5, "0")}-${c.node}`;
}

/** @param {string} text @returns {Clock} */
export function parse(text) {
  const [wall, counter, ...node] = text.split("-");
  return { wall: Number(wall), counter: Number(counter), node: node.join("-") };
}

/** A new local event. @param {Clock} c @param {number} now */
export function tick(c, now) {
  if (now > c.wall) return { wall: now, counter: 0, node: c.node };
  return { wall: c.wall, counter: c.counter + 1, node: c.node };
}

/** After seeing the server's clock. @param {Clock} c @param {Clock} remote @param {number} now */
export function receive(c, remote, now) {
  const wall = Math.max(c.wall, remote.wall, now);
  let counter = 0;
  if (wall === c.wall && wall === remote.wall) counter = Math.max(c.counter, remote.counter) + 1;
  else if (wall === c.wall) counter = c.counter + 1;
  else if (wall === remote.wall) counter = remote.counter + 1;
  return { wall, counter, node: c.node };
}
