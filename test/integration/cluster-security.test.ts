/**
 * The cluster port fails closed (docs/security.md §2), on real member processes:
 *  - a cluster member without `nomen.cluster.secret` (or with a short one) exits non-zero before
 *    listening, with a message naming the key and a command that generates one;
 *  - with a secret, requests that carry a member's header but no valid signature are refused
 *    (403) and change nothing: a Raft append pushing the term to 1,000,000, a forged Raft proposal
 *    creating a ROLE_ADMIN user, a Distro snapshot read, a Distro sync injecting an instance. The
 *    same snapshot read and sync signed with the cluster's secret are served, so the refusals are
 *    the authentication and nothing else;
 *  - the cluster port listens on the advertised address only: a member advertising 127.0.0.2 is
 *    not reachable on 127.0.0.1:port+1001.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HEADER_MEMBER, HEADER_SIG, HEADER_TS, signature } from '../../src/cluster/transport/auth.js';
import { memberStreamMethod } from '../unit/helpers/grpcjs-cluster.js';
import { answerChallenge } from '../../src/cluster/transport/stream-auth.js';
import { decodeFrame, encodeHandshake, encodeMessage, FRAME } from '../../src/cluster/transport/stream-frame.js';
import { allocatePorts, ClusterMember, responsibleFor, TestCluster, type ClusterMember as Member } from './helpers/cluster.js';
import { payload, RawGrpcClient, type RawMessage } from './helpers/raw-grpc.js';
import { addrs, artifactPath, jsonOf, runStartToExit, waitFor } from './helpers/server.js';

const SVC = 'it-clsec';

interface RaftState {
  term: number;
  lastIndex: number;
  commitIndex: number;
}

/** Whether a TCP connection to host:port is accepted (false: refused or no answer within 2 s). */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(2000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

describe('cluster port security', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let A: Member;
  let B: Member;
  let raw: RawGrpcClient;

  before(async () => {
    cluster = await TestCluster.start(2, { name: 'clsec', properties: { 'nacos.naming.health.enabled': false } });
    A = cluster.member('A');
    B = cluster.member('B');
    raw = new RawGrpcClient(A.port + 1001);
  });

  after(async () => {
    raw?.close();
    await cluster?.dispose();
  });

  /** A request to A's cluster port claiming to come from B, with `headers` as given. */
  function send(type: string, body: object, headers: (json: string) => Record<string, string>): Promise<RawMessage> {
    const p = payload(type, body);
    p.metadata!.headers = headers(JSON.stringify(body));
    return raw.requestPayload(p);
  }

  const ts = (): string => String(Date.now());
  const unsigned = () => ({ [HEADER_MEMBER]: B.address, [HEADER_TS]: ts() });
  const signedWith =
    (secret: string, type: string) =>
    (json: string): Record<string, string> => {
      const t = ts();
      return { [HEADER_MEMBER]: B.address, [HEADER_TS]: t, [HEADER_SIG]: signature(secret, type, B.address, t, json) };
    };
  const FORGED = 'not-the-cluster-secret-but-long-enough-0123456789';

  function assertRefused(r: RawMessage, what: string): void {
    assert.equal(r.type, 'ErrorResponse', `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body['errorCode'], 403, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(String(r.body['message']), /cluster authentication failed/, what);
  }

  async function raftState(m: Member): Promise<RaftState> {
    return jsonOf<RaftState>(await m.get('/nacos/v1/ns/operator/raft/state'));
  }

  it('a cluster member without a secret, or with a short one, refuses to start and says how to make one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nomen-it-clsec-nosecret-'));
    try {
      const [port] = await allocatePorts(1, cluster.members.map((m) => m.port));
      const args = ['--port', String(port), '--host', '127.0.0.1', '--data-dir', dir, '--members', `127.0.0.1:${port!}`];
      for (const extra of [[], ['--property', 'nomen.cluster.secret=too-short']]) {
        const r = await runStartToExit([...args, ...extra], 60_000, { NOMEN_CLUSTER_SECRET: undefined });
        assert.equal(r.exited, true, `still running without a usable secret: ${r.stdout.slice(-1000)}`);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /nomen\.cluster\.secret/);
        assert.match(r.stderr, /openssl rand -base64 32/);
        assert.match(r.stderr, /head -c 32 \/dev\/urandom \| base64/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Raft: an unsigned or forged append (term 1,000,000) and proposal (a ROLE_ADMIN user) are refused and change nothing', async () => {
    const before = await raftState(A);
    assert.ok(before.term > 0 && before.term < 1000);
    const append = {
      messages: [{ type: 'app', from: B.address, to: A.address, term: 1_000_000, index: before.lastIndex, logTerm: before.term, entries: [], commit: before.commitIndex }],
    };
    const command = JSON.stringify({
      id: 'forged-admin',
      batch: [
        { table: 'user', key: 'intruder', value: { password: '$2b$10$abcdefghijklmnopqrstuuJ8K8Vq9Q8oJ0Vh1lq1p5s5pI1O4m3e' } },
        { table: 'role', key: JSON.stringify(['ROLE_ADMIN', 'intruder']), value: {} },
      ],
    });
    for (const [type, body] of [
      ['RaftMessageRequest', append],
      ['RaftProposeRequest', { command }],
    ] as const) {
      assertRefused(await send(type, body, unsigned), `${type} unsigned`);
      assertRefused(await send(type, body, signedWith(FORGED, type)), `${type} forged signature`);
      assertRefused(await send(type, body, () => ({})), `${type} no headers`);
    }
    const after = await raftState(A);
    assert.equal(after.term, before.term, 'the term did not move');
    assert.equal(after.lastIndex, before.lastIndex, 'nothing was appended to the Raft log');
    assert.equal((await raftState(B)).term, before.term);
  });

  /** Opens a member stream to A, answers its challenge with `hello`, then sends `frame`; resolves with the final status and what A sent. */
  async function streamOpen(hello: (challenge: unknown) => Buffer | null, frame: Buffer): Promise<{ code: grpc.status; welcomed: boolean; challenge: unknown }> {
    const client = new grpc.Client(`127.0.0.1:${A.port + 1001}`, grpc.credentials.createInsecure());
    const m = memberStreamMethod;
    const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new grpc.Metadata(), {});
    let challenge: unknown = null;
    let welcomed = false;
    call.on('data', (b: Buffer) => {
      const f = decodeFrame(b);
      if ('error' in f) return;
      if (f.kind === FRAME.CHALLENGE) {
        challenge = f.json;
        const h = hello(f.json);
        if (h) call.write(h);
        call.write(frame);
        if (!h) return;
      }
      if (f.kind === FRAME.WELCOME) {
        welcomed = true;
        call.end();
      }
    });
    call.on('error', () => {});
    const status = await new Promise<grpc.StatusObject>((r) => call.on('status', r));
    client.close();
    return { code: status.code, welcomed, challenge };
  }

  it('Raft over the member stream: a forged, unsigned or replayed stream-open carrying an append (term 1,000,000) is refused and changes nothing', async () => {
    const before = await raftState(A);
    const append = encodeMessage(FRAME.SEND, 0, 'RaftMessageRequest', JSON.stringify({
      messages: [{ type: 'app', from: B.address, to: A.address, term: 1_000_000, index: before.lastIndex, logTerm: before.term, entries: [], commit: before.commitIndex }],
    }));
    const helloWith = (secret: string) => (ch: unknown): Buffer => encodeHandshake(FRAME.HELLO, answerChallenge(secret, B.address, A.address, ch, 'c'.repeat(64)) as object);
    // Unsigned (the append first, no hello), forged (a hello made with another secret).
    for (const [what, hello] of [['unsigned', () => null], ['forged', helloWith(FORGED)]] as const) {
      const r = await streamOpen(hello, append);
      assert.equal(r.code, grpc.status.UNAUTHENTICATED, what);
      assert.equal(r.welcomed, false, what);
    }
    // A genuine open (the cluster's secret) is welcomed; its hello replayed on a new stream is refused.
    let recorded: Buffer | null = null;
    const genuine = await streamOpen((ch) => (recorded = helloWith(cluster.secret)(ch)), encodeMessage(FRAME.SEND, 0, 'NoSuchRequest', '{}'));
    assert.equal(genuine.welcomed, true, 'the same open signed with the cluster secret is accepted');
    const replayed = await streamOpen(() => recorded, append);
    assert.equal(replayed.code, grpc.status.UNAUTHENTICATED, 'replayed stream-open');
    assert.equal(replayed.welcomed, false);
    const after = await raftState(A);
    assert.equal(after.term, before.term, 'the term did not move');
    assert.equal(after.lastIndex, before.lastIndex, 'nothing was appended to the Raft log');
  });

  it('Distro: an unsigned or forged snapshot read and sync are refused; signed with the secret they are served', async () => {
    // An instance on B (an ip:port B is responsible for), replicated to A.
    const healthy = [A.address, B.address];
    let port = 9000;
    while (responsibleFor(`127.0.40.1:${port}`, healthy) !== B.address) port++;
    const reg = await B.request('POST', '/nacos/v1/ns/instance', { form: { serviceName: SVC, ip: '127.0.40.1', port, ephemeral: true } });
    assert.equal(reg.status, 200, reg.text);
    await waitFor('A holds the replica', async () => ((await A.listInstances(SVC)).hosts.length === 1 ? true : undefined), 10_000, 50);

    const snapshot = { type: 'snapshot', from: B.address, cursor: null, maxBytes: 1_048_576 };
    assertRefused(await send('DistroDataRequest', snapshot, unsigned), 'snapshot unsigned');
    assertRefused(await send('DistroDataRequest', snapshot, signedWith(FORGED, 'DistroDataRequest')), 'snapshot forged');
    const served = await send('DistroDataRequest', snapshot, signedWith(cluster.secret, 'DistroDataRequest'));
    assert.equal(served.body['resultCode'], 200, JSON.stringify(served.body));
    const chunk = served.body['distro'] as { type: string; entries: { op: string; data?: { clientId: string; revision: number; kind: string; publishes: unknown[] } }[] };
    assert.equal(chunk.type, 'snapshot-chunk');
    const mine = chunk.entries.find((e) => e.data?.clientId === `127.0.40.1:${port}#true`);
    assert.ok(mine?.data, `the snapshot holds B's client: ${JSON.stringify(chunk.entries).slice(0, 500)}`);

    // A sync that would inject an instance on A, in B's name, for a tag B is responsible for.
    let evilPort = port + 1;
    while (responsibleFor(`127.0.40.9:${evilPort}`, healthy) !== B.address) evilPort++;
    const publishes = JSON.parse(JSON.stringify(mine.data.publishes).replaceAll('127.0.40.1', '127.0.40.9').replaceAll(`:${port}`, `:${evilPort}`).replaceAll(`"port":${port}`, `"port":${evilPort}`)) as unknown[];
    const sync = {
      type: 'sync',
      from: B.address,
      entries: [{ op: 'change', writer: B.address, data: { ...mine.data, clientId: `127.0.40.9:${evilPort}#true`, publishes } }],
    };
    assertRefused(await send('DistroDataRequest', sync, unsigned), 'sync unsigned');
    assertRefused(await send('DistroDataRequest', sync, signedWith(FORGED, 'DistroDataRequest')), 'sync forged');
    assert.deepEqual(addrs((await A.listInstances(SVC)).hosts), [`127.0.40.1:${port}`], 'nothing injected');
    const applied = await send('DistroDataRequest', sync, signedWith(cluster.secret, 'DistroDataRequest'));
    assert.equal(applied.body['resultCode'], 200, JSON.stringify(applied.body));
    assert.deepEqual(addrs((await A.listInstances(SVC)).hosts).sort(), [`127.0.40.1:${port}`, `127.0.40.9:${evilPort}`].sort(), 'the signed sync is applied');
  });

  it('the cluster port listens on the advertised address only (127.0.0.2), not on 127.0.0.1', async (t) => {
    if (!(await reachable('127.0.0.2', A.port))) {
      // Linux routes all of 127/8 to lo; elsewhere 127.0.0.2 may not exist.
      const probe = connect({ host: '127.0.0.2', port: 1 });
      const usable = await new Promise<boolean>((r) => {
        probe.once('error', (e: NodeJS.ErrnoException) => r(e.code === 'ECONNREFUSED'));
        probe.once('connect', () => r(true));
      });
      probe.destroy();
      if (!usable) {
        t.skip('127.0.0.2 is not a usable loopback address here');
        return;
      }
    }
    const [port] = await allocatePorts(1, cluster.members.map((m) => m.port));
    const dir = await mkdtemp(join(tmpdir(), 'nomen-it-clsec-bind-'));
    const m = new ClusterMember('clsec-bind', port!, dir, artifactPath(`clsec-bind-${Date.now()}-${process.pid}.log`), ['--members', `127.0.0.2:${port!}`], {
      'nomen.cluster.secret': cluster.secret,
      'nacos.inetutils.ip-address': '127.0.0.2',
    });
    try {
      m.spawn();
      await m.waitReady(30_000);
      assert.equal(await reachable('127.0.0.2', port! + 1001), true, 'listening on the advertised address');
      assert.equal(await reachable('127.0.0.1', port! + 1001), false, 'not listening on another local address');
      assert.equal(await reachable('127.0.0.1', port!), true, 'HTTP still on --host');
    } finally {
      await m.dispose();
    }
  });
});
