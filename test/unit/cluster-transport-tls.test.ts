/**
 * Optional cluster mTLS (keys nomen.cluster.tls.*): certificates are made with the openssl CLI in a
 * temporary directory; the tests are skipped when openssl is not available.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/observability/logger.js';
import { parseMemberAddress } from '../../src/cluster/member-address.js';
import { ClusterRequestError, ClusterTransport } from '../../src/cluster/transport/cluster-transport.js';
import { readClusterTls, type ClusterTlsMaterial } from '../../src/cluster/transport/tls.js';
import * as grpc from '@grpc/grpc-js';
import { authHeaders } from '../../src/cluster/transport/auth.js';
import { decode, encode } from '../../src/wire/codec.js';
import { nacosMethodDefinitions } from '../../src/wire/proto.js';
import { grpcjsChannelCredentials, startGrpcjsClusterServer } from './helpers/grpcjs-cluster.js';

const T = { timeout: 60_000 };
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A CA and one member certificate (SAN IP:127.0.0.1, server+client use) signed by it. */
function makePki(dir: string, name: string): { cert: string; key: string; ca: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '1', '-subj', `/CN=${name}-ca`]);
  openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`]);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), ca: join(dir, `${name}-ca.pem`) };
}

async function freePort(): Promise<number> {
  for (;;) {
    const p = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    if (p > 1001) return p;
  }
}

async function node(tc: TestContext, members: Set<string>, tls: ClusterTlsMaterial | null): Promise<{ t: ClusterTransport; address: string; port: number }> {
  const port = await freePort();
  const self = parseMemberAddress(`127.0.0.1:${port - 1001}`, 0)!;
  const t = new ClusterTransport({
    self,
    host: '127.0.0.1',
    port,
    secret: 'tls-and-secret-tls-and-secret-tls-and-secret',
    isMember: (a) => members.has(a),
    logger: silentLogger(),
    tls,
    shutdownGraceMs: 200,
  });
  members.add(self.address);
  await t.start();
  tc.after(() => t.stop());
  return { t, address: self.address, port };
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    assert.ok(e instanceof ClusterRequestError, String(e));
    return e.reason;
  }
}

test('readClusterTls: none set → null, partially set → error', () => {
  assert.equal(readClusterTls({ cert: '', key: '', ca: '' }), null);
  assert.throws(() => readClusterTls({ cert: '/x.pem', key: '', ca: '' }), /all of/);
});

test('mTLS: members with certificates of the cluster CA talk; plaintext and foreign-CA callers cannot', { ...T, skip: !hasOpenssl && 'openssl not available' }, async (tc) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomen-cluster-tls-'));
  tc.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = readClusterTls(makePki(dir, 'member'));
  const rogue = readClusterTls(makePki(dir, 'rogue'));
  const members = new Set<string>();
  const a = await node(tc, members, good);
  const b = await node(tc, members, good);
  b.t.handle('EchoRequest', (_body, from) => ({ from }));
  assert.equal((await a.t.request(b.address, 'EchoRequest', {}, 10_000))['from'], a.address);
  assert.equal(a.t.isConnected(b.address), true);

  const plain = await node(tc, members, null);
  assert.equal(await reasonOf(plain.t.request(b.address, 'EchoRequest', {}, 5000)), 'unreachable');
  const foreign = await node(tc, members, rogue);
  assert.equal(await reasonOf(foreign.t.request(b.address, 'EchoRequest', {}, 5000)), 'unreachable');
  assert.equal(b.t.stats().requestsReceived, 1);
});

test('mTLS across builds: a grpc-js member calls the node:http2 server and the node:http2 client calls a grpc-js server', { ...T, skip: !hasOpenssl && 'openssl not available' }, async (tc) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomen-cluster-tls-'));
  tc.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = readClusterTls(makePki(dir, 'member'));
  const members = new Set<string>();
  const a = await node(tc, members, good);
  a.t.handle('EchoRequest', (_body, from) => ({ from }));
  // The old member's server (grpc-js, same certificates).
  const oldPort = await freePort();
  const old = `127.0.0.1:${oldPort - 1001}`;
  members.add(old);
  const srv = await startGrpcjsClusterServer({ self: old, secret: 'tls-and-secret-tls-and-secret-tls-and-secret', isMember: (x) => members.has(x), tls: good });
  tc.after(() => srv.stop());
  assert.deepEqual((await a.t.request(old, 'EchoRequest', { n: 1 }, 10_000))['echo'], { n: 1 });
  assert.deepEqual((await a.t.streamRequest(old, 'EchoRequest', { n: 2 }, 10_000))['echo'], { n: 2 });
  // The old member's client (grpc-js channel credentials) calling our server.
  const client = new grpc.Client(`127.0.0.1:${a.port}`, grpcjsChannelCredentials(good));
  tc.after(() => client.close());
  const m = nacosMethodDefinitions().request;
  const payload = encode('EchoRequest', {}, { clientIp: '127.0.0.1' });
  payload.metadata.headers = authHeaders('tls-and-secret-tls-and-secret-tls-and-secret', old, Date.now(), 'EchoRequest', payload.body.value);
  const reply = await new Promise<unknown>((resolve, reject) =>
    client.makeUnaryRequest('/Request/request', (v) => m.requestSerialize(v), (b) => m.responseDeserialize(b), payload, { deadline: Date.now() + 10_000 }, (err, v) => (err ? reject(err) : resolve(v))),
  );
  const d = decode(reply);
  assert.ok(d.ok && d.body['from'] === old, JSON.stringify(d));
});
