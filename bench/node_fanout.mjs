// The reference: the same messages sent with Node's `web-push` library (the usual choice),
// keep-alive agent, 64 in flight. web-push's sendNotification insists on https, so requests
// are built with its own generateRequestDetails (encryption and VAPID signing included) and
// sent with Node's http module. Prints one JSON line: {"sent", "seconds", "cpu_seconds"}.
import http from "node:http";
import { readFileSync } from "node:fs";
import webpush from "web-push";

const [subsFile, publicKey, privateKey, payload] = process.argv.slice(2);
const subs = JSON.parse(readFileSync(subsFile, "utf8"));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const IN_FLIGHT = 64;

function send(sub) {
  const details = webpush.generateRequestDetails(sub, payload, {
    vapidDetails: { subject: "mailto:ops@localhost", publicKey, privateKey },
    TTL: 600, urgency: "high", topic: "callup",
  });
  return new Promise((resolve, reject) => {
    const url = new URL(details.endpoint);
    const request = http.request({
      hostname: url.hostname, port: url.port, path: url.pathname, method: "POST",
      headers: details.headers, agent,
    }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode));
    });
    request.on("error", reject);
    request.end(details.body);
  });
}

const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
let next = 0;
let sent = 0;
async function lane() {
  while (next < subs.length) {
    const sub = subs[next++];
    if ((await send(sub)) === 201) sent += 1;
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
console.log(JSON.stringify({ sent, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6 }));
agent.destroy();
