/** Pure parts of the cluster transport: request authentication, addresses, reply shaping, error mapping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  authHeaders,
  ClusterAuthenticator,
  HEADER_MEMBER,
  HEADER_SIG,
  HEADER_TS,
  clusterSecretProblem,
  signature,
  type AuthenticatorOptions,
  type InboundRequest,
} from '../../src/cluster/transport/auth.js';
import { clusterTargetOf } from '../../src/cluster/transport/client-pool.js';
import { fromGrpcError } from '../../src/cluster/transport/errors.js';
import { answerChallenge, verifyHello, verifyWelcome } from '../../src/cluster/transport/stream-auth.js';
import { responseTypeOf, withSuccessFieldsText } from '../../src/cluster/transport/server.js';

const NOW = 1_700_000_000_000;
const A = '10.0.0.1:8848';
const K = 'k'.repeat(32);
const body = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function authenticator(o: Partial<AuthenticatorOptions> = {}): ClusterAuthenticator {
  return new ClusterAuthenticator({
    secret: K,
    maxSkewMs: 30_000,
    now: () => NOW,
    isMember: (a) => a === A,
    ...o,
  });
}

function signed(type: string, json: string, secret = K, member = A, now = NOW): InboundRequest {
  return { type, headers: authHeaders(secret, member, now, type, body(json)), bodyBytes: body(json) };
}

test('signature is hex HMAC-SHA256 over type, member, ts and the body, newline separated', () => {
  const expected = createHmac('sha256', 'k').update(`T\n${A}\n123\n{"a":"é"}`).digest('hex');
  assert.equal(signature('k', 'T', A, '123', '{"a":"é"}'), expected);
  assert.equal(signature('k', 'T', A, '123', body('{"a":"é"}')), expected);
  const h = authHeaders('k', A, NOW, 'T', body('{}'));
  assert.deepEqual(Object.keys(h).sort(), [HEADER_MEMBER, HEADER_SIG, HEADER_TS].sort());
  assert.equal(h[HEADER_TS], String(NOW));
});

test('accepts a good signature within the window', () => {
  const auth = authenticator();
  assert.deepEqual(auth.verify(signed('T', '{"x":1}')), { ok: true, from: A });
  assert.equal(auth.verify(signed('T', '{}', K, A, NOW - 30_000)).ok, true);
  assert.equal(auth.verify(signed('T', '{}', K, A, NOW + 30_000)).ok, true);
});

test('each refusal reason', () => {
  const auth = authenticator();
  const failure = (r: InboundRequest): string => {
    const v = auth.verify(r);
    return v.ok ? 'ok' : v.failure;
  };
  const good = signed('T', '{"x":1}');
  assert.equal(failure({ ...good, headers: {} }), 'missing-headers');
  assert.equal(failure({ ...good, headers: { [HEADER_MEMBER]: A, [HEADER_TS]: String(NOW) } }), 'missing-headers');
  assert.equal(failure({ ...good, headers: { ...good.headers, [HEADER_TS]: '12e5' } }), 'bad-timestamp');
  assert.equal(failure(signed('T', '{}', K, A, NOW - 30_001)), 'stale-timestamp');
  assert.equal(failure(signed('T', '{}', K, A, NOW + 60_000)), 'stale-timestamp');
  assert.equal(failure(signed('T', '{}', K, '10.0.0.9:8848')), 'not-a-member');
  assert.equal(failure(signed('T', '{}', 'wrong')), 'bad-signature');
  assert.equal(failure({ ...good, bodyBytes: body('{"x":2}') }), 'bad-signature');
  assert.equal(failure({ ...good, type: 'U' }), 'bad-signature');
  assert.equal(failure({ ...good, headers: { ...good.headers, [HEADER_SIG]: 'zz' } }), 'bad-signature');
  assert.equal(failure({ ...good, headers: { ...good.headers, [HEADER_SIG]: 'ab'.repeat(31) } }), 'bad-signature');
  // Claiming another member with our signature fails too (the member is signed).
  assert.equal(failure({ ...good, headers: { ...good.headers, [HEADER_MEMBER]: '10.0.0.1:8849' } }), 'not-a-member');
});

test('no unsigned mode: an empty or short secret is refused, naming the key and how to generate one', () => {
  for (const secret of ['', 'short']) {
    const problem = clusterSecretProblem(secret);
    assert.ok(problem !== null);
    assert.match(problem, /nomen\.cluster\.secret/);
    assert.match(problem, /openssl rand -base64 32/);
    assert.throws(() => authenticator({ secret }), /nomen\.cluster\.secret/);
  }
  assert.equal(clusterSecretProblem(K), null);
  // A member header with a timestamp but no signature: refused (it used to pass from a member IP).
  const r = authenticator().verify({ type: 'T', headers: { [HEADER_MEMBER]: A, [HEADER_TS]: String(NOW) }, bodyBytes: body('{}') });
  assert.equal(r.ok ? 'ok' : r.failure, 'missing-headers');
});

test('clusterTargetOf dials main port + 1001', () => {
  assert.equal(clusterTargetOf('10.0.0.1:8848'), '10.0.0.1:9849');
  assert.equal(clusterTargetOf('[::1]:8848'), '[::1]:9849');
  assert.equal(clusterTargetOf('10.0.0.1'), null);
  assert.equal(clusterTargetOf('10.0.0.1:64535'), null); // cluster port would be 65536
  assert.equal(clusterTargetOf('10.0.0.1:64534'), '10.0.0.1:65535');
});

test('reply shaping: response type names and success fields spliced into JSON text', () => {
  assert.equal(responseTypeOf('DistroDataRequest'), 'DistroDataResponse');
  assert.equal(responseTypeOf('Ping'), 'PingResponse');
  assert.deepEqual(JSON.parse(withSuccessFieldsText('{}')!), { resultCode: 200, errorCode: 0, message: null, requestId: null, success: true });
  const own = JSON.parse(withSuccessFieldsText(' {"resultCode":500,"x":1}')!) as Record<string, unknown>;
  assert.equal(own['resultCode'], 500);
  assert.equal(own['x'], 1);
  assert.equal(withSuccessFieldsText('[1]'), null);
  assert.equal(withSuccessFieldsText('x{}'), null);
});

test('gRPC failures map to reasons', () => {
  const err = (code: grpc.status, details: string): grpc.ServiceError => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
  const refused = err(grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.');
  assert.equal(fromGrpcError(refused, false, false, 'p').reason, 'refused-connection');
  assert.equal(fromGrpcError(err(grpc.status.UNAVAILABLE, 'Connection dropped'), false, false, 'p').reason, 'unreachable');
  assert.equal(fromGrpcError(err(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), true, false, 'p').reason, 'timeout');
  assert.equal(fromGrpcError(err(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), false, false, 'p').reason, 'unreachable');
  assert.equal(fromGrpcError(err(grpc.status.CANCELLED, 'Cancelled on client'), false, true, 'p').reason, 'unreachable');
  assert.equal(fromGrpcError(err(grpc.status.RESOURCE_EXHAUSTED, 'too large'), true, false, 'p').reason, 'remote-error');
  assert.equal(fromGrpcError(err(grpc.status.UNIMPLEMENTED, 'no method'), true, false, 'p').reason, 'remote-error');
});

test('member stream open: a hello is good only for the challenge of its own stream, from a member, with the secret', () => {
  const B = '10.0.0.2:8848';
  const ch = { server: B, nonce: 'a'.repeat(64) };
  const isMember = (x: string): boolean => x === A;
  const hello = answerChallenge(K, A, B, ch, 'b'.repeat(64));
  assert.ok(!('error' in hello));
  const ok = verifyHello(K, ch, isMember, hello);
  assert.ok(ok.ok);
  assert.equal(ok.from, A);
  // The server's welcome proves the secret back; a welcome for another stream does not.
  assert.equal(verifyWelcome(K, hello, ch.nonce, ok.welcome), true);
  assert.equal(verifyWelcome(K, hello, 'c'.repeat(64), ok.welcome), false);
  assert.equal(verifyWelcome(K, hello, ch.nonce, { proof: 'ab'.repeat(32) }), false);
  assert.equal(verifyWelcome(K, hello, ch.nonce, {}), false);
  const failure = (h: unknown, c = ch): string => {
    const r = verifyHello(K, c, isMember, h);
    return r.ok ? 'ok' : r.failure;
  };
  // Replay: the same hello against a fresh challenge (another stream) fails.
  assert.equal(failure(hello, { server: B, nonce: 'd'.repeat(64) }), 'bad-signature');
  // Relay to another member: the hello names the server it was made for.
  assert.equal(failure(hello, { server: '10.0.0.3:8848', nonce: ch.nonce }), 'bad-signature');
  // Forged (wrong secret), tampered member, non-member, unsigned, malformed.
  assert.equal(failure(answerChallenge('w'.repeat(32), A, B, ch, 'b'.repeat(64))), 'bad-signature');
  assert.equal(failure({ ...hello, nonce: 'e'.repeat(64) }), 'bad-signature');
  assert.equal(failure(answerChallenge(K, '10.0.0.9:8848', B, ch, 'b'.repeat(64))), 'not-a-member');
  assert.equal(failure({ member: A, server: B, nonce: 'b'.repeat(64) }), 'missing-headers');
  assert.equal(failure(null), 'missing-headers');
  assert.equal(failure({ ...hello, proof: 'zz' }), 'bad-signature');
  // The client refuses a challenge from a peer that is not the member it dialled.
  assert.ok('error' in answerChallenge(K, A, B, { server: '10.0.0.3:8848', nonce: ch.nonce }, 'b'.repeat(64)));
  assert.ok('error' in answerChallenge(K, A, B, { server: B, nonce: 'short' }, 'b'.repeat(64)));
});
