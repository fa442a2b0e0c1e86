// Proof of fidelity: the official TypeScript SDK (@mistralai/mistralai,
// pinned in tests/emulator/CMakeLists.txt) drives `switchboard emulate`
// through all eleven operations. Every response and event must parse without
// validation errors and without "UNKNOWN" placeholders (the SDK's way of
// passing through a payload it could not validate), and carry the expected
// values. Everything the emulator sent is then checked against the OpenAPI
// document with tests/conformance/validate_openapi.py.
//
// Usage: node sdk_fidelity.mjs SWITCHBOARD SCRIPT RECORD VALIDATOR OPENAPI NODE_PREFIX

import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [switchboard, script, record, validator, openapi, nodePrefix] = process.argv.slice(2);
// The SDK is installed under NODE_PREFIX (node_modules), not beside this script.
const resolveSdk = (name) => pathToFileURL(createRequire(path.join(nodePrefix, "noop.js")).resolve(name)).href;
const { Mistral } = await import(resolveSdk("@mistralai/mistralai"));
const errors = await import(resolveSdk("@mistralai/mistralai/models/errors"));

const API_KEY = "sdk-test-key";
rmSync(record, { force: true });
const server = spawn(switchboard, ["emulate", "--port", "0", "--script", script, "--api-key", API_KEY,
                                   "--record", record], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: server.stdout });
  lines.once("line", resolve);
  server.once("exit", (code) => reject(new Error(`switchboard emulate exited with ${code}`)));
});
console.log(`emulator at ${url}`);

let checks = 0;
function check(condition, message) {
  assert.ok(condition, message);
  checks += 1;
}

// The SDK marks what it could not validate with isUnknown / type "UNKNOWN".
function assertNoUnknown(value, where) {
  if (value === null || typeof value !== "object")
    return;
  if (value instanceof Date)
    return;
  check(value.isUnknown !== true && value.type !== "UNKNOWN",
        `${where}: the SDK could not validate ${JSON.stringify(value).slice(0, 300)}`);
  for (const [key, item] of Object.entries(value))
    assertNoUnknown(item, `${where}.${key}`);
}

async function collect(stream, where) {
  const events = [];
  for await (const event of stream) {
    assertNoUnknown(event, where);
    check(event.event === event.data.type, `${where}: event name ${event.event} != type ${event.data.type}`);
    events.push(event);
  }
  return events;
}

const idPattern = (prefix) => new RegExp(`^${prefix}_[0-9a-f]{32}$`);

