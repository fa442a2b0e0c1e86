// tst_mcpserve's client: the official TypeScript SDK's Client drives
// `switchboard mcp serve` (or any MCP server) through one scenario, over
// stdio (the server's command after --) or Streamable HTTP (--url, the
// SDK's StreamableHTTPClientTransport), and writes what it saw as one JSON
// object on standard output.
//
//   node serveclient.mjs SCENARIO -- COMMAND [ARGUMENT...]
//   node serveclient.mjs SCENARIO --url URL
//
// Scenarios:
//   list            tools/list page by page (nextCursor): the names of each page
//   bad-cursor      tools/list with a cursor the server never gave: the error
//   call NAME JSON  (as SCENARIO "call", the tool and its arguments in
//                   SERVE_TOOL and SERVE_ARGUMENTS): the result
//   cancel          sleep {ms: 600000} cancelled (AbortSignal: notifications/cancelled)
//                   once the server logged that it called it; then echo: the log
//                   (level debug) and both outcomes
//   confirm ACTION  (SERVE_ACTION: accept, decline, cancel; "none": the client
//                   declares no elicitation capability) remove_file {path: "/tmp/a"},
//                   then removed: the question asked, both results
// Errors of a request are written as {code, message}.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const args = process.argv.slice(2);
const scenario = args[0];

const action = process.env.SERVE_ACTION ?? 'none';
const elicits = scenario === 'confirm' && action !== 'none';
const client = new Client({ name: 'tst_mcpserve', version: '1.0.0' },
                          { capabilities: elicits ? { elicitation: {} } : {} });
const questions = [];
if (elicits) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
        questions.push(request.params);
        return action === 'accept' ? { action, content: {} } : { action };
    });
}
const logs = [];
const logWaiters = [];
client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logs.push(`${notification.params.level} ${notification.params.logger}: ${notification.params.data}`);
    for (const waiter of logWaiters.splice(0))
        waiter();
});
// Resolves once a log line matching `pattern` has arrived.
const logged = async (pattern) => {
    while (!logs.some((line) => pattern.test(line)))
        await new Promise((resolve) => logWaiters.push(resolve));
};
const failure = (error) => ({ code: error.code ?? null, message: error.message });

let transport;
if (args[1] === '--url') {
    transport = new StreamableHTTPClientTransport(new URL(args[2]));
} else {
    const [command, ...commandArguments] = args.slice(args.indexOf('--') + 1);
    transport = new StdioClientTransport({ command, args: commandArguments, env: process.env, stderr: 'inherit' });
}
await client.connect(transport);
const output = {};

try {
    switch (scenario) {
    case 'list': {
        const pages = [];
        let cursor;
        do {
            const page = await client.listTools(cursor === undefined ? {} : { cursor });
            pages.push(page.tools.map((tool) => tool.name));
            cursor = page.nextCursor;
        } while (cursor !== undefined);
        output.pages = pages;
        break;
    }
    case 'bad-cursor':
        output.error = await client.listTools({ cursor: 'not a cursor' }).then(() => null, failure);
        break;
    case 'call':
        output.result = await client.callTool({ name: process.env.SERVE_TOOL,
                                                arguments: JSON.parse(process.env.SERVE_ARGUMENTS ?? '{}') })
            .catch((error) => ({ error: failure(error) }));
        break;
    case 'cancel': {
        await client.setLoggingLevel('debug');
        const controller = new AbortController();
        const sleeping = client.callTool({ name: 'sleep', arguments: { ms: 600000 } }, undefined,
                                         { signal: controller.signal })
            .then(() => 'answered', () => 'rejected');
        await logged(/^debug switchboard: sleep: called$/);
        controller.abort('the test cancels');
        output.sleep = await sleeping;
        await logged(/sleep: cancelled by the client$/);
        output.echo = await client.callTool({ name: 'echo', arguments: { text: 'still there' } });
        output.logs = logs;
        break;
    }
    case 'confirm':
        output.remove = await client.callTool({ name: 'remove_file', arguments: { path: '/tmp/a' } });
        output.removed = await client.callTool({ name: 'removed', arguments: {} });
        output.questions = questions;
        break;
    default:
        throw new Error(`unknown scenario ${scenario}`);
    }
} finally {
    await client.close();
}
process.stdout.write(JSON.stringify(output) + '\n');
