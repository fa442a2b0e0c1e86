// The client-side tool loop written with the official TypeScript SDK, as a
// user would write it, shared by the baselines of bench_toolloop
// (bench_toolloop_sdk.mjs) and of `switchboard run` (bench_runloop_sdk.mjs):
// startStream offering the tools, collect the calls from the
// function.call.delta events, run each, appendStream with the
// function.result entries, repeat until a turn makes no call.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

/// The SDK installed under NODE_PREFIX (the test set-up installs it into the build tree).
export async function loadMistral(nodePrefix) {
  const resolveSdk = (name) => pathToFileURL(createRequire(path.join(nodePrefix, "noop.js")).resolve(name)).href;
  return (await import(resolveSdk("@mistralai/mistralai"))).Mistral;
}

/// Runs the loop; `run(call)` turns a call ({toolCallId, name, arguments}) into
/// its result text. Returns the calls made and the loop's wall and CPU seconds.
export async function runToolLoop({ url, model, nodePrefix, inputs, tools, run, handoffExecution }) {
  const Mistral = await loadMistral(nodePrefix);
  const client = new Mistral({ apiKey: "", serverURL: url });
  const conversations = client.beta.conversations;
  const handoff = handoffExecution ? { handoffExecution } : {};
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  let stream = await conversations.startStream({ inputs, model, tools, ...handoff });
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
    const results = [];
    for (const call of calls.values()) {
      results.push({ type: "function.result", toolCallId: call.toolCallId, result: run(call) });
      done += 1;
    }
    stream = await conversations.appendStream({
      conversationId, conversationAppendStreamRequest: { inputs: results, ...handoff },
    });
  }
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return { done, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/// bench_toolloop's RESULT line; exits with 1 when the loop made fewer calls than asked.
export function reportResult({ done, wallSeconds, cpuSeconds }, expected, extra = "") {
  console.log(`RESULT client=sdk round_trips=${done} wall_s=${wallSeconds.toFixed(4)} `
              + `ms_per_round_trip=${(wallSeconds * 1e3 / expected).toFixed(4)} cpu_s=${cpuSeconds.toFixed(4)} `
              + `cpu_ms_per_round_trip=${(cpuSeconds * 1e3 / expected).toFixed(4)}${extra}`);
  if (done !== expected) {
    console.error(`expected ${expected} tool calls, made ${done}`);
    process.exit(1);
  }
}

/// The calculator plugin's `calculate` as a function tool of the request, from
/// its metadata ({Name, Description, Parameters}, written by the benchmark
/// scripts' calculator_tool), and the answer the plugin gives
/// ({"expression", "result", "text"}); arithmetic only (what the emulator sends).
export function calculatorTool(toolFile) {
  const described = JSON.parse(readFileSync(toolFile, "utf8"));
  return { type: "function",
           function: { name: described.Name, description: described.Description, parameters: described.Parameters } };
}
export function calculate({ expression }) {
  if (typeof expression !== "string" || !/^[0-9+\-*/%(). ]{1,1000}$/.test(expression))
    throw new Error(`not an arithmetic expression: ${expression}`);
  const result = Function(`"use strict"; return (${expression});`)();
  return { expression, result, text: String(result) };
}
