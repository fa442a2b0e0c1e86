// A small MCP server that keeps notes in memory, the tool source of
// meeting-notes.yaml. It speaks MCP's stdio transport itself (one JSON-RPC
// 2.0 message per line) with nothing but Node, so the example runs offline
// as it is, with no package to fetch; a server from npm is configured the
// same way (workflows/README.md, "MCP servers").
//
//   node notes-server.mjs
//
// Tools: add_note {title, text}, list_notes {}, read_note {title}.

import { createInterface } from 'node:readline';

const versions = ['2025-11-25', '2025-06-18', '2025-03-26'];
const notes = new Map();
const object = (properties, required = []) => ({ type: 'object', properties, required });
const tools = [
    {
        name: 'add_note',
        description: 'Saves a note under a title (a note of the same title is replaced).',
        inputSchema: object({ title: { type: 'string' }, text: { type: 'string' } }, ['title', 'text']),
    },
    { name: 'list_notes', description: 'Lists the titles of the notes, one a line, in the order saved.', inputSchema: object({}) },
    { name: 'read_note', description: 'Reads the note of a title.', inputSchema: object({ title: { type: 'string' } }, ['title']) },
];

const text = (value, isError = false) => ({ content: [{ type: 'text', text: value }], isError });

function callTool({ name, arguments: input = {} }) {
    switch (name) {
    case 'add_note':
        notes.set(String(input.title), String(input.text));
        return text(`saved "${input.title}" (${notes.size} notes)`);
    case 'list_notes':
        return text(notes.size ? [...notes.keys()].join('\n') : 'no notes');
    case 'read_note':
        return notes.has(input.title) ? text(notes.get(input.title)) : text(`no note "${input.title}"`, true);
    default:
        return text(`unknown tool ${name}`, true);
    }
}

function answer(message) {
    switch (message.method) {
    case 'initialize': {
        const asked = message.params?.protocolVersion;
        return {
            protocolVersion: versions.includes(asked) ? asked : versions[0],
            capabilities: { tools: {} },
            serverInfo: { name: 'notes', version: '1.0.0' },
        };
    }
    case 'ping':
        return {};
    case 'tools/list':
        return { tools };
    case 'tools/call':
        return callTool(message.params ?? {});
    default:
        return undefined;
    }
}

const send = (message) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');

createInterface({ input: process.stdin }).on('line', (line) => {
    let message;
    try {
        message = JSON.parse(line);
    } catch {
        send({ id: null, error: { code: -32700, message: 'Parse error' } });
        return;
    }
    if (message.id === undefined || message.method === undefined)
        return;   // a notification (initialized, cancelled) or a response: nothing to answer
    const result = answer(message);
    if (result === undefined)
        send({ id: message.id, error: { code: -32601, message: `Method not found: ${message.method}` } });
    else
        send({ id: message.id, result });
});
