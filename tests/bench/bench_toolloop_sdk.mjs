// Tool round trip, the baseline side (issue 6; see bench_toolloop.cpp and
// run-toolloop-benchmark.sh): the client-side tool loop of sdk_toolloop.mjs
// with a no-op tool, and a RESULT line in bench_toolloop's format.
//
// Usage: node bench_toolloop_sdk.mjs URL ROUND_TRIPS MODEL NODE_PREFIX

import { reportResult, runToolLoop } from "./sdk_toolloop.mjs";

const [url, roundTripsArg, model, nodePrefix] = process.argv.slice(2);
const noopTool = {
  type: "function",
  function: { name: "noop", description: "Does nothing and returns an empty object.",
              parameters: { type: "object", properties: {}, additionalProperties: false } },
};
const tools = { noop: () => ({}) };

const measured = await runToolLoop({
  url, model, nodePrefix, inputs: "Call noop until told to stop.", tools: [noopTool],
  run: (call) => JSON.stringify(tools[call.name](JSON.parse(call.arguments || "{}"))),
});
const peakMB = process.resourceUsage().maxRSS * 1024 / 1e6;
reportResult(measured, Number(roundTripsArg), ` peak_rss_mb=${peakMB.toFixed(1)}`);
