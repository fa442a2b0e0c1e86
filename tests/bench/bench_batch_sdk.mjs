// `switchboard batch`'s baseline (issue 18; see run-batch-benchmark.sh): the
// same rows run with the official TypeScript SDK as a user would write a
// batch: one client, a pool of CONCURRENCY conversations at once, each the
// client-side tool loop (startStream offering the tool, run its calls,
// appendStream the results, until a turn makes no call), the result of each
// row written as a JSON line to standard output. The process's CPU and peak
// memory are measured outside (/usr/bin/time).
//
// Usage: node bench_batch_sdk.mjs URL ROWS CONCURRENCY MODEL NODE_PREFIX TOOL_JSON

import { calculate, calculatorTool, loadMistral } from "./sdk_toolloop.mjs";

const [url, rowsArg, concurrencyArg, model, nodePrefix, toolFile] = process.argv.slice(2);
const rows = Number(rowsArg);
const concurrency = Number(concurrencyArg);
const Mistral = await loadMistral(nodePrefix);
const conversations = new Mistral({ apiKey: "", serverURL: url }).beta.conversations;
// The calculator plugin's tool, answered as the plugin answers (sdk_toolloop.mjs).
const tools = [calculatorTool(toolFile)];

async function runRow(row) {
  const started = Date.now();
  let stream = await conversations.startStream({ inputs: `Row ${row}`, model, tools, handoffExecution: "client" });
  let conversationId;
  let text = "";
  for (;;) {
    const calls = new Map();
    for await (const { event, data } of stream) {
      if (event === "conversation.response.started") {
        conversationId = data.conversationId;
      } else if (event === "function.call.delta") {
        const call = calls.get(data.toolCallId) ?? { toolCallId: data.toolCallId, arguments: "" };
        call.arguments += data.arguments;
        calls.set(data.toolCallId, call);
      } else if (event === "message.output.delta") {
        text += typeof data.content === "string" ? data.content : "";
      } else if (event === "conversation.response.error") {
        throw new Error(`row ${row}: ${JSON.stringify(data)}`);
      }
    }
    if (calls.size === 0)
      break;
    const inputs = [...calls.values()].map((call) => ({
      type: "function.result", toolCallId: call.toolCallId,
      result: JSON.stringify(calculate(JSON.parse(call.arguments || "{}"))),
    }));
    stream = await conversations.appendStream({ conversationId,
                                                conversationAppendStreamRequest: { inputs, handoffExecution: "client" } });
  }
  return { row, state: "succeeded", outputs: { text }, duration_ms: Date.now() - started };
}

let next = 0;
let done = 0;
async function worker() {
  while (next < rows) {
    const row = next++;
    process.stdout.write(JSON.stringify(await runRow(row)) + "\n");
    done += 1;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
if (done !== rows) {
  console.error(`expected ${rows} rows, ran ${done}`);
  process.exit(1);
}
