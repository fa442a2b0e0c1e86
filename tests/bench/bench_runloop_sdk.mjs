// `switchboard run`'s tool loop, the baseline side (issue 22; see
// run-runloop-benchmark.sh): the client-side tool loop of sdk_toolloop.mjs
// offering the calculator's `calculate` function (its description and schema
// as the plugin gives them), answering with {"expression", "result", "text"}
// as the calculator plugin does. The process's whole CPU is measured outside
// (/usr/bin/time); the loop's own is printed in bench_toolloop's RESULT format.
//
// Usage: node bench_runloop_sdk.mjs URL TURNS MODEL NODE_PREFIX TOOL_JSON

import { calculate, calculatorTool, reportResult, runToolLoop } from "./sdk_toolloop.mjs";

const [url, turnsArg, model, nodePrefix, toolFile] = process.argv.slice(2);

const calculateTool = calculatorTool(toolFile);

const measured = await runToolLoop({
  url, model, nodePrefix, inputs: "Compute until told to stop.", tools: [calculateTool],
  handoffExecution: "client",
  run: (call) => {
    try {
      return JSON.stringify(calculate(JSON.parse(call.arguments || "{}")));
    } catch (error) {
      return `Error: ${error.message}`;
    }
  },
});
reportResult(measured, Number(turnsArg));
