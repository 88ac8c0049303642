/**
 * Config fuzzy watch (docs/fuzzy-watch.md "Config"): the shared engine with config's dialect, driven
 * by ConfigCenter changes; the ConfigFuzzyWatchRequest handler's checks and its auth resources.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupKey } from '../../src/config-center/config-keys.js';
import { ConfigFuzzyWatch } from '../../src/config-center/fuzzy-watch.js';
import type { ConfigChange, ConfigRecord } from '../../src/config-center/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import type { FuzzyWatchSettings } from '../../src/fuzzy/engine.js';
import { configGrpcResources } from '../../src/transport/grpc/config-scope.js';
import { handleFuzzyWatch } from '../../src/transport/grpc/fuzzy-watch-handler.js';
import { recordingPushSink } from './helpers/fuzzy-push.js';

function fixture(over: Partial<FuzzyWatchSettings> = {}) {
  const clock = new ManualClock();
  /** tenant\0group\0dataId → exists */
  const configs = new Map<string, { tenant: string; group: string; dataId: string }>();
  const { pushed, push, failNext } = recordingPushSink();
  const settings: FuzzyWatchSettings = { maxPatterns: 20, maxMatched: 500, batchSize: 20, delayMs: 0, retryDelayMs: 2000, maxRetries: 3, ...over };
  const center = { list: (t: string) => [...configs.values()].filter((c) => c.tenant === t) as unknown as ConfigRecord[] };
  const fuzzy = new ConfigFuzzyWatch(
    () => settings,
    center,
    push,
    clock,
  );
  const change = (tenant: string, group: string, dataId: string, exists: boolean, grayName?: string) => {
    const id = `${tenant}\u0000${group}\u0000${dataId}`;
    if (grayName === undefined) {
      if (exists) configs.set(id, { tenant, group, dataId });
      else configs.delete(id);
    }
    const c: ConfigChange = { tenant, group, dataId, md5: exists ? 'd41d8cd98f00b204e9800998ecf8427e' : '', ...(grayName !== undefined ? { grayName } : {}) };
    fuzzy.configChanged(c);
  };
  const tick = async (ms: number) => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { fuzzy, pushed, change, tick, failNext };
}

test('group keys are Nacos groupKeys dataId+group+tenant, escaped; the pattern namespace must equal the tenant', async () => {
  const f = fixture();
  f.change('public', 'DEFAULT_GROUP', 'app-a.yaml', true);
  f.change('public', 'DEFAULT_GROUP', 'a+b%', true);
  f.change('dev', 'DEFAULT_GROUP', 'app-b.yaml', true);
  f.fuzzy.watch('c1', 'public>>DEFAULT_GROUP>>*', [], true);
  assert.deepEqual(f.fuzzy.matchedOf('public>>DEFAULT_GROUP>>*'), ['a%2Bb%25+DEFAULT_GROUP+public', 'app-a.yaml+DEFAULT_GROUP+public']);
  assert.equal(groupKey('a+b%', 'DEFAULT_GROUP', 'public'), 'a%2Bb%25+DEFAULT_GROUP+public');
  f.fuzzy.watch('c1', '>>*>>app-*', [], true);
  assert.deepEqual(f.fuzzy.matchedOf('>>*>>app-*'), ['app-a.yaml+DEFAULT_GROUP+public'], 'a blank namespace is public');
});

test('INIT sync: ADD_CONFIG contexts in batches of batchSize, then FINISH (no contexts, batches 0/0) once all were acked', async () => {
  const f = fixture({ batchSize: 2 });
  for (const d of ['app-1', 'app-2', 'app-3', 'other']) f.change('dev', 'G', d, true);
  const pattern = 'dev>>G>>app-*';
  assert.deepEqual(f.fuzzy.watch('c1', pattern, ['app-9+G+dev'], true), { ok: true });
  assert.equal(f.pushed.length, 0, 'the sync runs after the answer');
  await f.tick(0);
  const batches = f.pushed.filter((p) => p.body['syncType'] === 'FUZZY_WATCH_INIT_NOTIFY');
  assert.deepEqual(batches.map((b) => [b.type, b.body['currentBatch'], b.body['totalBatch']]), [
    ['ConfigFuzzyWatchSyncRequest', 1, 2],
    ['ConfigFuzzyWatchSyncRequest', 2, 2],
  ]);
  assert.deepEqual(batches.flatMap((b) => b.body['contexts'] as unknown[]), [
    { groupKey: 'app-1+G+dev', changedType: 'ADD_CONFIG' },
    { groupKey: 'app-2+G+dev', changedType: 'ADD_CONFIG' },
    { groupKey: 'app-3+G+dev', changedType: 'ADD_CONFIG' },
    { groupKey: 'app-9+G+dev', changedType: 'DELETE_CONFIG' },
  ]);
  assert.equal(batches[0]!.body['module'], 'config');
  await f.tick(0);
  assert.deepEqual(f.pushed.at(-1)!.body, { syncType: 'FINISH_FUZZY_WATCH_INIT_NOTIFY', groupKeyPattern: pattern, totalBatch: 0, currentBatch: 0, module: 'config' });
  assert.equal(f.pushed.length, 3);
});

