// A test OTLP/HTTP receiver that decodes what Switchboard sends with an
// independent implementation of the OTLP encoding: the protobuf types
// (protobufjs, generated from the OTLP .proto files) that the OpenTelemetry
// JavaScript SDK ships in @opentelemetry/otlp-transformer, installed into the
// build tree by the test fixture telemetry_otlp_install.
//
//   node otlp_receiver.mjs NODE_PREFIX OUT_FILE            serve on 127.0.0.1
//   node otlp_receiver.mjs NODE_PREFIX OUT_FILE --decode FILE   decode OTLP JSON Lines
//
// Serving, it prints its URL ("http://127.0.0.1:PORT") as its first line and
// answers POST /v1/traces and /v1/metrics. Each request (or line) is decoded
// strictly: the JSON must convert into the protobuf message, survive a trip
// through the binary protobuf encoding, and come back identical, so a
// misspelt or misplaced field, a wrong type or an id that is not hex fails.
// What was decoded is appended to OUT_FILE as one JSON line, flattened for
// the tests: {"signal": "traces", "path", "headers", "resource", "scope",
// "schemaUrl", "spans": [{traceId, spanId, parentSpanId, name, kind,
// start, end, attributes: {key: value}, events, status}]} or {"signal":
// "metrics", ..., "metrics": [...]}; a request that fails to decode
// becomes {"error": "..."} and a 400 answer.

import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

const [prefix, outFile, mode, decodeFile] = process.argv.slice(2);
const require = createRequire(`${prefix}/node_modules/`);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const proto = root.opentelemetry.proto;
const TracesRequest = proto.collector.trace.v1.ExportTraceServiceRequest;
const MetricsRequest = proto.collector.metrics.v1.ExportMetricsServiceRequest;

const hexId = (value, length, what) => {
    if (typeof value !== 'string' || value.length !== length || !/^[0-9a-f]+$/.test(value) || /^0+$/.test(value))
        throw new Error(`${what} is not ${length} lowercase hex digits (not all zero): ${JSON.stringify(value)}`);
    return Buffer.from(value, 'hex');
};

// OTLP JSON writes ids as hex where proto3 JSON would write base64: turn
// them into bytes before protobufjs reads the object, and back after.
function idsToBytes(json) {
    const copy = structuredClone(json);
    for (const resourceSpans of copy.resourceSpans ?? []) {
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
                span.traceId = hexId(span.traceId, 32, 'traceId');
                span.spanId = hexId(span.spanId, 16, 'spanId');
                if (span.parentSpanId !== undefined)
                    span.parentSpanId = hexId(span.parentSpanId, 16, 'parentSpanId');
            }
        }
    }
    return copy;
}

function idsToHex(object) {
    for (const resourceSpans of object.resourceSpans ?? []) {
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
                for (const key of ['traceId', 'spanId', 'parentSpanId']) {
                    if (span[key] !== undefined)
                        span[key] = Buffer.from(span[key], 'base64').toString('hex');
                }
            }
        }
    }
    return object;
}

// Empty lists and objects carry nothing in protobuf: compare without them.
function withoutEmpty(value) {
    if (Array.isArray(value))
        return value.map(withoutEmpty);
    if (value && typeof value === 'object') {
        const result = {};
        for (const [key, item] of Object.entries(value)) {
            const cleaned = withoutEmpty(item);
            if (Array.isArray(cleaned) && cleaned.length === 0)
                continue;
            if (cleaned && typeof cleaned === 'object' && !Array.isArray(cleaned) && Object.keys(cleaned).length === 0)
                continue;
            result[key] = cleaned;
        }
        return result;
    }
    return value;
}

function decodeStrictly(Type, json) {
    const message = Type.fromObject(Type === TracesRequest ? idsToBytes(json) : json);
    const invalid = Type.verify(message);
    if (invalid)
        throw new Error(`not a valid ${Type.name}: ${invalid}`);
    const decoded = Type.decode(Type.encode(message).finish());
    let back = Type.toObject(decoded, { longs: String, enums: Number, bytes: String });
    if (Type === TracesRequest)
        back = idsToHex(back);
    if (!isDeepStrictEqual(withoutEmpty(back), withoutEmpty(json))) {
        throw new Error(`the JSON does not round-trip through ${Type.name}: sent ${JSON.stringify(json)}` +
                        ` decoded ${JSON.stringify(back)}`);
    }
    return back;
}

