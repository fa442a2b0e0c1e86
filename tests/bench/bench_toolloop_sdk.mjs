// Tool round trip, the baseline side (issue 6; see bench_toolloop.cpp and
// run-toolloop-benchmark.sh): the client-side tool loop written with the
// official TypeScript SDK against `switchboard emulate` — startStream,
// collect the function calls from the function.call.delta events, run the
// no-op tool, appendStream with the function.result entries, repeat until a
// turn makes no call — and prints a RESULT line in bench_toolloop's format.
//
// Usage: node bench_toolloop_sdk.mjs URL ROUND_TRIPS MODEL NODE_PREFIX

import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [url, roundTripsArg, model, nodePrefix] = process.argv.slice(2);
const roundTrips = Number(roundTripsArg);
const resolveSdk = (name) => pathToFileURL(createRequire(path.join(nodePrefix, "noop.js")).resolve(name)).href;
const { Mistral } = await import(resolveSdk("@mistralai/mistralai"));

const client = new Mistral({ apiKey: "", serverURL: url });
const conversations = client.beta.conversations;
const noopTool = {
  type: "function",
  function: { name: "noop", description: "Does nothing and returns an empty object.",
              parameters: { type: "object", properties: {}, additionalProperties: false } },
};
const tools = { noop: () => ({}) };

const cpuBefore = process.cpuUsage();
const start = process.hrtime.bigint();
let stream = await conversations.startStream({ inputs: "Call noop until told to stop.", model, tools: [noopTool] });
let conversationId;
let done = 0;
for (;;) {
  const calls = new Map();   // by tool_call_id, in the order they started
  for await (const { event, data } of stream) {
    if (event === "conversation.response.started") {
      conversationId = data.conversationId;
    } else if (event === "function.call.delta") {
      const call = calls.get(data.toolCallId) ?? { toolCallId: data.toolCallId, name: data.name, arguments: "" };
      call.arguments += data.arguments;
      calls.set(data.toolCallId, call);
    } else if (event === "conversation.response.error") {
      throw new Error(`turn failed: ${JSON.stringify(data)}`);
    }
  }
  if (calls.size === 0)
    break;
  const inputs = [];
  for (const call of calls.values()) {
    const result = tools[call.name](JSON.parse(call.arguments || "{}"));
    inputs.push({ type: "function.result", toolCallId: call.toolCallId, result: JSON.stringify(result) });
    done += 1;
  }
  stream = await conversations.appendStream({ conversationId, conversationAppendStreamRequest: { inputs } });
}
const wall = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakMB = process.resourceUsage().maxRSS * 1024 / 1e6;
console.log(`RESULT client=sdk round_trips=${done} wall_s=${wall.toFixed(4)} `
            + `ms_per_round_trip=${(wall * 1e3 / roundTrips).toFixed(4)} cpu_s=${cpuSeconds.toFixed(4)} `
            + `cpu_ms_per_round_trip=${(cpuSeconds * 1e3 / roundTrips).toFixed(4)} peak_rss_mb=${peakMB.toFixed(1)}`);
if (done !== roundTrips) {
  console.error(`expected ${roundTrips} round trips, made ${done}`);
  process.exit(1);
}
