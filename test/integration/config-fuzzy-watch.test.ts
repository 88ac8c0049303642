/**
 * Config fuzzy watch (docs/fuzzy-watch.md "Config") with a Java-3.x-shaped client over raw gRPC: its
 * ConnectionSetupRequest (abilityTable), its ConfigFuzzyWatchRequest JSON and its acks
 * (ConfigFuzzyWatchSyncResponse, ConfigFuzzyWatchChangeNotifyResponse), as the Java SDK 3.0.3 builds
 * them. Standalone: the SetupAck ability, initial sync + FINISH, add and delete notifications within
 * one push delay, a DIFF re-watch, cancel, the caps' error codes. A 3-member cluster: a watcher on A
 * hears of a config published on B and removed on C.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.js';
import { RawGrpcClient, type RawMessage } from './helpers/raw-grpc.js';
import { TestServer, waitFor } from './helpers/server.js';

const PUSH_DELAY_MS = 50;
/** One push delay, plus room for a busy CI machine (the figure is printed). */
const WITHIN_MS = PUSH_DELAY_MS + 1500;

const SYNC = 'ConfigFuzzyWatchSyncRequest';
const CHANGE = 'ConfigFuzzyWatchChangeNotifyRequest';
// How the Java client answers the pushes (ClientFuzzyWatchNotifyRequestHandler).
const JAVA_ACKS = { [SYNC]: 'ConfigFuzzyWatchSyncResponse', [CHANGE]: 'ConfigFuzzyWatchChangeNotifyResponse' };

/** ConfigFuzzyWatchRequest as Java 3.0.3 serialises it (NON_NULL, `initializing`, `module`). */
function watchRequest(pattern: string, opts: { initializing?: boolean; received?: string[]; watchType?: string } = {}): object {
  return {
    headers: {},
    groupKeyPattern: pattern,
    receivedGroupKeys: opts.received ?? [],
    watchType: opts.watchType ?? 'WATCH',
    initializing: opts.initializing ?? true,
    module: 'config',
  };
}

const keyBody = (dataId: string, extra: object = {}) => ({ headers: {}, requestId: '1', tenant: '', dataId, group: 'DEFAULT_GROUP', ...extra });
const publish = (c: RawGrpcClient, dataId: string, content = 'v'): Promise<RawMessage> =>
  c.request('ConfigPublishRequest', keyBody(dataId, { content, casMd5: null, additionMap: { encryptedDataKey: '' } }), 10_000);
const remove = (c: RawGrpcClient, dataId: string): Promise<RawMessage> => c.request('ConfigRemoveRequest', keyBody(dataId, { tag: null }), 10_000);

async function javaWatcher(grpcPort: number): Promise<RawGrpcClient> {
  const c = new RawGrpcClient(grpcPort);
  await c.setupAndWait(10_000, () => c.setupJava(JAVA_ACKS));
  return c;
}

const pushesOf = (c: RawGrpcClient, type: string) => c.streamMessages.filter((m) => m.type === type);
const finished = (c: RawGrpcClient, pattern: string) => () =>
  pushesOf(c, SYNC).some((m) => m.body['syncType'] === 'FINISH_FUZZY_WATCH_INIT_NOTIFY' && m.body['groupKeyPattern'] === pattern) ? true : undefined;

/** Waits for the change push of `groupKey` with `changeType`; returns ms since t0. */
async function changeWithin(c: RawGrpcClient, groupKey: string, changeType: string, t0: number): Promise<number> {
  await waitFor(`${changeType} ${groupKey}`, () => (pushesOf(c, CHANGE).some((m) => m.body['groupKey'] === groupKey && m.body['changeType'] === changeType) ? true : undefined), 10_000, 5);
  return Date.now() - t0;
}

