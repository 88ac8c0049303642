import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { NacosError } from '../../src/core/errors.js';
import {
  decode,
  decodeEnvelope,
  encode,
  errorResponse,
  exceptionResponse,
  okResponse,
  parseJsonBody,
  serverRequestJson,
  typedFailure,
  withResponseDefaults,
} from '../../src/wire/codec.js';
import { loadNacosPackageDefinition, nacosMethodDefinitions } from '../../src/wire/proto.js';
import { parseBody, readAck, readSetup } from '../../src/transport/grpc/validation.js';
import { RUST_SETUP } from './helpers/sdk-fixtures.js';

test('proto loads with the services at the package root (no package statement)', () => {
  const pkg = loadNacosPackageDefinition();
  assert.ok(pkg['Request']);
  assert.ok(pkg['BiRequestStream']);
  const m = nacosMethodDefinitions();
  assert.equal(m.request.path, '/Request/request');
  assert.equal(m.requestBiStream.path, '/BiRequestStream/requestBiStream');
  assert.equal(m.requestBiStream.requestStream, true);
  assert.equal(m.requestBiStream.responseStream, true);
});

test('encode puts the type in metadata and type_url, and UTF-8 JSON in Any.value', () => {
  const p = encode('InstanceRequest', { a: 'é', n: 1 }, { headers: { app: 'x' }, clientIp: '192.0.2.2' });
  assert.equal(p.metadata.type, 'InstanceRequest');
  assert.deepEqual(p.metadata.headers, { app: 'x' });
  assert.equal(p.metadata.clientIp, '192.0.2.2');
  assert.equal(p.body.type_url, 'InstanceRequest');
  assert.equal(p.body.value.toString('utf8'), '{"a":"é","n":1}');
  // A pre-encoded string body is used verbatim.
  assert.equal(encode('X', '{"k":1}').body.value.toString('utf8'), '{"k":1}');
  // Servers send empty headers and clientIp by default.
  const r = encode('HealthCheckResponse', okResponse());
  assert.deepEqual(r.metadata.headers, {});
  assert.equal(r.metadata.clientIp, '');
});

test('encode/decode round-trips through protobuf bytes', () => {
  const m = nacosMethodDefinitions().request;
  const bytes = m.requestSerialize(encode('ServiceQueryRequest', { serviceName: 's', headers: {} }, { headers: { accessToken: 't' } }));
  const d = decode(m.requestDeserialize(bytes));
  assert.ok(d.ok);
  assert.equal(d.type, 'ServiceQueryRequest');
  assert.deepEqual(d.headers, { accessToken: 't' });
  assert.deepEqual(d.body, { serviceName: 's', headers: {} });
});

test('decode tolerates missing metadata and body; rejects non-JSON and non-object bodies', () => {
  const empty = decodeEnvelope({});
  assert.ok(empty.ok);
  assert.equal(empty.type, '');
  assert.deepEqual(empty.headers, {});
  assert.equal(empty.bodyBytes.length, 0);
  assert.equal(decodeEnvelope('nope').ok, false);
  assert.equal(decodeEnvelope(null).ok, false);

  assert.equal(parseJsonBody(new Uint8Array(0)).ok, false);
  assert.equal(parseJsonBody(Buffer.from('{oops')).ok, false);
  assert.equal(parseJsonBody(Buffer.from([0xff, 0xfe, 0x7b])).ok, false);
  const arr = parseJsonBody(Buffer.from('[1,2]'));
  assert.deepEqual(arr, { ok: false, error: 'Invalid request' });
  assert.deepEqual(parseJsonBody(Buffer.from('null')), { ok: false, error: 'Invalid request' });
  assert.deepEqual(parseJsonBody(Buffer.from('{"a":null}')), { ok: true, body: { a: null } });

  const bad = decode({ metadata: { type: 'InstanceRequest' }, body: { value: Buffer.from('x') } });
  assert.equal(bad.ok, false);
  assert.equal(bad.type, 'InstanceRequest');
});

test('serverRequestJson adds headers {} and a string requestId', () => {
  assert.deepEqual(JSON.parse(serverRequestJson({ module: 'internal' }, '7')), { module: 'internal', headers: {}, requestId: '7' });
  // Our fields win over the body's.
  assert.deepEqual(JSON.parse(serverRequestJson({ headers: { a: 'b' }, requestId: 9 }, '3')), { headers: {}, requestId: '3' });
  // Pre-encoded: spliced, not re-parsed.
  const info = '{"serviceInfo":{"name":"svcA","hosts":[]}}';
  const s = serverRequestJson(info, '12');
  assert.equal(s, '{"headers":{},"requestId":"12","serviceInfo":{"name":"svcA","hosts":[]}}');
  assert.deepEqual(JSON.parse(serverRequestJson('{}', '1')), { headers: {}, requestId: '1' });
  assert.deepEqual(JSON.parse(serverRequestJson('  { \n }', '1')), { headers: {}, requestId: '1' });
  assert.deepEqual(JSON.parse(serverRequestJson(' {"a":1}', '2')), { headers: {}, requestId: '2', a: 1 });
  assert.throws(() => serverRequestJson('[1]', '1'), TypeError);
  assert.throws(() => serverRequestJson('x{}', '1'), TypeError);
});

