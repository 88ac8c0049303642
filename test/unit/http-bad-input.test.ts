/**
 * The bad-input table (docs/bad-input.md): every row is a request that must be rejected with an
 * exact status and body, and must change nothing (registry, store, subscriptions, settings).
 * Test names are `bad input: <row>`; the doc names them.
 */
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpContext, type HttpContext, qs } from './helpers/http-context.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

interface Row {
  name: string;
  method: Method;
  path: string;
  query?: Record<string, string | number>;
  /** x-www-form-urlencoded body: an object, or raw text. */
  form?: Record<string, string | number> | string;
  raw?: { contentType: string; payload: string | Buffer };
  properties?: Record<string, string>;
  setup?: (app: FastifyInstance) => Promise<void>;
  status: number;
  /** Exact body text (v1) or JSON value (v2/v3). */
  body: string | Record<string, unknown>;
}

const V1 = '/nacos/v1/ns';
const V2 = '/nacos/v2/ns';
const REG = `${V1}/instance`;
const NS = '/nacos/v1/console/namespaces';
const ok = { serviceName: 'svc', ip: '10.0.0.1', port: 8080 };
const PORT_ILLEGAL = "Param 'port' is illegal, the value should be between 0 and 65535.";
const WEIGHT = 'instance format invalid: The weights range from 0.0 to 10000.0';
const PROTECT = "Param 'protectThreshold' is illegal, the value should be between 0 and 1.";

