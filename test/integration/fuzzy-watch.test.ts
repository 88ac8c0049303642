/**
 * Naming fuzzy watch (docs/fuzzy-watch.md) with a Java-3.x-shaped client over raw gRPC: its
 * ConnectionSetupRequest (abilityTable), its NamingFuzzyWatchRequest JSON and its acks, as the Java
 * SDK 3.0.3 builds them. Standalone: the SetupAck ability, initial sync + FINISH, add and delete
 * notifications within one push delay, the caps' error codes, state cleared on disconnect. A
 * 3-member cluster: a watcher on A hears of services created on B (Distro) and C (Raft).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.js';
import { RawGrpcClient, type RawMessage } from './helpers/raw-grpc.js';
import { TestServer, waitFor } from './helpers/server.js';

const PUSH_DELAY_MS = 100;
/** One push delay, plus room for a busy CI machine (the figure is printed). */
const WITHIN_MS = PUSH_DELAY_MS + 1500;

// How the Java client answers both fuzzy-watch pushes (docs/fuzzy-watch.md "Client side").
const JAVA_ACKS = {
  NamingFuzzyWatchSyncRequest: 'NamingFuzzyWatchChangeNotifyResponse',
  NamingFuzzyWatchChangeNotifyRequest: 'NamingFuzzyWatchChangeNotifyResponse',
};

/** NamingFuzzyWatchRequest exactly as Java 3.0.3 serialises it (NON_NULL, `initializing`, `module`). */
function watchRequest(pattern: string, opts: { initializing?: boolean; received?: string[]; watchType?: string } = {}): object {
  return {
    headers: {},
    initializing: opts.initializing ?? true,
    namespace: 'public',
    groupKeyPattern: pattern,
    receivedGroupKeys: opts.received ?? [],
    watchType: opts.watchType ?? 'WATCH',
    module: 'naming',
  };
}

function register(c: RawGrpcClient, svc: string, ip: string, type = 'registerInstance'): Promise<RawMessage> {
  return c.request('InstanceRequest', { headers: {}, namespace: 'public', serviceName: svc, groupName: 'DEFAULT_GROUP', type, instance: { ip, port: 8080, ephemeral: true } });
}

async function javaWatcher(grpcPort: number): Promise<RawGrpcClient> {
  const c = new RawGrpcClient(grpcPort);
  await c.setupAndWait(10_000, () => c.setupJava(JAVA_ACKS));
  return c;
}

const pushesOf = (c: RawGrpcClient, type: string) => c.streamMessages.filter((m) => m.type === type);

/** Waits for the first change push of `serviceKey` with `changedType` after index `from`; returns ms waited. */
async function changeWithin(c: RawGrpcClient, serviceKey: string, changedType: string, t0: number): Promise<number> {
  await waitFor(
    `${changedType} ${serviceKey}`,
    () => (pushesOf(c, 'NamingFuzzyWatchChangeNotifyRequest').some((m) => m.body['serviceKey'] === serviceKey && m.body['changedType'] === changedType) ? true : undefined),
    10_000,
    10,
  );
  return Date.now() - t0;
}

