import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastInstanceRequest, instanceRequest } from '../../src/transport/grpc/naming-handlers.js';

const base = () => ({
  headers: {},
  requestId: '1',
  module: 'naming',
  namespace: 'public',
  serviceName: 'svc',
  groupName: 'DEFAULT_GROUP',
  type: 'registerInstance',
  instance: {
    instanceId: null,
    ip: '127.0.0.1',
    port: 8080,
    weight: 1.5,
    healthy: true,
    enabled: true,
    ephemeral: true,
    clusterName: 'DEFAULT',
    serviceName: null,
    metadata: { a: 'b' },
    extra: 'dropped',
  },
});

type Body = ReturnType<typeof base>;
const variants: [string, (b: Body) => unknown][] = [
  ['as is', (b) => b],
  ['nulls', (b) => ({ ...b, namespace: null, groupName: null, instance: { ...b.instance, weight: null, healthy: null, metadata: null, clusterName: null } })],
  ['absent optionals', (b) => ({ serviceName: b.serviceName, type: b.type, instance: { ip: '1.2.3.4', port: 1 } })],
  ['numeric metadata value', (b) => ({ ...b, instance: { ...b.instance, metadata: { n: 1, t: true } } })],
  ['__proto__ metadata key', (b) => ({ ...b, instance: { ...b.instance, metadata: JSON.parse('{"__proto__":"x"}') as object } })],
  ['string port', (b) => ({ ...b, instance: { ...b.instance, port: '80' } })],
  ['fractional port', (b) => ({ ...b, instance: { ...b.instance, port: 80.5 } })],
  ['unsafe port', (b) => ({ ...b, instance: { ...b.instance, port: 2 ** 60 } })],
  ['infinite weight', (b) => ({ ...b, instance: { ...b.instance, weight: Infinity } })],
  ['string weight', (b) => ({ ...b, instance: { ...b.instance, weight: '1' } })],
  ['empty serviceName', (b) => ({ ...b, serviceName: '' })],
  ['missing serviceName', (b) => ({ ...b, serviceName: undefined })],
  ['numeric namespace', (b) => ({ ...b, namespace: 3 })],
  ['no instance', (b) => ({ ...b, instance: undefined })],
  ['array instance', (b) => ({ ...b, instance: [] })],
  ['array metadata', (b) => ({ ...b, instance: { ...b.instance, metadata: ['a'] } })],
  ['string healthy', (b) => ({ ...b, instance: { ...b.instance, healthy: 'true' } })],
  ['numeric ip', (b) => ({ ...b, instance: { ...b.instance, ip: 1 } })],
  ['not an object', () => 'x'],
  ['null', () => null],
];

test('fast InstanceRequest check: same result as the zod schema, or defers to it', () => {
  let fastHits = 0;
  for (const [name, make] of variants) {
    const body = make(base());
    const fast = fastInstanceRequest(body);
    const slow = instanceRequest.safeParse(body);
    if (fast === null) continue; // the schema decides
    fastHits++;
    assert.ok(slow.success, `${name}: fast path accepted what the schema rejects`);
    assert.deepEqual(fast, slow.data, name);
  }
  assert.ok(fastHits >= 3, 'the common shapes take the fast path');
  // The common shape from the SDKs takes the fast path; bad and unusual shapes defer.
  assert.notEqual(fastInstanceRequest(base()), null);
  assert.equal(fastInstanceRequest({ ...base(), serviceName: '' }), null);
  assert.equal(fastInstanceRequest({ ...base(), instance: { ...base().instance, metadata: { n: 1 } } }), null);
});

test('fast InstanceRequest output does not share the request metadata object', () => {
  const body = base();
  const out = fastInstanceRequest(body);
  assert.ok(out?.instance.metadata);
  assert.notEqual(out.instance.metadata, body.instance.metadata);
  assert.equal('extra' in out.instance, false);
  assert.equal('headers' in out, false);
});

test('readAck fast path gives the schema path result', async () => {
  const { readAck } = await import('../../src/transport/grpc/validation.js');
  const cases: Record<string, unknown>[] = [
    { requestId: '1', resultCode: 200, errorCode: 0, message: 'ok' },
    { requestId: '2' },
    { requestId: null, message: null },
    { requestId: '3', resultCode: Infinity },
    { requestId: 4, resultCode: 'x', message: 5 },
  ];
  assert.deepEqual(cases.map(readAck), [
    { requestId: '1', resultCode: 200, errorCode: 0, message: 'ok' },
    { requestId: '2', resultCode: 200, errorCode: 0, message: null },
    { requestId: null, resultCode: 200, errorCode: 0, message: null },
    { requestId: '3', resultCode: 200, errorCode: 0, message: null },
    { requestId: null, resultCode: 200, errorCode: 0, message: null },
  ]);
});