function anyValue(value) {
    if (value.stringValue !== undefined) return value.stringValue;
    if (value.boolValue !== undefined) return value.boolValue;
    if (value.intValue !== undefined) return Number(value.intValue);
    if (value.doubleValue !== undefined) return value.doubleValue;
    if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue);
    throw new Error(`an AnyValue of no known kind: ${JSON.stringify(value)}`);
}

const attributes = (list) => Object.fromEntries((list ?? []).map((a) => [a.key, anyValue(a.value ?? {})]));

function flattenTraces(request) {
    const out = [];
    for (const resourceSpans of request.resourceSpans ?? []) {
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            out.push({
                signal: 'traces',
                resource: attributes(resourceSpans.resource?.attributes),
                scope: scopeSpans.scope ?? {},
                schemaUrl: scopeSpans.schemaUrl ?? '',
                spans: (scopeSpans.spans ?? []).map((span) => ({
                    traceId: span.traceId,
                    spanId: span.spanId,
                    parentSpanId: span.parentSpanId ?? '',
                    traceState: span.traceState ?? '',
                    name: span.name,
                    kind: span.kind ?? 0,
                    start: span.startTimeUnixNano,
                    end: span.endTimeUnixNano,
                    attributes: attributes(span.attributes),
                    events: (span.events ?? []).map((event) => ({
                        name: event.name,
                        time: event.timeUnixNano,
                        attributes: attributes(event.attributes),
                    })),
                    status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
                })),
            });
        }
    }
    return out;
}

function flattenMetrics(request) {
    const out = [];
    for (const resourceMetrics of request.resourceMetrics ?? []) {
        for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
            out.push({
                signal: 'metrics',
                resource: attributes(resourceMetrics.resource?.attributes),
                scope: scopeMetrics.scope ?? {},
                schemaUrl: scopeMetrics.schemaUrl ?? '',
                metrics: (scopeMetrics.metrics ?? []).map((metric) => {
                    const data = metric.histogram ?? metric.sum;
                    return {
                        name: metric.name,
                        unit: metric.unit ?? '',
                        type: metric.histogram ? 'histogram' : 'sum',
                        temporality: data.aggregationTemporality ?? 0,
                        monotonic: data.isMonotonic ?? false,
                        points: (data.dataPoints ?? []).map((point) => ({
                            attributes: attributes(point.attributes),
                            count: point.count !== undefined ? Number(point.count) : undefined,
                            sum: point.sum,
                            min: point.min,
                            max: point.max,
                            bucketCounts: (point.bucketCounts ?? []).map(Number),
                            explicitBounds: point.explicitBounds ?? [],
                            value: point.asInt !== undefined ? Number(point.asInt) : undefined,
                        })),
                    };
                }),
            });
        }
    }
    return out;
}

function decode(path, text) {
    const json = JSON.parse(text);
    if (path === '/v1/traces' || (path === undefined && json.resourceSpans))
        return flattenTraces(decodeStrictly(TracesRequest, json));
    if (path === '/v1/metrics' || (path === undefined && json.resourceMetrics))
        return flattenMetrics(decodeStrictly(MetricsRequest, json));
    throw new Error(`unknown path ${path}`);
}

const record = (object) => appendFileSync(outFile, JSON.stringify(object) + '\n');

if (mode === '--decode') {
    for (const line of readFileSync(decodeFile, 'utf8').split('\n')) {
        if (line.trim() === '')
            continue;
        try {
            for (const item of decode(undefined, line))
                record(item);
        } catch (error) {
            record({ error: String(error.message ?? error) });
        }
    }
    process.exit(0);
}

const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
        const answer = (status, body) => {
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(body));
        };
        if (request.method !== 'POST' || !['/v1/traces', '/v1/metrics'].includes(request.url)) {
            record({ error: `unexpected ${request.method} ${request.url}` });
            return answer(404, {});
        }
        if (request.headers['content-type'] !== 'application/json') {
            record({ error: `content-type ${request.headers['content-type']}` });
            return answer(415, {});
        }
        try {
            const headers = { authorization: request.headers.authorization, 'x-tenant': request.headers['x-tenant'],
                              'user-agent': request.headers['user-agent'] };
            for (const item of decode(request.url, Buffer.concat(chunks).toString('utf8')))
                record({ ...item, path: request.url, headers });
            answer(200, { partialSuccess: {} });
        } catch (error) {
            record({ error: String(error.message ?? error) });
            answer(400, { error: String(error.message ?? error) });
        }
    });
});
server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`http://127.0.0.1:${server.address().port}\n`);
});
// Ends with its standard input (the test closes it, or dies).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