test('response helpers always carry the five common fields', () => {
  assert.deepEqual(okResponse(), { resultCode: 200, errorCode: 0, message: null, requestId: null, success: true });
  assert.deepEqual(okResponse({ message: 'success', serviceInfo: {} }), {
    resultCode: 200,
    errorCode: 0,
    message: 'success',
    requestId: null,
    success: true,
    serviceInfo: {},
  });
  assert.deepEqual(typedFailure(403, 'no right'), { resultCode: 500, errorCode: 403, message: 'no right', requestId: null, success: false });
  // A typed failure cannot be turned into a success by its extras.
  assert.equal(typedFailure(400, 'bad', { resultCode: 200, count: 0 }).resultCode, 500);
  assert.deepEqual(errorResponse(302, 'RequestHandler Not Found'), {
    type: 'ErrorResponse',
    body: { resultCode: 500, errorCode: 302, message: 'RequestHandler Not Found', requestId: null, success: false },
  });
});

test('exceptionResponse copies the Java quirk resultCode = errorCode', () => {
  assert.deepEqual(exceptionResponse(new NacosError(400, 'Unsupported request type foo')), {
    type: 'ErrorResponse',
    body: { resultCode: 400, errorCode: 400, message: 'Unsupported request type foo', requestId: null, success: false },
  });
  assert.deepEqual(exceptionResponse(new NacosError(-401, 'gone')).body, {
    resultCode: -401,
    errorCode: -401,
    message: 'gone',
    requestId: null,
    success: false,
  });
  assert.deepEqual(exceptionResponse(new Error('boom')).body, { resultCode: 500, errorCode: 500, message: 'boom', requestId: null, success: false });
  assert.equal(exceptionResponse('str').type, 'ErrorResponse');
  // A "status" of 200 must never read as success.
  assert.equal((exceptionResponse({ status: 200 }).body as { resultCode: number }).resultCode, 500);
});

test('withResponseDefaults fills missing common fields only', () => {
  assert.deepEqual(withResponseDefaults({ count: 1 }), { count: 1, resultCode: 200, errorCode: 0, message: null, requestId: null, success: true });
  assert.deepEqual(withResponseDefaults({ resultCode: 500, errorCode: 7 }), {
    resultCode: 500,
    errorCode: 7,
    message: null,
    requestId: null,
    success: false,
  });
  const full = okResponse({ x: 1 });
  assert.equal(withResponseDefaults(full), full);
});

test('parseBody throws a NacosError 400 naming the bad fields', () => {
  const schema = z.object({ serviceName: z.string(), port: z.number().int() });
  assert.deepEqual(parseBody(schema, { serviceName: 's', port: 1, extra: true }), { serviceName: 's', port: 1 });
  assert.throws(
    () => parseBody(schema, { serviceName: 3 }),
    (e: unknown) => e instanceof NacosError && e.status === 400 && /serviceName/.test(e.message) && /port/.test(e.message),
  );
  assert.throws(() => parseBody(schema, 'x'), (e: unknown) => e instanceof NacosError && e.status === 400);
});

test('readSetup reads Java and Rust setups leniently', () => {
  const rust = readSetup(RUST_SETUP, '192.0.2.2');
  assert.deepEqual(rust, {
    clientIp: '192.0.2.2',
    clientVersion: 'Nacos-Rust-Client:0.8.0',
    labels: { AppName: 'unknown', source: 'sdk', module: 'naming' },
    namespace: 'public',
    appName: 'unknown',
    hasAbilityTable: false,
  });
  const java = readSetup({ module: 'internal', clientVersion: 'Nacos-Java-Client:v2.5.1', labels: { module: 'naming' }, abilityTable: {} }, '');
  assert.equal(java.hasAbilityTable, true);
  assert.equal(java.namespace, null);
  assert.equal(java.appName, '-');
  const odd = readSetup({ clientVersion: 5, labels: { a: 1, b: 'x' }, tenant: ['x'], abilityTable: null }, '');
  assert.deepEqual(odd, { clientIp: '', clientVersion: '', labels: { b: 'x' }, namespace: null, appName: '-', hasAbilityTable: false });
  assert.equal(readSetup({ labels: 'nope' }, '').appName, '-');
});

test('readAck: Rust and Java ack shapes; absent resultCode reads as 200', () => {
  assert.deepEqual(readAck({ resultCode: 200, errorCode: 0, message: 'Response ok', requestId: '4' }), {
    requestId: '4',
    resultCode: 200,
    errorCode: 0,
    message: 'Response ok',
  });
  assert.deepEqual(readAck({ requestId: '2', success: true }), { requestId: '2', resultCode: 200, errorCode: 0, message: null });
  assert.deepEqual(readAck({ requestId: 5, resultCode: 'x' }), { requestId: null, resultCode: 200, errorCode: 0, message: null });
});
