// `switchboard run`'s tool loop, the baseline side (issue 22; see
// run-runloop-benchmark.sh): the same loop written with the official
// TypeScript SDK against `switchboard emulate`, as a program a user would
// write: startStream offering the calculator's `calculate` function (its
// description and schema as the plugin gives them), collect the calls from
// the function.call.delta events, evaluate each expression, appendStream
// with the function.result entries ({"expression", "result", "text"} as the
// calculator plugin answers), repeat until a turn makes no call. The
// process's whole CPU is measured outside (/usr/bin/time); the loop's own
// is printed in bench_toolloop's RESULT format.
//
// Usage: node bench_runloop_sdk.mjs URL TURNS MODEL NODE_PREFIX TOOL_JSON

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [url, turnsArg, model, nodePrefix, toolFile] = process.argv.slice(2);
const turns = Number(turnsArg);
const resolveSdk = (name) => pathToFileURL(createRequire(path.join(nodePrefix, "noop.js")).resolve(name)).href;
const { Mistral } = await import(resolveSdk("@mistralai/mistralai"));

// The calculator plugin's tool, from its metadata ({Name, Description, Parameters}).
const described = JSON.parse(readFileSync(toolFile, "utf8"));
const calculateTool = {
  type: "function",
  function: { name: described.Name, description: described.Description, parameters: described.Parameters },
};
// Arithmetic only (the expressions the emulator sends): digits, operators, parentheses.
const calculate = ({ expression }) => {
  if (typeof expression !== "string" || !/^[0-9+\-*/%(). ]{1,1000}$/.test(expression))
    throw new Error(`not an arithmetic expression: ${expression}`);
  const result = Function(`"use strict"; return (${expression});`)();
  return { expression, result, text: String(result) };
};

const client = new Mistral({ apiKey: "", serverURL: url });
const conversations = client.beta.conversations;
const cpuBefore = process.cpuUsage();
const start = process.hrtime.bigint();
let stream = await conversations.startStream({
  inputs: "Compute until told to stop.", model, tools: [calculateTool],
  handoffExecution: "client",
});
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
    let result;
    try {
      result = JSON.stringify(calculate(JSON.parse(call.arguments || "{}")));
    } catch (error) {
      result = `Error: ${error.message}`;
    }
    inputs.push({ type: "function.result", toolCallId: call.toolCallId, result });
    done += 1;
  }
  stream = await conversations.appendStream({
    conversationId, conversationAppendStreamRequest: { inputs, handoffExecution: "client" },
  });
}
const wall = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(`RESULT client=sdk round_trips=${done} wall_s=${wall.toFixed(4)} `
            + `ms_per_round_trip=${(wall * 1e3 / turns).toFixed(4)} cpu_s=${cpuSeconds.toFixed(4)} `
            + `cpu_ms_per_round_trip=${(cpuSeconds * 1e3 / turns).toFixed(4)}`);
if (done !== turns) {
  console.error(`expected ${turns} tool calls, made ${done}`);
  process.exit(1);
}
