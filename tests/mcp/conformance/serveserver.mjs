// Runs a server scenario of the conformance suite against `switchboard mcp
// serve --http`: starts the server on a free port of 127.0.0.1, waits for
// the URL it says on standard error, runs the suite's command with
// `--url URL`, then ends the server with SIGINT. The exit status is the
// suite's, or 1 when the server did not start or did not end with 0.
//
//   node serveserver.mjs SWITCHBOARD [SERVE ARGUMENT...] -- COMMAND [ARGUMENT...]

import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const separator = args.indexOf('--');
const [switchboard, ...serveArguments] = args.slice(0, separator);
const [command, ...commandArguments] = args.slice(separator + 1);

const server = spawn(switchboard, ['mcp', 'serve', '--http', '0', ...serveArguments],
                     { stdio: ['ignore', 'inherit', 'pipe'] });
const url = await new Promise((resolve) => {
    let text = '';
    server.stderr.on('data', (chunk) => {
        process.stderr.write(chunk);
        text += chunk;
        const match = text.match(/at (http:\/\/127\.0\.0\.1:[0-9]+\/mcp)/);
        if (match)
            resolve(match[1]);
    });
    server.on('exit', () => resolve(null));
});
if (!url) {
    console.error('serveserver.mjs: the server did not start');
    process.exit(1);
}
const suite = spawn(command, [...commandArguments, '--url', url], { stdio: 'inherit' });
const status = await new Promise((resolve) => suite.on('exit', (code) => resolve(code ?? 1)));
const serverEnded = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
server.kill('SIGINT');
const serverStatus = await serverEnded;
if (serverStatus !== 0)
    console.error(`serveserver.mjs: the server ended with ${serverStatus}, not 0`);
process.exit(status !== 0 ? status : serverStatus === 0 ? 0 : 1);
