import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { parseServiceKeyId, type ServiceKey } from '../../src/core/names.js';
import { matchesPart, parsePattern, patternMatches } from '../../src/fuzzy/pattern.js';
import { diff, type FuzzyWatchSettings } from '../../src/fuzzy/engine.js';
import { FuzzyWatchEngine } from '../../src/naming/fuzzy-watch.js';
import { recordingPushSink } from './helpers/fuzzy-push.js';

// ---------------------------------------------------------------- pattern rules (docs/fuzzy-watch.md "Patterns")

test('pattern parts: exact, *, *x*, *x, x*; a star only inside matches nothing; case-sensitive, never a regex', () => {
  assert.equal(matchesPart('svc', 'svc'), true);
  assert.equal(matchesPart('svc', 'svc2'), false);
  assert.equal(matchesPart('*', ''), true);
  assert.equal(matchesPart('*', 'anything'), true);
  assert.equal(matchesPart('*test*', 'a.test.b'), true);
  assert.equal(matchesPart('*test*', 'a.TEST.b'), false);
  assert.equal(matchesPart('*.api', 'orders.api'), true);
  assert.equal(matchesPart('*.api', 'orders.api.v2'), false);
  assert.equal(matchesPart('nacos.test.*', 'nacos.test.1'), true);
  assert.equal(matchesPart('nacos.test.*', 'nacos.testX1'), false, '`.` is a literal dot');
  assert.equal(matchesPart('a*b', 'ab'), false);
  assert.equal(matchesPart('a*b', 'axb'), false);
  // The Java client's group-only overloads send `.*`: "starts with a dot", not "all".
  assert.equal(matchesPart('.*', 'svc'), false);
  assert.equal(matchesPart('.*', '.hidden'), true);
});

test('pattern text: ns>>group>>service; blank namespace is public; the namespace must be equal', () => {
  const p = parsePattern('>>DEFAULT_GROUP>>nacos.*');
  assert.deepEqual({ ns: p.namespace, g: p.group, s: p.resource }, { ns: 'public', g: 'DEFAULT_GROUP', s: 'nacos.*' });
  assert.equal(patternMatches(parsePattern('dev>>*>>*'), 'dev', 'G', 'x'), true);
  assert.equal(patternMatches(parsePattern('dev>>*>>*'), 'public', 'G', 'x'), false);
  for (const bad of ['public>>G', 'public>>>>svc', 'public>>G>> ', 'a>>b>>c>>d', '']) {
    assert.throws(() => parsePattern(bad), (e: unknown) => e instanceof NacosError && e.status === 400, bad);
  }
});

test('diff: server-only keys exist, client-only keys do not; a full (partial) set sends no deletes', () => {
  const matched = new Set(['public@@G@@a', 'public@@G@@b']);
  assert.deepEqual(diff(matched, ['public@@G@@b', 'public@@G@@z'], false), [
    { key: 'public@@G@@a', exists: true },
    { key: 'public@@G@@z', exists: false },
  ]);
  assert.deepEqual(diff(matched, ['public@@G@@z'], true).map((c) => c.exists), [true, true]);
  assert.deepEqual(diff(matched, ['public@@G@@a', 'public@@G@@b'], false), []);
});

// ---------------------------------------------------------------- engine

function fixture(over: Partial<FuzzyWatchSettings> = {}) {
  const clock = new ManualClock();
  const services = new Map<string, number>();
  const { pushed, push, failNext } = recordingPushSink();
  const settings: FuzzyWatchSettings = { maxPatterns: 20, maxMatched: 500, batchSize: 10, delayMs: 100, retryDelayMs: 1000, maxRetries: 3, ...over };
  const scan = (ns: string): ServiceKey[] => [...services.keys()].map(parseServiceKeyId).filter((k) => k.namespace === ns);
  const engine = new FuzzyWatchEngine(
    () => settings,
    scan,
    push,
    clock,
  );
  /** Sets a service's publisher count, as the registry's change event does. */
  const set = (id: string, publishers: number) => {
    services.set(id, publishers);
    engine.serviceChanged(id, publishers);
  };
  const tick = async (ms: number) => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { clock, engine, pushed, set, tick, failNext, services };
}

