// An MCP server over HTTP for the HTTP transport's tests, written with the
// official TypeScript SDK (@modelcontextprotocol/sdk): Streamable HTTP
// (StreamableHTTPServerTransport, resumable with the SDK's
// InMemoryEventStore) and the deprecated HTTP+SSE transport
// (SSEServerTransport). It listens on 127.0.0.1 on a free port and writes
// "listening on PORT" as its first line of standard output.
//
//   node httpserver.mjs
//
// Endpoints:
//   /mcp      Streamable HTTP: sessions, SSE answers, event ids and retry 100 ms
//   /json     Streamable HTTP answering JSON bodies (enableJsonResponse)
//   /legacy   HTTP+SSE only: GET opens the stream (messages to /legacy/messages);
//             a POST here gets 405, so a Streamable HTTP client falls back
// Tools:
//   echo {text}          answers "echo: <text>"
//   forget_session {}    answers, then forgets the session: its next request gets 404
//   interrupted {}       sends a progress notification, closes the SSE stream
//                        of the call (the client resumes it with Last-Event-ID
//                        after the retry), then answers "resumed"
//   huge {bytes}         answers a text block of that many bytes
//   notify {}            announces notifications/tools/list_changed on the
//                        session's GET stream, then answers
//   stats {}             answers, as JSON, what the server saw: initializes,
//                        GETs with their Last-Event-ID, DELETEs, the
//                        headers X-Test and MCP-Protocol-Version of this call

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const seen = { initializes: 0, gets: [], deletes: 0, legacyStreams: 0 };
const sessions = new Map();         // Streamable HTTP session id -> transport
const legacySessions = new Map();   // HTTP+SSE session id -> transport

const object = (properties = {}, required = []) => ({ type: 'object', properties, required });
const tools = [
    { name: 'echo', description: 'Answers the text.', inputSchema: object({ text: { type: 'string' } }, ['text']) },
    { name: 'forget_session', description: 'Forgets the session after answering.', inputSchema: object() },
    { name: 'interrupted', description: 'Closes its stream before answering.', inputSchema: object() },
    { name: 'huge', description: 'Answers that many bytes.', inputSchema: object({ bytes: { type: 'integer' } }, ['bytes']) },
    { name: 'notify', description: 'Announces a tool list change.', inputSchema: object() },
    { name: 'stats', description: 'What the server saw.', inputSchema: object() },
];
const text = (t) => ({ content: [{ type: 'text', text: t }] });

function makeServer(getTransport) {
    const server = new Server({ name: 'httpserver', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
        const args = request.params.arguments ?? {};
        switch (request.params.name) {
        case 'echo':
            return text(`echo: ${args.text}`);
        case 'forget_session': {
            // At once: the answer goes through the transport in hand, and the
            // next request, however soon it comes, finds no session (a timer,
            // even of 0 ms, let a quick client's next call through).
            sessions.delete(getTransport().sessionId);
            return text('forgotten');
        }
        case 'interrupted': {
            const token = request.params._meta?.progressToken;
            if (token !== undefined)
                await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
            if (!extra.closeSSEStream)
                throw new Error('the stream cannot be closed: no event store or protocol older than 2025-11-25');
            extra.closeSSEStream();
            await new Promise((resolve) => setTimeout(resolve, 300));
            return text('resumed');
        }
        case 'huge':
            return text('x'.repeat(Number(args.bytes)));
        case 'notify':
            await server.sendToolListChanged();
            return text('notified');
        case 'stats':
            return text(JSON.stringify({
                ...seen,
                xTest: extra.requestInfo?.headers?.['x-test'] ?? null,
                protocolVersion: extra.requestInfo?.headers?.['mcp-protocol-version'] ?? null,
            }));
        default:
            throw new Error(`no tool ${request.params.name}`);
        }
    });
    return server;
}

async function readBody(req) {
    const chunks = [];
    for await (const chunk of req)
        chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    return raw ? JSON.parse(raw) : undefined;
}

async function streamable(req, res, jsonResponse) {
    const sessionId = req.headers['mcp-session-id'];
    if (req.method === 'GET')
        seen.gets.push(req.headers['last-event-id'] ?? null);
    if (req.method === 'DELETE')
        seen.deletes += 1;
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    if (sessionId) {
        const transport = sessions.get(sessionId);
        if (!transport) {
            res.writeHead(404, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
            return;
        }
        await transport.handleRequest(req, res, body);
        return;
    }
    if (req.method !== 'POST' || body?.method !== 'initialize') {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no session' }, id: null }));
        return;
    }
    seen.initializes += 1;
    let transport;
    transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: jsonResponse,
        eventStore: jsonResponse ? undefined : new InMemoryEventStore(),
        retryInterval: 100,
        onsessioninitialized: (id) => sessions.set(id, transport),
        onsessionclosed: (id) => sessions.delete(id),
    });
    await makeServer(() => transport).connect(transport);
    await transport.handleRequest(req, res, body);
}

async function legacy(req, res, url) {
    if (req.method === 'GET' && url.pathname === '/legacy') {
        seen.legacyStreams += 1;
        const transport = new SSEServerTransport('/legacy/messages', res);
        legacySessions.set(transport.sessionId, transport);
        res.on('close', () => legacySessions.delete(transport.sessionId));
        await makeServer(() => transport).connect(transport);
        return;
    }
    if (req.method === 'POST' && url.pathname === '/legacy/messages') {
        const transport = legacySessions.get(url.searchParams.get('sessionId'));
        if (!transport) {
            res.writeHead(404).end('no such session');
            return;
        }
        await transport.handlePostMessage(req, res, await readBody(req));
        return;
    }
    res.writeHead(405, { Allow: 'GET' }).end('Method Not Allowed');
}

const httpServer = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let handling;
    if (url.pathname === '/mcp')
        handling = streamable(req, res, false);
    else if (url.pathname === '/json')
        handling = streamable(req, res, true);
    else if (url.pathname.startsWith('/legacy'))
        handling = legacy(req, res, url);
    else
        handling = Promise.resolve(res.writeHead(404).end());
    handling.catch((error) => {
        process.stderr.write(`${req.method} ${req.url}: ${error.stack ?? error}\n`);
        if (!res.headersSent)
            res.writeHead(500).end(String(error));
    });
});
httpServer.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening on ${httpServer.address().port}\n`);
});