async function send(app: FastifyInstance, row: Row) {
  const q = row.query ? qs(row.query) : '';
  const url = q === '' ? row.path : `${row.path}?${q}`;
  if (row.raw) return app.inject({ method: row.method, url, headers: { 'content-type': row.raw.contentType }, payload: row.raw.payload });
  if (row.form !== undefined) {
    const payload = typeof row.form === 'string' ? row.form : qs(row.form);
    return app.inject({ method: row.method, url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
  }
  return app.inject({ method: row.method, url });
}

export const ROWS: Row[] = [
  { name: 'missing ip', method: 'POST', path: REG, query: { serviceName: 'svc', port: 8080 }, status: 400, body: "Param 'ip' is required." },
  { name: 'missing serviceName', method: 'POST', path: REG, query: { ip: '10.0.0.1', port: 8080 }, status: 400, body: "Param 'serviceName' is required." },
  { name: 'missing port', method: 'POST', path: REG, query: { serviceName: 'svc', ip: '10.0.0.1' }, status: 400, body: "Param 'port' is required." },
  { name: 'port 70000', method: 'POST', path: REG, query: { ...ok, port: 70000 }, status: 400, body: PORT_ILLEGAL },
  { name: 'port "abc"', method: 'POST', path: REG, query: { ...ok, port: 'abc' }, status: 400, body: PORT_ILLEGAL },
  {
    name: 'port "abc" with the parameter checker off',
    method: 'POST',
    path: REG,
    query: { ...ok, port: 'abc' },
    properties: { 'nacos.core.param.check.enabled': 'false' },
    status: 400,
    body: 'For input string: "abc"',
  },
  { name: 'weight 10001', method: 'POST', path: REG, query: { ...ok, weight: 10001 }, status: 400, body: WEIGHT },
  { name: 'weight -1', method: 'POST', path: REG, query: { ...ok, weight: -1 }, status: 400, body: WEIGHT },
  { name: 'weight "heavy"', method: 'POST', path: REG, query: { ...ok, weight: 'heavy' }, status: 400, body: 'For input string: "heavy"' },
  {
    name: 'cluster "a_b" on register',
    method: 'POST',
    path: REG,
    query: { ...ok, clusterName: 'a_b' },
    status: 400,
    body: "Instance 'clusterName' should be characters with only 0-9a-zA-Z-. (current: a_b)",
  },
  {
    name: 'cluster "a b"',
    method: 'POST',
    path: REG,
    query: { ...ok, cluster: 'a b' },
    status: 400,
    body: "Param 'cluster' is illegal, illegal characters should not appear in the param.",
  },
  { name: 'service name "@@x"', method: 'POST', path: REG, query: { ...ok, serviceName: '@@x' }, status: 400, body: "Param 'serviceName' is illegal, groupName can't be empty" },
  {
    name: 'service name "x@@"',
    method: 'POST',
    path: REG,
    query: { ...ok, serviceName: 'x@@' },
    status: 400,
    body: "Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName'",
  },
  {
    name: 'grouped service name with another groupName',
    method: 'POST',
    path: REG,
    query: { ...ok, serviceName: 'SECRET@@svc', groupName: 'DEFAULT_GROUP' },
    status: 400,
    body: "Param 'serviceName' is illegal, its group 'SECRET' differs from groupName 'DEFAULT_GROUP'.",
  },
  {
    name: 'v2 PATCH: grouped service name with another groupName',
    method: 'PATCH',
    path: `${V2}/instance`,
    query: { ...ok, serviceName: 'SECRET@@svc', groupName: 'DEFAULT_GROUP', weight: 2 },
    status: 400,
    body: { code: 20009, message: 'parameter mismatch', data: "Param 'serviceName' is illegal, its group 'SECRET' differs from groupName 'DEFAULT_GROUP'." },
  },
  {
    name: 'service name "@x"',
    method: 'POST',
    path: REG,
    query: { ...ok, serviceName: '@x' },
    status: 400,
    body: "Param 'serviceName' is illegal, illegal characters should not appear in the param.",
  },
  {
    name: 'service name with a space',
    method: 'POST',
    path: REG,
    query: { ...ok, serviceName: 'my svc' },
    status: 400,
    body: "Param 'serviceName' is illegal, illegal characters should not appear in the param.",
  },
  {
    name: '600-char service name',
    method: 'POST',
    path: REG,
    query: { ...ok, serviceName: 's'.repeat(600) },
    status: 400,
    body: "Param 'serviceName' is illegal, the param length should not exceed 512.",
  },
  {
    name: 'group "G!"',
    method: 'POST',
    path: REG,
    query: { ...ok, groupName: 'G!' },
    status: 400,
    body: "Param 'group' is illegal, illegal characters should not appear in the param.",
  },
  {
    name: 'metadata > 1024',
    method: 'POST',
    path: REG,
    query: { ...ok, metadata: JSON.stringify({ k: 'v'.repeat(1024) }) },
    status: 400,
    body: "Param 'Metadata' is illegal, the param length should not exceed 1024.",
  },
  { name: 'malformed metadata', method: 'POST', path: REG, query: { ...ok, metadata: 'a=1,b' }, status: 400, body: 'metadata format incorrect:a=1,b' },
  {
    name: 'heart beat interval above timeout',
    method: 'POST',
    path: REG,
    query: { ...ok, metadata: 'preserved.heart.beat.interval=20000' },
    status: 400,
    body: "Instance 'heart beat interval' must less than 'heart beat timeout' and 'ip delete timeout'.",
  },
  {
    name: 'bad namespace',
    method: 'POST',
    path: REG,
    query: { ...ok, namespaceId: 'dev!' },
    status: 400,
    body: "Param 'namespaceId/tenant' is illegal, illegal characters should not appear in the param.",
  },
  {
    name: '65-char namespace',
    method: 'POST',
    path: REG,
    query: { ...ok, namespaceId: 'n'.repeat(65) },
    status: 400,
    body: "Param 'namespaceId/tenant' is illegal, the param length should not exceed 64.",
  },
  {
    name: '65-char namespace with the parameter checker off',
    method: 'POST',
    path: REG,
    query: { ...ok, namespaceId: 'n'.repeat(65) },
    properties: { 'nacos.core.param.check.enabled': 'false' },
    status: 400,
    body: "Param 'namespaceId/tenant' is illegal, the param length should not exceed 64.",
  },
  {
    name: '600-char service name with the parameter checker off',
    method: 'POST',
    path: REG,
    query: { ...ok, serviceName: 's'.repeat(600) },
    properties: { 'nacos.core.param.check.enabled': 'false' },
    status: 400,
    body: "Param 'serviceName' is illegal, the param length should not exceed 512.",
  },
  {
    name: 'namespace create with a 65-char id',
    method: 'POST',
    path: NS,
    form: { customNamespaceId: 'n'.repeat(65), namespaceName: 'dev' },
    status: 400,
    body: "Param 'namespaceId/tenant' is illegal, the param length should not exceed 64.",
  },
  {
    name: 'namespace create with a bad id',
    method: 'POST',
    path: NS,
    form: { customNamespaceId: 'dev!', namespaceName: 'dev' },
    status: 400,
    body: "Param 'namespaceId/tenant' is illegal, illegal characters should not appear in the param.",
  },
  {
    name: 'namespace create with a 500 KB name',
    method: 'POST',
    path: NS,
    form: { customNamespaceId: 'dev', namespaceName: 'x'.repeat(500 * 1024) },
    status: 400,
    body: "Param 'namespaceShowName' is illegal, the param length should not exceed 256.",
  },
  {
    name: 'namespace create with a 257-char description',
    method: 'POST',
    path: NS,
    form: { customNamespaceId: 'dev', namespaceName: 'dev', namespaceDesc: 'd'.repeat(257) },
    status: 400,
    body: "Param 'namespaceDesc' is illegal, the param length should not exceed 256.",
  },
  {
    name: 'namespace update with a 257-char name',
    method: 'PUT',
    path: NS,
    form: { namespace: 'dev', namespaceShowName: 'x'.repeat(257) },
    setup: async (app) => {
      await app.inject({ method: 'POST', url: NS, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'customNamespaceId=dev&namespaceName=dev' });
    },
    status: 400,
    body: "Param 'namespaceShowName' is illegal, the param length should not exceed 256.",
  },
  {
    name: 'v3 namespace read with a 65-char id',
    method: 'GET',
    path: '/nacos/v3/admin/core/namespace',
    query: { namespaceId: 'n'.repeat(65) },
    status: 400,
    body: { code: 20002, message: 'parameter validate error', data: "Param 'namespaceId/tenant' is illegal, the param length should not exceed 64." },
  },
  { name: 'malformed form body', method: 'POST', path: REG, form: 'serviceName=svc&ip=%E0%A4%A&port=8080', status: 400, body: 'Malformed form body: invalid percent-encoding or UTF-8.' },
  { name: 'malformed query string', method: 'POST', path: `${REG}?serviceName=svc&ip=%zz&port=8080`, status: 400, body: 'Malformed query string: invalid percent-encoding or UTF-8.' },
  // Bytes that are not UTF-8 are refused the same way whether they arrive raw or percent-encoded.
  {
    name: 'form body with percent-encoded invalid UTF-8',
    method: 'POST',
    path: REG,
    form: 'serviceName=svc%FF&ip=10.0.0.1&port=8080',
    status: 400,
    body: 'Malformed form body: invalid percent-encoding or UTF-8.',
  },
  {
    name: 'form body with raw invalid UTF-8',
    method: 'POST',
    path: REG,
    raw: { contentType: 'application/x-www-form-urlencoded', payload: Buffer.concat([Buffer.from('serviceName=svc'), Buffer.from([0xff]), Buffer.from('&ip=10.0.0.1&port=8080')]) },
    status: 400,
    body: 'Malformed form body: invalid percent-encoding or UTF-8.',
  },
  {
    name: 'form body with a raw truncated UTF-8 sequence',
    method: 'POST',
    path: REG,
    raw: { contentType: 'application/x-www-form-urlencoded', payload: Buffer.concat([Buffer.from('ip=10.0.0.1&port=8080&serviceName=svc'), Buffer.from([0xe0, 0xa4])]) },
    status: 400,
    body: 'Malformed form body: invalid percent-encoding or UTF-8.',
  },
  { name: 'query string with percent-encoded invalid UTF-8', method: 'POST', path: `${REG}?serviceName=svc%FF&ip=10.0.0.1&port=8080`, status: 400, body: 'Malformed query string: invalid percent-encoding or UTF-8.' },
  {
    name: 'body over the limit',
    method: 'POST',
    path: REG,
    form: { ...ok, metadata: 'k='.padEnd(2000, 'v') },
    properties: { 'nomen.http.body-limit': '1024' },
    status: 413,
    body: 'Request body is too large',
  },
  {
    name: 'JSON body (ignored, like Nacos)',
    method: 'POST',
    path: REG,
    raw: { contentType: 'application/json', payload: JSON.stringify(ok) },
    status: 400,
    body: "Param 'serviceName' is required.",
  },
  { name: 'unknown route (v1)', method: 'GET', path: `${V1}/nope`, status: 404, body: 'No such API: GET /nacos/v1/ns/nope' },
  {
    name: 'unknown route (v2)',
    method: 'GET',
    path: `${V2}/nope`,
    query: { a: 1 },
    status: 404,
    body: { code: 20004, message: 'resource not found', data: 'No such API: GET /nacos/v2/ns/nope' },
  },
  { name: 'unsupported method', method: 'PATCH', path: `${V1}/instance/list`, status: 404, body: 'No such API: PATCH /nacos/v1/ns/instance/list' },
  { name: 'malformed URL', method: 'GET', path: `${V1}/%zz`, status: 400, body: "'/nacos/v1/ns/%zz' is not a valid url component" },
  {
    name: 'ephemeral register into a persistent service',
    method: 'POST',
    path: REG,
    query: { ...ok, serviceName: 'p' },
    setup: async (app) => {
      assert.equal((await app.inject({ method: 'POST', url: `${V1}/service?serviceName=p` })).body, 'ok');
    },
    status: 400,
    body: "Current service DEFAULT_GROUP@@p is persistent service, can't register ephemeral instance.",
  },
  {
    name: 'persistent register into an ephemeral service',
    method: 'POST',
    path: REG,
    query: { ...ok, serviceName: 'e', ip: '10.0.0.2', ephemeral: 'false' },
    setup: async (app) => {
      assert.equal((await app.inject({ method: 'POST', url: `${REG}?serviceName=e&ip=10.0.0.1&port=8080` })).body, 'ok');
    },
    status: 400,
    body: "Current service DEFAULT_GROUP@@e is ephemeral service, can't register persistent instance.",
  },
  {
    name: 'deregister with weight 10001',
    method: 'DELETE',
    path: REG,
    query: { ...ok, weight: 10001 },
    setup: async (app) => {
      assert.equal((await app.inject({ method: 'POST', url: `${REG}?${qs(ok)}` })).body, 'ok');
    },
    status: 400,
    body: WEIGHT,
  },
  {
    name: 'beat with malformed beat JSON',
    method: 'PUT',
    path: `${V1}/instance/beat`,
    query: { serviceName: 'svc', beat: '{ip:1' },
    status: 400,
    body: "Param 'beat' is illegal, it should be a JSON object.",
  },
  {
    name: 'beat JSON with port 70000',
    method: 'PUT',
    path: `${V1}/instance/beat`,
    query: { serviceName: 'svc', beat: '{"ip":"10.0.0.1","port":70000}' },
    status: 400,
    body: PORT_ILLEGAL,
  },
  {
    name: 'metadata batch with an unreadable port in instances',
    method: 'PUT',
    path: `${V1}/instance/metadata/batch`,
    query: { serviceName: 'svc', instances: '[{"ip":"10.0.0.1","port":"abc"}]', metadata: 'k=v' },
    status: 400,
    body: `Param 'instances' is illegal, entry 0 has an illegal 'port': "abc".`,
  },
  {
    name: 'metadata batch with instances that are not a JSON array',
    method: 'DELETE',
    path: `${V2}/instance/metadata/batch`,
    query: { serviceName: 'svc', instances: '{"ip":"10.0.0.1","port":8080}', metadata: 'k=v' },
    status: 400,
    body: { code: 20002, message: 'parameter validate error', data: "Param 'instances' is illegal, it should be a JSON array." },
  },
  { name: 'service list without pageNo', method: 'GET', path: `${V1}/service/list`, query: { pageSize: 10 }, status: 400, body: "Param 'pageNo' is required." },
  {
    name: 'service with an unknown selector type',
    method: 'POST',
    path: `${V1}/service`,
    query: { serviceName: 'sel', selector: '{"type":"magic"}' },
    status: 400,
    body: 'not match any type of selector!',
  },
  { name: 'service update without protectThreshold', method: 'PUT', path: `${V1}/service`, query: { serviceName: 'svc' }, status: 400, body: "Param 'protectThreshold' is required." },
  { name: 'service update with protectThreshold NaN', method: 'PUT', path: `${V1}/service`, query: { serviceName: 'svc', protectThreshold: 'NaN' }, status: 400, body: PROTECT },
  { name: 'service update with protectThreshold 1e309', method: 'PUT', path: `${V1}/service`, query: { serviceName: 'svc', protectThreshold: '1e309' }, status: 400, body: PROTECT },
  { name: 'service update with protectThreshold -5', method: 'PUT', path: `${V1}/service`, query: { serviceName: 'svc', protectThreshold: -5 }, status: 400, body: PROTECT },
  { name: 'service create with protectThreshold 1.5', method: 'POST', path: `${V1}/service`, query: { serviceName: 'pt', protectThreshold: 1.5 }, status: 400, body: PROTECT },
  {
    name: 'v2 service create with protectThreshold NaN',
    method: 'POST',
    path: `${V2}/service`,
    form: { serviceName: 'pt', protectThreshold: 'NaN' },
    status: 400,
    body: { code: 20002, message: 'parameter validate error', data: PROTECT },
  },
  {
    name: 'cluster update with expectedResponseCode 1e400',
    method: 'PUT',
    path: `${V1}/cluster`,
    query: { serviceName: 'svc', clusterName: 'DEFAULT', checkPort: 80, useInstancePort4Check: 'true', healthChecker: '{"type":"HTTP","expectedResponseCode":1e400}' },
    status: 400,
    body: "Param 'healthChecker' is illegal, expectedResponseCode should be an integer between 100 and 599.",
  },
  {
    name: 'cluster update with checkPort 70000',
    method: 'PUT',
    path: `${V1}/cluster`,
    query: { serviceName: 'svc', clusterName: 'DEFAULT', checkPort: 70000, useInstancePort4Check: 'true', healthChecker: '{"type":"TCP"}' },
    status: 400,
    // The parameter checker reads checkPort as the port (as Nacos' does).
    body: PORT_ILLEGAL,
  },
  {
    name: 'cluster update with checkPort 70000 with the parameter checker off',
    method: 'PUT',
    path: `${V1}/cluster`,
    query: { serviceName: 'svc', clusterName: 'DEFAULT', checkPort: 70000, useInstancePort4Check: 'true', healthChecker: '{"type":"TCP"}' },
    properties: { 'nacos.core.param.check.enabled': 'false' },
    status: 400,
    body: "Param 'checkPort' is illegal, the value should be between 0 and 65535.",
  },
  {
    name: 'health update without healthy',
    method: 'PUT',
    path: `${V1}/health/instance`,
    query: { serviceName: 'svc', ip: '10.0.0.1', port: 8080 },
    status: 400,
    body: "Param 'healthy' is required.",
  },
  { name: 'switch update with an unknown entry', method: 'PUT', path: `${V1}/operator/switches`, query: { entry: 'nope', value: '1' }, status: 400, body: 'update entry not found: nope' },
  // Names of Object.prototype members are unknown entries too (they once answered 500 or wrote junk rows).
  ...['__proto__', 'constructor', 'toString', 'hasOwnProperty'].map(
    (entry): Row => ({ name: `switch update with entry "${entry}"`, method: 'PUT', path: `${V1}/operator/switches`, query: { entry, value: '1' }, status: 400, body: `update entry not found: ${entry}` }),
  ),
  {
    name: 'switch update with a bad value',
    method: 'PUT',
    path: `${V1}/ops/switches`,
    query: { entry: 'clientBeatInterval', value: 'soon' },
    status: 400,
    // Nacos' Long.parseLong failure text.
    body: 'For input string: "soon"',
  },
  {
    name: 'v2 missing ip',
    method: 'POST',
    path: `${V2}/instance`,
    form: { serviceName: 'svc', port: 8080 },
    status: 400,
    body: { code: 10000, message: 'parameter missing', data: "Required parameter 'ip' type String is not present" },
  },
  {
    name: 'v2 weight 10001',
    method: 'POST',
    path: `${V2}/instance`,
    query: { ...ok, weight: 10001 },
    status: 400,
    body: { code: 21001, message: 'weight error', data: WEIGHT },
  },
  {
    name: 'v2 port 70000',
    method: 'POST',
    path: `${V2}/instance`,
    query: { ...ok, port: 70000 },
    status: 400,
    body: { code: 20002, message: 'parameter validate error', data: PORT_ILLEGAL },
  },
  {
    name: 'v2 grouped serviceName',
    method: 'POST',
    path: `${V2}/instance`,
    query: { ...ok, serviceName: 'G@@svc' },
    status: 400,
    body: { code: 21000, message: 'service name error', data: "Param 'serviceName' is illegal, illegal characters should not appear in the param." },
  },
  {
    name: 'v2 malformed form body',
    method: 'POST',
    path: `${V2}/instance`,
    form: 'serviceName=%G0',
    status: 400,
    body: { code: 20002, message: 'parameter validate error', data: 'Malformed form body: invalid percent-encoding or UTF-8.' },
  },
  {
    name: 'v2 body over the limit',
    method: 'POST',
    path: `${V2}/instance`,
    form: { ...ok, metadata: 'k='.padEnd(2000, 'v') },
    properties: { 'nomen.http.body-limit': '1024' },
    status: 413,
    body: { code: 20002, message: 'parameter validate error', data: 'Request body is too large' },
  },
  {
    name: 'v3 client missing port',
    method: 'POST',
    path: '/nacos/v3/client/ns/instance',
    query: { serviceName: 'svc', ip: '10.0.0.1' },
    status: 400,
    body: { code: 10000, message: 'parameter missing', data: "Required parameter 'port' type Integer is not present" },
  },
];

async function check(t: HttpContext, row: Row): Promise<void> {
  if (row.setup) await row.setup(t.app);
  const before = t.snapshot();
  const r = await send(t.app, row);
  assert.equal(r.statusCode, row.status, r.body);
  if (typeof row.body === 'string') {
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    assert.equal(r.body, row.body);
  } else {
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), row.body);
  }
  assert.doesNotMatch(r.body, /\n\s+at /, 'no stack trace');
  assert.equal(t.snapshot(), before, 'a rejected request changes nothing');
}