const client = new Mistral({ apiKey: API_KEY, serverURL: url });
const conversations = client.beta.conversations;
const weatherTool = {
  type: "function",
  function: { name: "get_weather", description: "Weather of a city",
              parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

try {
  // 1. start: a function call
  const started = await conversations.start({
    inputs: "What is the weather in Paris?", model: "mistral-small-latest", tools: [weatherTool],
    metadata: { suite: "sdk", kind: "weather" }, name: "weather",
  });
  assertNoUnknown(started, "start");
  check(idPattern("conv").test(started.conversationId), "start: conversation id");
  const call = started.outputs[0];
  check(call.type === "function.call" && call.name === "get_weather", "start: a function.call");
  check(/^[A-Za-z0-9]{9}$/.test(call.toolCallId), "start: tool_call_id");
  check(idPattern("fc").test(call.id), "start: function call id");
  check(call.createdAt instanceof Date, "start: created_at is a date");
  check(JSON.parse(call.arguments).city === "Paris", "start: arguments");
  check(started.usage.totalTokens === started.usage.promptTokens + started.usage.completionTokens, "start: usage");
  const weatherId = started.conversationId;

  // 2. append: the function result comes back quoted
  const appended = await conversations.append({
    conversationId: weatherId,
    conversationAppendRequest: { inputs: [{ type: "function.result", toolCallId: call.toolCallId, result: "sunny, 24C" }] },
  });
  assertNoUnknown(appended, "append");
  check(appended.outputs[0].type === "message.output", "append: a message");
  check(appended.outputs[0].content === "The weather: sunny, 24C", "append: the tool result reached the model");

  // 3. start_stream: text in deltas
  const streamEvents = await collect(await conversations.startStream({
    inputs: "Hello streaming world", model: "mistral-small-latest", metadata: { suite: "sdk", kind: "stream" },
  }), "startStream");
  check(streamEvents[0].event === "conversation.response.started", "startStream: started first");
  check(streamEvents.at(-1).event === "conversation.response.done", "startStream: done last");
  const text = streamEvents.filter((e) => e.event === "message.output.delta").map((e) => e.data.content).join("");
  check(text === "Hello streaming world", `startStream: text ${text}`);
  const streamedId = streamEvents[0].data.conversationId;
  const done = streamEvents.at(-1).data;
  check(done.usage.totalTokens === done.usage.promptTokens + done.usage.completionTokens, "startStream: usage");

  // 4. append_stream: a server-side tool execution, then text
  const toolEvents = await collect(await conversations.appendStream({
    conversationId: streamedId, conversationAppendStreamRequest: { inputs: "search kittens" },
  }), "appendStream");
  const toolTypes = toolEvents.map((e) => e.event);
  check(toolTypes.includes("tool.execution.started") && toolTypes.includes("tool.execution.done"),
        `appendStream: tool execution events ${toolTypes}`);
  check(toolEvents.find((e) => e.event === "tool.execution.started").data.name === "web_search", "appendStream: tool name");

  // 5. handoffs between agents, streamed
  const handoffEvents = await collect(await conversations.startStream({
    inputs: "Question about my invoice", agentId: "ag_00000000000000000000000000000001",
    metadata: { suite: "sdk", kind: "agent" },
  }), "startStream(agent)");
  const handoffTypes = handoffEvents.map((e) => e.event);
  check(handoffTypes.includes("agent.handoff.started") && handoffTypes.includes("agent.handoff.done"),
        `handoff events ${handoffTypes}`);
  check(handoffEvents.find((e) => e.event === "agent.handoff.done").data.nextAgentName === "billing", "handoff target");
  const agentConversationId = handoffEvents[0].data.conversationId;

  // 6. confirmation: a pending call, allowed on append
  const pending = await conversations.start({ inputs: "please send mail", model: "mistral-small-latest" });
  assertNoUnknown(pending, "start(confirm)");
  check(pending.outputs[0].confirmationStatus === "pending", "confirmation pending");
  const confirmed = await conversations.append({
    conversationId: pending.conversationId,
    conversationAppendRequest: { toolConfirmations: [{ toolCallId: pending.outputs[0].toolCallId, confirmation: "allow" }] },
  });
  assertNoUnknown(confirmed, "append(confirm)");
  check(confirmed.outputs[0].type === "tool.execution", "confirmed call executed");
  check(confirmed.outputs.at(-1).content === "Confirmation allowed: mail sent", "confirmed answer");

  // 7. list: bare array, newest first, metadata filter
  const listed = await conversations.list({ page: 0, pageSize: 10, metadata: { suite: "sdk" } });
  assertNoUnknown(listed, "list");
  check(Array.isArray(listed) && listed.length === 3, `list: ${listed.length} conversations`);
  check(listed[0].id === agentConversationId && listed[2].id === weatherId, "list: newest first");
  check(listed[0].agentId === "ag_00000000000000000000000000000001", "list: agent conversation");
  const onlyWeather = await conversations.list({ metadata: { suite: "sdk", kind: "weather" } });
  check(onlyWeather.length === 1 && onlyWeather[0].id === weatherId, "list: filter");

  // 8. get: the model and the agent variants
  const got = await conversations.get({ conversationId: weatherId });
  assertNoUnknown(got, "get");
  check(got.model === "mistral-small-latest" && got.name === "weather", "get: model conversation");
  check(got.tools[0].function.name === "get_weather", "get: tools");
  const gotAgent = await conversations.get({ conversationId: agentConversationId });
  assertNoUnknown(gotAgent, "get(agent)");
  check(gotAgent.agentId === "ag_00000000000000000000000000000001", "get: agent conversation");

  // 9. get_history: every entry type parses
  const history = await conversations.getHistory({ conversationId: weatherId });
  assertNoUnknown(history, "getHistory");
  check(history.entries.map((e) => e.type).join(",") === "message.input,function.call,function.result,message.output",
        `history: ${history.entries.map((e) => e.type)}`);
  const agentHistory = await conversations.getHistory({ conversationId: agentConversationId });
  assertNoUnknown(agentHistory, "getHistory(agent)");
  check(agentHistory.entries.some((e) => e.type === "agent.handoff"), "history: handoff entry");
  const toolHistory = await conversations.getHistory({ conversationId: streamedId });
  assertNoUnknown(toolHistory, "getHistory(tool)");
  check(toolHistory.entries.some((e) => e.type === "tool.execution"), "history: tool execution entry");

  // 10. get_messages: only messages
  const messages = await conversations.getMessages({ conversationId: weatherId });
  assertNoUnknown(messages, "getMessages");
  check(messages.messages.map((e) => e.type).join(",") === "message.input,message.output", "messages");

  // 11. restart and restart_stream
  const firstReply = history.entries[1].id;
  const restarted = await conversations.restart({
    conversationId: weatherId,
    conversationRestartRequest: { fromEntryId: firstReply, inputs: "And in Rome? weather please" },
  });
  assertNoUnknown(restarted, "restart");
  check(restarted.conversationId !== weatherId && idPattern("conv").test(restarted.conversationId), "restart: new id");
  const restartEvents = await collect(await conversations.restartStream({
    conversationId: weatherId,
    conversationRestartStreamRequest: { fromEntryId: firstReply, inputs: "plain words" },
  }), "restartStream");
  check(restartEvents.at(-1).event === "conversation.response.done", "restartStream: done");

  // 12. delete, then 404
  await conversations.delete({ conversationId: restarted.conversationId });
  await assert.rejects(conversations.get({ conversationId: restarted.conversationId }),
                       (e) => e.statusCode === 404);
  checks += 1;

  // Errors the SDK maps: 422 → HTTPValidationError, 401 → SDKError, error events.
  await assert.rejects(conversations.start({ inputs: "x", model: "m", agentId: "ag_00000000000000000000000000000001" }),
                       (e) => e instanceof errors.HTTPValidationError && e.data$?.detail?.[0]?.type === "value_error"
                              || e.statusCode === 422);
  checks += 1;
  const wrongKey = new Mistral({ apiKey: "wrong", serverURL: url });
  await assert.rejects(wrongKey.beta.conversations.list({}), (e) => e.statusCode === 401);
  checks += 1;
  const errorEvents = await collect(await conversations.startStream({ inputs: "boom", model: "m" }), "error stream");
  check(errorEvents.at(-1).event === "conversation.response.error" && errorEvents.at(-1).data.code === 3001,
        "error event");

  console.log(`${checks} checks passed`);
} finally {
  server.kill("SIGTERM");
  await new Promise((resolve) => server.once("exit", resolve));
}

const validation = spawnSync("python3", [validator, "--closed", openapi, record], { encoding: "utf-8" });
process.stdout.write(validation.stdout);
process.stderr.write(validation.stderr);
assert.equal(validation.status, 0, "validate_openapi.py rejected something the emulator sent");
assert.ok(!/^0 passed/m.test(validation.stdout), "nothing was recorded");
