// The SDK side of run-mcp-benchmark.sh: the official TypeScript SDK's
// Client over StdioClientTransport, or with a URL over
// StreamableHTTPClientTransport, the same sequential tools/call loop as
// bench_mcpcalls against the same server.
//   node bench_mcpcalls_sdk.mjs NODE_PREFIX stdio SERVER_SCRIPT CALLS
//   node bench_mcpcalls_sdk.mjs NODE_PREFIX http URL CALLS
import { createRequire } from 'node:module';
import path from 'node:path';

const [prefix, transportName, target, callsText] = process.argv.slice(2);
const require = createRequire(path.join(prefix, 'node_modules', 'x.js'));
const { Client } = await import(require.resolve('@modelcontextprotocol/sdk/client/index.js'));
const calls = Number(callsText ?? 10000);

let transport;
if (transportName === 'http') {
    const { StreamableHTTPClientTransport } = await import(require.resolve('@modelcontextprotocol/sdk/client/streamableHttp.js'));
    transport = new StreamableHTTPClientTransport(new URL(target));
} else {
    const { StdioClientTransport } = await import(require.resolve('@modelcontextprotocol/sdk/client/stdio.js'));
    transport = new StdioClientTransport({ command: process.execPath, args: [target] });
}
// faultserver's echo answers the text; httpserver's "echo: " and the text.
const expected = transportName === 'http' ? 'echo: ping' : 'ping';
const client = new Client({ name: 'bench', version: '1.0.0' }, { capabilities: {} });
await client.connect(transport);
await client.listTools();
const call = async () => {
    const result = await client.callTool({ name: 'echo', arguments: { text: 'ping' } });
    if (result.content[0].text !== expected)
        throw new Error('unexpected result');
};
for (let i = 0; i < 100; ++i)
    await call();
const rss = [];
const cpuBefore = process.cpuUsage();
const start = process.hrtime.bigint();
for (let i = 1; i <= calls; ++i) {
    await call();
    if (i % (calls / 10) === 0)
        rss.push((process.memoryUsage().rss / 1e6).toFixed(1));
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(`RESULT client=sdk transport=${transportName} calls=${calls} wall_s=${seconds.toFixed(3)} ` +
    `calls_per_s=${(calls / seconds).toFixed(0)} cpu_s=${cpuSeconds.toFixed(3)} ` +
    `cpu_us_per_call=${(cpuSeconds * 1e6 / calls).toFixed(1)} sys_us_per_call=${(cpu.system / calls).toFixed(1)} rss_mb_every_tenth=${rss.join(',')}`);
await client.close();