for (const row of ROWS) {
  test(`bad input: ${row.name}`, async () => {
    const t = createHttpContext({ properties: row.properties ?? {} });
    await check(t, row);
  });
}

/** Sends raw bytes to a listening app and returns the status line and body. */
function rawRequest(port: number, bytes: Buffer): Promise<{ status: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(bytes));
    let out = '';
    s.on('data', (d) => (out += String(d)));
    s.on('error', reject);
    s.on('close', () => resolve({ status: out.split('\r\n')[0] ?? '', body: out.slice(out.indexOf('\r\n\r\n') + 4) }));
  });
}

test('bad input: raw bytes that are not UTF-8 over a real socket (form body and query string)', async () => {
  const t = createHttpContext();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const port = (t.app.server.address() as AddressInfo).port;
    const before = t.snapshot();
    const body = Buffer.concat([Buffer.from('serviceName=svc'), Buffer.from([0xff]), Buffer.from('&ip=10.0.0.1&port=8080')]);
    const head = `POST ${REG} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
    const form = await rawRequest(port, Buffer.concat([Buffer.from(head), body]));
    assert.deepEqual([form.status, form.body], ['HTTP/1.1 400 Bad Request', 'Malformed form body: invalid percent-encoding or UTF-8.']);
    // In the request line, Node's HTTP parser itself refuses the byte (400) before any route runs.
    const line = Buffer.concat([Buffer.from(`POST ${REG}?serviceName=svc`), Buffer.from([0xff]), Buffer.from('&ip=10.0.0.1&port=8080 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')]);
    assert.equal((await rawRequest(port, line)).status, 'HTTP/1.1 400 Bad Request');
    assert.equal(t.snapshot(), before, 'nothing registered');
  } finally {
    await t.app.close();
  }
});

test('bad input: the server keeps serving after every bad request', async () => {
  const t = createHttpContext({ properties: { 'nomen.http.body-limit': '1024' } });
  for (const row of ROWS.filter((r) => !r.setup && !r.properties)) {
    await send(t.app, row);
  }
  const r = await t.app.inject({ method: 'POST', url: `${REG}?${qs(ok)}` });
  assert.equal(r.body, 'ok');
  assert.equal(t.registry.serviceCount(), 1);
});