describe('fuzzy watch, standalone', { timeout: 90_000 }, () => {
  let server: TestServer;
  const clients: RawGrpcClient[] = [];

  before(async () => {
    server = await TestServer.start({
      name: 'fuzzy-watch',
      properties: {
        'nacos.naming.push.pushTaskDelay': PUSH_DELAY_MS,
        'nacos.naming.fuzzy.watch.max.pattern.count': 3,
        'nacos.naming.fuzzy.watch.max.pattern.match.service.count': 4,
      },
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.dispose();
  });

  it('SetupAck announces fuzzyWatch; WATCH answers, syncs the matches (INIT) and sends FINISH', async () => {
    const pub = new RawGrpcClient(server.grpcPort);
    clients.push(pub);
    await pub.setupAndWait();
    for (const s of ['nacos.test.1', 'nacos.test.2', 'other']) assert.equal((await register(pub, s, '127.0.70.1')).body['success'], true);

    const w = await javaWatcher(server.grpcPort);
    clients.push(w);
    const ack = pushesOf(w, 'SetupAckRequest')[0];
    assert.ok(ack, 'SetupAckRequest sent');
    assert.equal((ack.body['abilityTable'] as Record<string, unknown>)['fuzzyWatch'], true);

    const pattern = 'public>>DEFAULT_GROUP>>nacos.test.*';
    const r = await w.request('NamingFuzzyWatchRequest', watchRequest(pattern));
    assert.equal(r.type, 'NamingFuzzyWatchResponse');
    assert.equal(r.body['resultCode'], 200);
    assert.equal(r.body['success'], true);

    await waitFor('FINISH', () => (pushesOf(w, 'NamingFuzzyWatchSyncRequest').some((m) => m.body['syncType'] === 'FINISH_FUZZY_WATCH_INIT_NOTIFY') ? true : undefined), 10_000, 20);
    const syncs = pushesOf(w, 'NamingFuzzyWatchSyncRequest');
    const init = syncs.filter((m) => m.body['syncType'] === 'FUZZY_WATCH_INIT_NOTIFY');
    assert.equal(init.length, 1);
    assert.deepEqual(init[0]!.body['contexts'], [
      { serviceKey: 'public@@DEFAULT_GROUP@@nacos.test.1', changedType: 'ADD_SERVICE' },
      { serviceKey: 'public@@DEFAULT_GROUP@@nacos.test.2', changedType: 'ADD_SERVICE' },
    ]);
    assert.equal(init[0]!.body['groupKeyPattern'], pattern);
    assert.equal(init[0]!.body['totalBatch'], 1);
    assert.equal(init[0]!.body['currentBatch'], 1);
    assert.equal(init[0]!.body['module'], 'naming');
    assert.equal(typeof init[0]!.body['requestId'], 'string');
    assert.deepEqual(init[0]!.body['headers'], {});
    const finish = syncs.find((m) => m.body['syncType'] === 'FINISH_FUZZY_WATCH_INIT_NOTIFY')!;
    assert.deepEqual(finish.body['contexts'], []);
    assert.ok(syncs.indexOf(finish) > syncs.indexOf(init[0]!), 'FINISH after the INIT batch');

    // A service's first publisher → ADD_SERVICE; its last one leaves → DELETE_SERVICE.
    let t0 = Date.now();
    await register(pub, 'nacos.test.3', '127.0.70.1');
    const addMs = await changeWithin(w, 'public@@DEFAULT_GROUP@@nacos.test.3', 'ADD_SERVICE', t0);
    t0 = Date.now();
    await register(pub, 'nacos.test.3', '127.0.70.1', 'deregisterInstance');
    const delMs = await changeWithin(w, 'public@@DEFAULT_GROUP@@nacos.test.3', 'DELETE_SERVICE', t0);
    console.log(`# fuzzy watch standalone: ADD after ${addMs} ms, DELETE after ${delMs} ms (push delay ${PUSH_DELAY_MS} ms)`);
    assert.ok(addMs <= WITHIN_MS && delMs <= WITHIN_MS, `within ${WITHIN_MS} ms`);
    const change = pushesOf(w, 'NamingFuzzyWatchChangeNotifyRequest')[0]!;
    assert.deepEqual(Object.keys(change.body).sort(), ['changedType', 'headers', 'module', 'requestId', 'serviceKey', 'syncType']);
    assert.equal(change.body['syncType'], 'FUZZY_WATCH_RESOURCE_CHANGED');
    assert.equal(pushesOf(w, 'NamingFuzzyWatchChangeNotifyRequest').some((m) => m.body['serviceKey'] === 'public@@DEFAULT_GROUP@@other'), false);

    // A periodic re-WATCH (initializing false) holding exactly the match set gets no sync.
    const before = pushesOf(w, 'NamingFuzzyWatchSyncRequest').length;
    const held = ['public@@DEFAULT_GROUP@@nacos.test.1', 'public@@DEFAULT_GROUP@@nacos.test.2', 'public@@DEFAULT_GROUP@@nacos.test.3'];
    assert.equal((await w.request('NamingFuzzyWatchRequest', watchRequest(pattern, { initializing: false, received: held }))).body['success'], true);
    await waitFor('DIFF sync', () => (pushesOf(w, 'NamingFuzzyWatchSyncRequest').length > before ? true : undefined), 10_000, 20);
    const diff = pushesOf(w, 'NamingFuzzyWatchSyncRequest').slice(before);
    assert.equal(diff[0]!.body['syncType'], 'FUZZY_WATCH_DIFF_SYNC_NOTIFY');
    assert.deepEqual(diff[0]!.body['contexts'], [{ serviceKey: 'public@@DEFAULT_GROUP@@nacos.test.3', changedType: 'DELETE_SERVICE' }]);
  });

  it('caps: a 4th distinct pattern answers 50310; a pattern at the match cap answers 50311; bad watchType a typed 400', async () => {
    const pub = new RawGrpcClient(server.grpcPort);
    clients.push(pub);
    await pub.setupAndWait();
    for (let i = 0; i < 5; i++) await register(pub, `cap.${i}`, '127.0.70.2');
    const w = await javaWatcher(server.grpcPort);
    clients.push(w);
    // The first test's watcher holds one pattern; two more fit.
    assert.equal((await w.request('NamingFuzzyWatchRequest', watchRequest('public>>DEFAULT_GROUP>>x.*'))).body['success'], true);
    const full = await w.request('NamingFuzzyWatchRequest', watchRequest('public>>DEFAULT_GROUP>>cap.*'));
    assert.equal(full.type, 'NamingFuzzyWatchResponse');
    assert.deepEqual([full.body['resultCode'], full.body['errorCode'], full.body['message'], full.body['success']], [500, 50311, 'fuzzy watch pattern matched count over limit', false]);
    await waitFor('the capped pattern is still synced', () => (pushesOf(w, 'NamingFuzzyWatchSyncRequest').some((m) => m.body['groupKeyPattern'] === 'public>>DEFAULT_GROUP>>cap.*') ? true : undefined), 10_000, 20);
    const over = await w.request('NamingFuzzyWatchRequest', watchRequest('public>>*>>y.*'));
    assert.deepEqual([over.body['resultCode'], over.body['errorCode'], over.body['message']], [500, 50310, 'fuzzy watch pattern over limit']);
    const bad = await w.request('NamingFuzzyWatchRequest', watchRequest('public>>*>>y.*', { watchType: 'LISTEN' }));
    assert.equal(bad.type, 'NamingFuzzyWatchResponse');
    assert.deepEqual([bad.body['errorCode'], bad.body['message']], [400, 'Unsupported request type LISTEN']);
    const malformed = await w.request('NamingFuzzyWatchRequest', watchRequest('public>>nogroup'));
    assert.equal(malformed.body['errorCode'], 400);

    // Closing the connection ends its watches: its two patterns free their slots.
    w.close();
    await waitFor(
      'slots freed by the disconnect',
      async () => {
        const again = await pub.request('NamingFuzzyWatchRequest', watchRequest('public>>*>>y.*'));
        return again.body['success'] === true ? true : undefined;
      },
      10_000,
      100,
    );
  });
});

describe('fuzzy watch, 3-member cluster: services created on any member', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  const clients: RawGrpcClient[] = [];

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'fuzzy-cluster', properties: { 'nacos.naming.push.pushTaskDelay': PUSH_DELAY_MS } });
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.dispose();
  });

  it('a watcher on A hears ADD and DELETE of an ephemeral service registered on B, and ADD of a persistent one written on C', async () => {
    const [A, B, C] = [cluster.member('A'), cluster.member('B'), cluster.member('C')];
    const w = await javaWatcher(A.grpcPort);
    clients.push(w);
    assert.equal((await w.request('NamingFuzzyWatchRequest', watchRequest('public>>DEFAULT_GROUP>>remote.*'))).body['success'], true);
    await waitFor('FINISH', () => (pushesOf(w, 'NamingFuzzyWatchSyncRequest').some((m) => m.body['syncType'] === 'FINISH_FUZZY_WATCH_INIT_NOTIFY') ? true : undefined), 10_000, 20);

    const pub = new RawGrpcClient(B.grpcPort);
    clients.push(pub);
    await pub.setupAndWait();
    let t0 = Date.now();
    assert.equal((await register(pub, 'remote.eph', '127.0.70.3')).body['success'], true);
    const addMs = await changeWithin(w, 'public@@DEFAULT_GROUP@@remote.eph', 'ADD_SERVICE', t0);
    t0 = Date.now();
    await register(pub, 'remote.eph', '127.0.70.3', 'deregisterInstance');
    const delMs = await changeWithin(w, 'public@@DEFAULT_GROUP@@remote.eph', 'DELETE_SERVICE', t0);

    t0 = Date.now();
    const r = await C.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'remote.cp', ip: '127.0.70.4', port: 9000, ephemeral: false } });
    assert.equal(r.status, 200, r.text);
    const cpMs = await changeWithin(w, 'public@@DEFAULT_GROUP@@remote.cp', 'ADD_SERVICE', t0);
    console.log(`# fuzzy watch cluster: ADD from B after ${addMs} ms, DELETE after ${delMs} ms, persistent ADD from C after ${cpMs} ms (push delay ${PUSH_DELAY_MS} ms)`);
    assert.ok(addMs <= WITHIN_MS + 1000 && delMs <= WITHIN_MS + 1000 && cpMs <= WITHIN_MS + 1000, 'within one push delay plus replication');
  });
});