test('INIT sync: the matching services in batches of 10, then FINISH once every batch was acked', async () => {
  const f = fixture();
  for (let i = 0; i < 23; i++) f.set(`public@@DEFAULT_GROUP@@nacos.test.${String(i).padStart(2, '0')}`, 1);
  f.set('public@@DEFAULT_GROUP@@other', 1);
  f.set('dev@@DEFAULT_GROUP@@nacos.test.x', 1);
  const pattern = 'public>>DEFAULT_GROUP>>nacos.test.*';
  assert.deepEqual(f.engine.watch('c1', pattern, [], true), { ok: true });
  assert.equal(f.pushed.length, 0, 'the sync runs after the answer');
  await f.tick(100);
  const batches = f.pushed.filter((p) => p.body['syncType'] === 'FUZZY_WATCH_INIT_NOTIFY');
  assert.deepEqual(batches.map((b) => [b.body['currentBatch'], b.body['totalBatch'], (b.body['contexts'] as unknown[]).length]), [[1, 3, 10], [2, 3, 10], [3, 3, 3]]);
  assert.equal(batches[0]!.type, 'NamingFuzzyWatchSyncRequest');
  assert.deepEqual((batches[0]!.body['contexts'] as unknown[])[0], { serviceKey: 'public@@DEFAULT_GROUP@@nacos.test.00', changedType: 'ADD_SERVICE' });
  assert.equal(batches[0]!.body['groupKeyPattern'], pattern);
  assert.equal(batches[0]!.body['module'], 'naming');
  assert.equal(f.pushed.length, 3, 'no FINISH before the merge window after the last ack');
  await f.tick(100);
  assert.deepEqual(f.pushed[3]!.body, { syncType: 'FINISH_FUZZY_WATCH_INIT_NOTIFY', groupKeyPattern: pattern, contexts: [], totalBatch: 1, currentBatch: 1, module: 'naming' });
});

test('INIT with nothing to send is FINISH alone; DIFF with nothing to send is silence; DIFF carries adds and deletes', async () => {
  const f = fixture();
  f.engine.watch('c1', 'public>>G>>none*', [], true);
  await f.tick(100);
  assert.deepEqual(f.pushed.map((p) => p.body['syncType']), ['FINISH_FUZZY_WATCH_INIT_NOTIFY']);
  f.set('public@@G@@a', 1);
  await f.tick(1000);
  f.pushed.length = 0;
  f.engine.watch('c2', 'public>>G>>*', ['public@@G@@a'], false);
  await f.tick(1000);
  assert.equal(f.pushed.length, 0, 'the client holds exactly the match set');
  f.engine.watch('c2', 'public>>G>>*', ['public@@G@@gone'], false);
  await f.tick(100);
  assert.equal(f.pushed.length, 1, 'a DIFF sync has no FINISH');
  assert.equal(f.pushed[0]!.body['syncType'], 'FUZZY_WATCH_DIFF_SYNC_NOTIFY');
  assert.deepEqual(f.pushed[0]!.body['contexts'], [
    { serviceKey: 'public@@G@@a', changedType: 'ADD_SERVICE' },
    { serviceKey: 'public@@G@@gone', changedType: 'DELETE_SERVICE' },
  ]);
  await f.tick(1000);
  assert.equal(f.pushed.length, 1);
});

test('change notifications follow the first and the last publisher, once per watching connection, after the merge window', async () => {
  const f = fixture();
  f.engine.watch('c1', 'public>>G>>svc*', [], false);
  f.engine.watch('c1', 'public>>*>>*', [], false);
  f.engine.watch('c2', 'public>>G>>svc*', [], false);
  f.engine.watch('c3', 'dev>>*>>*', [], false);
  f.set('public@@G@@svc1', 1);
  f.set('public@@G@@svc1', 2);
  assert.equal(f.pushed.length, 0);
  await f.tick(100);
  const adds = f.pushed.filter((p) => p.type === 'NamingFuzzyWatchChangeNotifyRequest');
  assert.deepEqual(adds.map((p) => p.conn).sort(), ['c1', 'c2'], 'one push per connection, however many of its patterns match');
  assert.deepEqual(adds[0]!.body, { syncType: 'FUZZY_WATCH_RESOURCE_CHANGED', serviceKey: 'public@@G@@svc1', changedType: 'ADD_SERVICE', module: 'naming' });
  f.pushed.length = 0;
  f.set('public@@G@@svc1', 1);
  await f.tick(100);
  assert.equal(f.pushed.length, 0, 'one publisher left: no event');
  f.set('public@@G@@svc1', 0);
  await f.tick(100);
  assert.deepEqual(f.pushed.map((p) => [p.conn, p.body['changedType']]).sort(), [['c1', 'DELETE_SERVICE'], ['c2', 'DELETE_SERVICE']]);
  assert.deepEqual(f.engine.matchedOf('public>>G>>svc*'), []);
});