test('DIFF sync: only the difference, no FINISH; nothing when the client holds exactly the match set', async () => {
  const f = fixture();
  f.change('public', 'G', 'a', true);
  f.fuzzy.watch('c1', 'public>>G>>*', ['a+G+public'], false);
  await f.tick(100);
  assert.equal(f.pushed.length, 0);
  f.fuzzy.watch('c1', 'public>>G>>*', [], false);
  await f.tick(100);
  assert.deepEqual(f.pushed.map((p) => [p.body['syncType'], p.body['contexts']]), [['FUZZY_WATCH_DIFF_SYNC_NOTIFY', [{ groupKey: 'a+G+public', changedType: 'ADD_CONFIG' }]]]);
});

test('change pushes: a new config is CONFIG_CHANGED, a removed one DELETE_CONFIG; edits and gray variants push nothing', async () => {
  const f = fixture();
  f.fuzzy.watch('c1', 'public>>G>>app*', [], false);
  f.fuzzy.watch('c1', 'public>>*>>*', [], false);
  f.fuzzy.watch('c2', 'public>>G>>app*', [], false);
  f.fuzzy.watch('c3', 'dev>>*>>*', [], false);
  await f.tick(0);
  f.change('public', 'G', 'app.yaml', true);
  await f.tick(0);
  assert.deepEqual(f.pushed.map((p) => p.conn).sort(), ['c1', 'c2'], 'one push per connection, however many of its patterns match');
  assert.deepEqual(f.pushed[0]!, { conn: f.pushed[0]!.conn, type: 'ConfigFuzzyWatchChangeNotifyRequest', body: { groupKey: 'app.yaml+G+public', changeType: 'CONFIG_CHANGED', module: 'config' } });
  f.pushed.length = 0;
  f.change('public', 'G', 'app.yaml', true);
  f.change('public', 'G', 'app.yaml', true, 'beta');
  f.change('public', 'G', 'app.yaml', false, 'beta');
  await f.tick(0);
  assert.equal(f.pushed.length, 0, 'an edit of a known key or a gray change is no fuzzy event');
  f.change('public', 'G', 'app.yaml', false);
  await f.tick(0);
  assert.deepEqual(f.pushed.map((p) => [p.conn, p.body['changeType']]).sort(), [['c1', 'DELETE_CONFIG'], ['c2', 'DELETE_CONFIG']]);
  assert.deepEqual(f.fuzzy.matchedOf('public>>G>>app*'), []);
});

test('a failed change push is retried after the retry delay; none to a closed connection; cancel drops the pattern', async () => {
  const f = fixture();
  f.fuzzy.watch('c1', 'public>>G>>*', [], false);
  f.failNext(1);
  f.change('public', 'G', 'a', true);
  await f.tick(0);
  assert.equal(f.pushed.length, 1);
  await f.tick(2000);
  assert.equal(f.pushed.length, 2);
  assert.equal(f.pushed[1]!.body['changeType'], 'CONFIG_CHANGED');
  f.fuzzy.cancel('c1', 'public>>G>>*');
  assert.equal(f.fuzzy.stats().patterns, 0);
  f.change('public', 'G', 'b', true);
  await f.tick(100);
  assert.equal(f.pushed.length, 2, 'nobody watches any more');
  f.fuzzy.watch('c2', 'public>>G>>*', ['a+G+public', 'b+G+public'], false);
  f.failNext(1);
  f.change('public', 'G', 'c', true);
  await f.tick(0);
  f.fuzzy.connectionClosed('c2');
  await f.tick(10_000);
  assert.equal(f.pushed.length, 3, 'no retry to a closed connection');
});

