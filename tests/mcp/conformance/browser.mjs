// The "browser" of mcp_conformance_cli_login (SWITCHBOARD_BROWSER runs it
// with the authorization URL): the scenario's authorization server approves
// at once, so it GETs the URL, takes the redirect's Location (the loopback
// redirect URI of `switchboard mcp login`, with code and state) and GETs
// that, as a browser following the redirect would.
const url = process.argv[2];
const approval = await fetch(url, { redirect: 'manual' });
const location = approval.headers.get('location');
if (!location) {
    console.error(`browser.mjs: no redirect from the authorization endpoint (HTTP ${approval.status})`);
    process.exit(1);
}
const back = await fetch(new URL(location, url));
process.exit(back.ok ? 0 : 1);