describe('config fuzzy watch, standalone', { timeout: 120_000 }, () => {
  let server: TestServer;
  const clients: RawGrpcClient[] = [];

  before(async () => {
    server = await TestServer.start({
      name: 'config-fuzzy',
      properties: {
        'nomen.config.fuzzy.watch.push-delay-ms': PUSH_DELAY_MS,
        'nacos.config.fuzzy.watch.max.pattern.count': 3,
        'nacos.config.fuzzy.watch.max.pattern.match.config.count': 4,
      },
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.dispose();
  });

  it('SetupAck announces fuzzyWatch; WATCH syncs the matches (INIT) then FINISH; add and delete pushed; DIFF re-watch; cancel', async () => {
    const pub = new RawGrpcClient(server.grpcPort);
    clients.push(pub);
    await pub.setupAndWait();
    for (const d of ['app-a.yaml', 'app-b.yaml', 'other.yaml']) assert.equal((await publish(pub, d)).body['success'], true);

    const w = await javaWatcher(server.grpcPort);
    clients.push(w);
    const ack = pushesOf(w, 'SetupAckRequest')[0];
    assert.equal((ack?.body['abilityTable'] as Record<string, unknown>)['fuzzyWatch'], true);

    const pattern = 'public>>DEFAULT_GROUP>>app-*';
    const r = await w.request('ConfigFuzzyWatchRequest', watchRequest(pattern));
    assert.equal(r.type, 'ConfigFuzzyWatchResponse');
    assert.deepEqual([r.body['resultCode'], r.body['success']], [200, true]);
    await waitFor('FINISH', finished(w, pattern), 10_000, 10);
    const syncs = pushesOf(w, SYNC);
    const init = syncs.filter((m) => m.body['syncType'] === 'FUZZY_WATCH_INIT_NOTIFY');
    assert.equal(init.length, 1);
    assert.deepEqual(init[0]!.body['contexts'], [
      { groupKey: 'app-a.yaml+DEFAULT_GROUP+public', changedType: 'ADD_CONFIG' },
      { groupKey: 'app-b.yaml+DEFAULT_GROUP+public', changedType: 'ADD_CONFIG' },
    ]);
    assert.deepEqual([init[0]!.body['groupKeyPattern'], init[0]!.body['totalBatch'], init[0]!.body['currentBatch'], init[0]!.body['module']], [pattern, 1, 1, 'config']);
    assert.equal(typeof init[0]!.body['requestId'], 'string');
    const finish = syncs.find((m) => m.body['syncType'] === 'FINISH_FUZZY_WATCH_INIT_NOTIFY')!;
    assert.equal(finish.body['contexts'], undefined, 'FINISH carries no contexts (Java: null, omitted)');
    assert.deepEqual([finish.body['totalBatch'], finish.body['currentBatch']], [0, 0]);
    assert.ok(syncs.indexOf(finish) > syncs.indexOf(init[0]!), 'FINISH after the INIT batch');

    // A new matching config → CONFIG_CHANGED; its removal → DELETE_CONFIG; an edit → nothing.
    let t0 = Date.now();
    await publish(pub, 'app-c.yaml');
    const addMs = await changeWithin(w, 'app-c.yaml+DEFAULT_GROUP+public', 'CONFIG_CHANGED', t0);
    await publish(pub, 'app-c.yaml', 'edited');
    t0 = Date.now();
    await remove(pub, 'app-c.yaml');
    const delMs = await changeWithin(w, 'app-c.yaml+DEFAULT_GROUP+public', 'DELETE_CONFIG', t0);
    console.log(`# config fuzzy watch standalone: add after ${addMs} ms, delete after ${delMs} ms (push delay ${PUSH_DELAY_MS} ms)`);
    assert.ok(addMs <= WITHIN_MS && delMs <= WITHIN_MS, `within ${WITHIN_MS} ms`);
    const changes = pushesOf(w, CHANGE);
    assert.equal(changes.length, 2, 'the edit of a known config pushed nothing');
    assert.deepEqual(Object.keys(changes[0]!.body).sort(), ['changeType', 'groupKey', 'headers', 'module', 'requestId']);
    assert.equal(changes.some((m) => String(m.body['groupKey']).startsWith('other')), false);

    // A periodic re-WATCH (initializing false) with a stale set gets a DIFF sync and no FINISH.
    const before = pushesOf(w, SYNC).length;
    const held = ['app-a.yaml+DEFAULT_GROUP+public', 'app-gone.yaml+DEFAULT_GROUP+public'];
    assert.equal((await w.request('ConfigFuzzyWatchRequest', watchRequest(pattern, { initializing: false, received: held }))).body['success'], true);
    await waitFor('DIFF sync', () => (pushesOf(w, SYNC).length > before ? true : undefined), 10_000, 10);
    const diff = pushesOf(w, SYNC).slice(before);
    assert.equal(diff[0]!.body['syncType'], 'FUZZY_WATCH_DIFF_SYNC_NOTIFY');
    assert.deepEqual(diff[0]!.body['contexts'], [
      { groupKey: 'app-b.yaml+DEFAULT_GROUP+public', changedType: 'ADD_CONFIG' },
      { groupKey: 'app-gone.yaml+DEFAULT_GROUP+public', changedType: 'DELETE_CONFIG' },
    ]);

    // CANCEL_WATCH: no more pushes for the pattern.
    assert.equal((await w.request('ConfigFuzzyWatchRequest', watchRequest(pattern, { watchType: 'CANCEL_WATCH' }))).body['success'], true);
    const n = pushesOf(w, CHANGE).length;
    await publish(pub, 'app-d.yaml');
    await new Promise((res) => setTimeout(res, PUSH_DELAY_MS + 500));
    assert.equal(pushesOf(w, CHANGE).length, n, 'a cancelled watch hears nothing');
  });

  it('caps: a 4th distinct pattern answers 50310; a pattern at the match cap answers 50311 and is still synced; bad input a typed 400', async () => {
    const pub = new RawGrpcClient(server.grpcPort);
    clients.push(pub);
    await pub.setupAndWait();
    for (let i = 0; i < 5; i++) await publish(pub, `cap.${i}`);
    const w = await javaWatcher(server.grpcPort);
    clients.push(w);
    assert.equal((await w.request('ConfigFuzzyWatchRequest', watchRequest('public>>DEFAULT_GROUP>>x.*'))).body['success'], true);
    assert.equal((await w.request('ConfigFuzzyWatchRequest', watchRequest('public>>*>>y.*'))).body['success'], true);
    const full = await w.request('ConfigFuzzyWatchRequest', watchRequest('public>>DEFAULT_GROUP>>cap.*'));
    assert.equal(full.type, 'ConfigFuzzyWatchResponse');
    assert.deepEqual([full.body['resultCode'], full.body['errorCode'], full.body['message'], full.body['success']], [500, 50311, 'fuzzy watch pattern matched count over limit', false]);
    await waitFor('the capped pattern is still synced', finished(w, 'public>>DEFAULT_GROUP>>cap.*'), 10_000, 10);
    const init = pushesOf(w, SYNC).find((m) => m.body['groupKeyPattern'] === 'public>>DEFAULT_GROUP>>cap.*' && m.body['syncType'] === 'FUZZY_WATCH_INIT_NOTIFY')!;
    assert.equal((init.body['contexts'] as unknown[]).length, 4);
    const over = await w.request('ConfigFuzzyWatchRequest', watchRequest('public>>*>>z.*'));
    assert.deepEqual([over.body['resultCode'], over.body['errorCode'], over.body['message']], [500, 50310, 'fuzzy watch pattern over limit']);
    const bad = await w.request('ConfigFuzzyWatchRequest', watchRequest('public>>*>>z.*', { watchType: 'LISTEN' }));
    assert.equal(bad.type, 'ConfigFuzzyWatchResponse');
    assert.deepEqual([bad.body['errorCode'], bad.body['message']], [400, 'Unsupported request type LISTEN']);
    assert.equal((await w.request('ConfigFuzzyWatchRequest', watchRequest('public>>nogroup'))).body['errorCode'], 400);
    const badNs = await w.request('ConfigFuzzyWatchRequest', watchRequest('bad ns!>>*>>*'));
    assert.equal(badNs.body['errorCode'], 400);
    assert.match(String(badNs.body['message']), /^Param check invalid:/);

    // Closing the connection ends its watches: its patterns free their slots.
    w.close();
    await waitFor(
      'slots freed by the disconnect',
      async () => ((await pub.request('ConfigFuzzyWatchRequest', watchRequest('public>>*>>z.*'))).body['success'] === true ? true : undefined),
      10_000,
      100,
    );
  });
});

describe('config fuzzy watch, 3-member cluster: configs published on any member', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  const clients: RawGrpcClient[] = [];

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'config-fuzzy-cluster', readyTimeoutMs: 60_000, properties: { 'nomen.config.fuzzy.watch.push-delay-ms': PUSH_DELAY_MS } });
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.dispose();
  });

  it('a watcher on A hears a config published on B and removed on C', async () => {
    const [A, B, C] = [cluster.member('A'), cluster.member('B'), cluster.member('C')];
    const w = await javaWatcher(A.grpcPort);
    clients.push(w);
    const pattern = 'public>>DEFAULT_GROUP>>remote-*';
    assert.equal((await w.request('ConfigFuzzyWatchRequest', watchRequest(pattern))).body['success'], true);
    await waitFor('FINISH', finished(w, pattern), 10_000, 10);

    const onB = new RawGrpcClient(B.grpcPort);
    const onC = new RawGrpcClient(C.grpcPort);
    clients.push(onB, onC);
    await onB.setupAndWait(10_000);
    await onC.setupAndWait(10_000);
    let t0 = Date.now();
    assert.equal((await publish(onB, 'remote-1.yaml')).body['success'], true);
    const addMs = await changeWithin(w, 'remote-1.yaml+DEFAULT_GROUP+public', 'CONFIG_CHANGED', t0);
    t0 = Date.now();
    assert.equal((await remove(onC, 'remote-1.yaml')).body['success'], true);
    const delMs = await changeWithin(w, 'remote-1.yaml+DEFAULT_GROUP+public', 'DELETE_CONFIG', t0);
    console.log(`# config fuzzy watch cluster: publish on B heard on A after ${addMs} ms, remove on C after ${delMs} ms (push delay ${PUSH_DELAY_MS} ms)`);
    assert.ok(addMs <= WITHIN_MS + 1000 && delMs <= WITHIN_MS + 1000, 'within one push delay plus replication');
  });
});
