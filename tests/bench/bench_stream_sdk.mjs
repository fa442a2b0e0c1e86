// Client stream throughput, the baseline side (issue 4; see bench_stream.cpp
// and run-stream-benchmark.sh): the official TypeScript SDK consumes one
// stream of EVENTS events from `switchboard emulate` with
// client.beta.conversations.startStream and `for await`, counting the events
// and keeping none, and prints a RESULT line in bench_stream's format.
//
// Usage: node bench_stream_sdk.mjs URL EVENTS NODE_PREFIX
// (NODE_PREFIX: where the emulator_sdk_install test installed the SDK.)

import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [url, eventsArg, nodePrefix] = process.argv.slice(2);
const events = Number(eventsArg);
const resolveSdk = (name) => pathToFileURL(createRequire(path.join(nodePrefix, "noop.js")).resolve(name)).href;
const { Mistral } = await import(resolveSdk("@mistralai/mistralai"));

const client = new Mistral({ apiKey: "", serverURL: url });
const request = { inputs: "x".repeat(events - 2), model: "bench-stream", store: false };

const cpuBefore = process.cpuUsage();
const start = process.hrtime.bigint();
let count = 0;
for await (const event of await client.beta.conversations.startStream(request)) {
  if (event.event === "conversation.response.error")
    throw new Error(`stream failed: ${JSON.stringify(event.data)}`);
  count += 1;
}
const wall = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakMB = process.resourceUsage().maxRSS * 1024 / 1e6;   // maxRSS is in KiB
console.log(`RESULT client=sdk events=${count} wall_s=${wall.toFixed(4)} events_per_s=${(count / wall).toFixed(0)} `
            + `cpu_s=${cpuSeconds.toFixed(4)} peak_rss_mb=${peakMB.toFixed(1)}`);
if (count !== events) {
  console.error(`expected ${events} events, counted ${count}`);
  process.exit(1);
}