test('limits: 50310 for one pattern too many (not registered), 50311 at the match cap (kept, partial sync without deletes)', async () => {
  const f = fixture({ maxPatterns: 1, maxMatched: 2 });
  for (const d of ['a1', 'a2', 'a3']) f.change('public', 'G', d, true);
  const r = f.fuzzy.watch('c1', 'public>>G>>a*', ['zz+G+public'], true);
  assert.deepEqual(r, { ok: false, errorCode: 50311, message: 'fuzzy watch pattern matched count over limit' });
  assert.deepEqual(f.fuzzy.patternsOf('c1'), ['public>>G>>a*']);
  assert.deepEqual(f.fuzzy.watch('c2', 'public>>G>>b*', [], true), { ok: false, errorCode: 50310, message: 'fuzzy watch pattern over limit' });
  assert.deepEqual(f.fuzzy.patternsOf('c2'), []);
  await f.tick(0);
  const init = f.pushed.find((p) => p.body['syncType'] === 'FUZZY_WATCH_INIT_NOTIFY')!;
  assert.deepEqual(init.body['contexts'], [
    { groupKey: 'a1+G+public', changedType: 'ADD_CONFIG' },
    { groupKey: 'a2+G+public', changedType: 'ADD_CONFIG' },
  ]);
  await f.tick(0);
  assert.equal(f.pushed.at(-1)!.body['syncType'], 'FINISH_FUZZY_WATCH_INIT_NOTIFY');
  // A removal from a full set refills it from the store, with no push for the refilled key.
  f.pushed.length = 0;
  f.change('public', 'G', 'a1', false);
  await f.tick(0);
  assert.deepEqual(f.fuzzy.matchedOf('public>>G>>a*'), ['a2+G+public', 'a3+G+public']);
  assert.deepEqual(f.pushed.map((p) => p.body['changeType']), ['DELETE_CONFIG']);
});

test('ConfigFuzzyWatchRequest: Java 3.x body; CANCEL_WATCH; unknown watch type, malformed pattern and a failed check are 400 before anything is registered', () => {
  const f = fixture();
  const java = { headers: {}, groupKeyPattern: 'public>>DEFAULT_GROUP>>app-*', receivedGroupKeys: [], watchType: 'WATCH', initializing: true, module: 'config' };
  const r = handleFuzzyWatch(f.fuzzy, 'ConfigFuzzyWatchResponse', java, 'c1');
  assert.deepEqual(r, { type: 'ConfigFuzzyWatchResponse', body: { resultCode: 200, errorCode: 0, message: null, requestId: null, success: true } });
  assert.deepEqual(f.fuzzy.patternsOf('c1'), ['public>>DEFAULT_GROUP>>app-*']);
  handleFuzzyWatch(f.fuzzy, 'ConfigFuzzyWatchResponse', { ...java, watchType: 'CANCEL_WATCH' }, 'c1');
  assert.deepEqual(f.fuzzy.patternsOf('c1'), []);
  const is400 = (e: unknown) => e instanceof NacosError && e.status === 400;
  assert.throws(() => handleFuzzyWatch(f.fuzzy, 'ConfigFuzzyWatchResponse', { ...java, watchType: 'LISTEN' }, 'c1'), is400);
  assert.throws(() => handleFuzzyWatch(f.fuzzy, 'ConfigFuzzyWatchResponse', { ...java, groupKeyPattern: 'public>>app-*' }, 'c1'), is400);
  assert.throws(() => handleFuzzyWatch(f.fuzzy, 'ConfigFuzzyWatchResponse', { ...java, receivedGroupKeys: 'x' }, 'c1'), is400);
  assert.throws(
    () =>
      handleFuzzyWatch(f.fuzzy, 'ConfigFuzzyWatchResponse', java, 'c1', () => {
        throw new NacosError(400, 'Param check invalid:x');
      }),
    is400,
  );
  assert.equal(f.fuzzy.stats().patterns, 0);
});

test('auth resources of a ConfigFuzzyWatchRequest: the pattern texts; a malformed pattern needs the default namespace', () => {
  assert.deepEqual(configGrpcResources('ConfigFuzzyWatchRequest', { groupKeyPattern: 'dev>>DEFAULT_GROUP>>app-*' }), [
    { namespace: 'dev', group: 'DEFAULT_GROUP', name: 'app-*', kind: 'config' },
  ]);
  assert.deepEqual(configGrpcResources('ConfigFuzzyWatchRequest', { groupKeyPattern: '>>*>>*' }), [{ namespace: 'public', group: '*', name: '*', kind: 'config' }]);
  assert.deepEqual(configGrpcResources('ConfigFuzzyWatchRequest', { groupKeyPattern: 42 }), [{ namespace: 'public', group: '*', name: '*', kind: 'config' }]);
});
