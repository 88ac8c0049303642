import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '../../src/wire/codec.js';
import { nacosMethodDefinitions, sdkServiceDefinitions, UndecodablePayload } from '../../src/wire/proto.js';
import { decodePayload, encodePayload, encodeWirePayload, InboundEnvelope, WireError } from '../../src/wire/protobuf.js';

const pl = () => nacosMethodDefinitions().request;

test('hand decoder reads what protobufjs writes (headers, clientIp, UTF-8, empty fields)', () => {
  const bytes = pl().requestSerialize(encode('InstanceRequest', { a: 'é' }, { headers: { app: 'x', k: 'ü' }, clientIp: '192.0.2.2' }));
  const d = decodePayload(bytes);
  assert.equal(d.type, 'InstanceRequest');
  assert.equal(d.clientIp, '192.0.2.2');
  assert.deepEqual(d.headers, { app: 'x', k: 'ü' });
  assert.equal(d.typeUrl, 'InstanceRequest');
  assert.equal(Buffer.from(d.bodyBytes).toString('utf8'), '{"a":"é"}');
  const empty = decodePayload(Buffer.alloc(0));
  assert.deepEqual([empty.type, empty.clientIp, empty.headers, empty.bodyBytes.length], ['', '', {}, 0]);
});

test('protobufjs reads what the hand encoder writes', () => {
  const bytes = encodePayload('NotifySubscriberRequest', '{"x":"ñ"}', { h: 'v' }, '10.0.0.1');
  const o = pl().responseDeserialize(bytes) as { metadata: { type: string; clientIp: string; headers: Record<string, string> }; body: { type_url: string; value: Buffer } };
  assert.equal(o.metadata.type, 'NotifySubscriberRequest');
  assert.equal(o.metadata.clientIp, '10.0.0.1');
  assert.deepEqual(o.metadata.headers, { h: 'v' });
  assert.equal(o.body.type_url, 'NotifySubscriberRequest');
  assert.equal(o.body.value.toString('utf8'), '{"x":"ñ"}');
  // Without headers and clientIp, and with a body of bytes; a large body needs multi-byte lengths.
  const big = Buffer.from(JSON.stringify({ s: 'y'.repeat(70_000) }));
  const o2 = pl().responseDeserialize(encodePayload('T', big)) as { metadata: { headers?: object; clientIp?: string }; body: { value: Buffer } };
  assert.ok(o2.body.value.equals(big));
  assert.ok(Buffer.from(decodePayload(encodeWirePayload(encode('T', { s: 'y'.repeat(70_000) }))).bodyBytes).equals(big));
});

test('hand decoder skips unknown fields of every wire type and keeps the last scalar', () => {
  const known = encodePayload('A', '{}');
  const extra = Buffer.from([
    (9 << 3) | 0, 0x96, 0x01, // varint field 9
    (10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8, // fixed64
    (11 << 3) | 5, 1, 2, 3, 4, // fixed32
    (12 << 3) | 2, 2, 0x41, 0x42, // unknown bytes
  ]);
  const second = Buffer.from([(2 << 3) | 2, 3, (3 << 3) | 2, 1, 0x42]); // metadata { type: "B" }
  const d = decodePayload(Buffer.concat([known, extra, second]));
  assert.equal(d.type, 'B');
  assert.equal(Buffer.from(d.bodyBytes).toString(), '{}');
});

test('hand decoder rejects malformed bytes', () => {
  for (const bad of [
    Buffer.from([0x12, 0x05, 0x1a]), // length overruns
    Buffer.from([0x12]), // missing length
    Buffer.from([0x0b]), // group start (wire type 3)
    Buffer.from([0x0f]), // wire type 7
    Buffer.from([0x09, 1, 2]), // truncated fixed64
    Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), // varint too long
  ]) {
    assert.throws(() => decodePayload(bad), WireError, bad.toString('hex'));
  }
});

test('server method definitions decode to InboundEnvelope, never throw, and serialize buffers as is', () => {
  const m = sdkServiceDefinitions().request.request;
  const ok = m.requestDeserialize(encodePayload('X', '{}'));
  assert.ok(ok instanceof InboundEnvelope);
  assert.ok(m.requestDeserialize(Buffer.from([0xff])) instanceof UndecodablePayload);
  const b = encodePayload('Y', '{}');
  assert.equal(m.responseSerialize(b), b);
  assert.deepEqual(m.responseSerialize(encode('Y', '{}')), b);
});