test('within the merge window the latest change of a key wins; failed pushes are retried, not after cancel or disconnect', async () => {
  const f = fixture();
  f.engine.watch('c1', 'public>>G>>*', [], false);
  f.set('public@@G@@a', 1);
  f.set('public@@G@@a', 0);
  await f.tick(100);
  assert.deepEqual(f.pushed.map((p) => p.body['changedType']), ['DELETE_SERVICE']);
  f.pushed.length = 0;
  f.failNext(1);
  f.set('public@@G@@b', 1);
  await f.tick(100);
  assert.equal(f.pushed.length, 1);
  await f.tick(1000);
  assert.equal(f.pushed.length, 2, 'retried after the retry delay');
  assert.equal(f.pushed[1]!.body['changedType'], 'ADD_SERVICE');
  f.pushed.length = 0;
  f.failNext(1);
  f.set('public@@G@@c', 1);
  await f.tick(100);
  f.engine.connectionClosed('c1');
  await f.tick(5000);
  assert.equal(f.pushed.length, 1, 'no retry to a closed connection');
  assert.deepEqual(f.engine.patternsOf('c1'), []);
  assert.equal(f.engine.stats().patterns, 0, 'a pattern nobody watches is dropped');
});

test('limits: distinct patterns per member (50310, nothing registered) and matches per pattern (50311, watch kept and synced)', async () => {
  const f = fixture({ maxPatterns: 2, maxMatched: 3 });
  assert.deepEqual(f.engine.watch('c1', 'public>>G>>a*', [], true), { ok: true });
  assert.deepEqual(f.engine.watch('c2', 'public>>G>>a*', [], true), { ok: true }, 'the same pattern counts once');
  assert.deepEqual(f.engine.watch('c1', 'public>>G>>b*', [], true), { ok: true });
  assert.deepEqual(f.engine.watch('c3', 'public>>G>>c*', [], true), { ok: false, errorCode: 50310, message: 'fuzzy watch pattern over limit' });
  assert.deepEqual(f.engine.patternsOf('c3'), []);
  f.engine.cancel('c1', 'public>>G>>b*');
  assert.deepEqual(f.engine.watch('c3', 'public>>G>>c*', [], true), { ok: true }, 'a cancelled pattern frees its slot');

  for (const n of ['c1', 'c2', 'c3', 'c4']) f.set(`public@@G@@${n}`, 1);
  f.pushed.length = 0;
  const r = f.engine.watch('c9', 'public>>G>>c*', ['public@@G@@stale'], false);
  assert.deepEqual(r, { ok: false, errorCode: 50311, message: 'fuzzy watch pattern matched count over limit' });
  assert.deepEqual(f.engine.patternsOf('c9'), ['public>>G>>c*'], 'the watch stays registered');
  await f.tick(100);
  const sync = f.pushed.find((p) => p.conn === 'c9')!;
  assert.equal((sync.body['contexts'] as { changedType: string }[]).every((c) => c.changedType === 'ADD_SERVICE'), true, 'a partial set sends no deletes');
  assert.equal((sync.body['contexts'] as unknown[]).length, 3);
  // A removal from a full set refills it from the registry, without the removed key.
  const before = f.engine.matchedOf('public>>G>>c*');
  const out = before[0]!;
  f.set(out, 0);
  assert.equal(f.engine.matchedOf('public>>G>>c*').length, 3);
  assert.equal(f.engine.matchedOf('public>>G>>c*').includes(out), false);
});

test('a new WATCH of the same pattern replaces the running sync; CANCEL_WATCH stops it', async () => {
  const f = fixture();
  f.set('public@@G@@a', 1);
  f.engine.watch('c1', 'public>>G>>*', [], true);
  f.engine.watch('c1', 'public>>G>>*', ['public@@G@@a'], true);
  await f.tick(100);
  await f.tick(100);
  assert.deepEqual(f.pushed.map((p) => p.body['syncType']), ['FINISH_FUZZY_WATCH_INIT_NOTIFY'], 'only the second session ran');
  f.pushed.length = 0;
  f.engine.watch('c1', 'public>>G>>*', [], true);
  f.engine.cancel('c1', 'public>>G>>*');
  await f.tick(1000);
  assert.deepEqual(f.pushed, []);
});
