/**
 * Config listening cores (docs/config-center.md "Listening and pushes"): the per-connection listen
 * state, the gray-aware "changed?" decision, push retry / drop with a manual clock, and the long
 * poll (body parsing incl. bad input, answer text, holding and release).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { ConfigChangeNotifier, type ConfigChangeNotifyBody, type NotifyTransport } from '../../src/config-center/change-notifier.js';
import { ConfigListenRegistry, isUpToDate, type ListenEntry } from '../../src/config-center/listeners.js';
import { changedEntries, holdTimeMs, LongPollHub, parseListeningConfigs, pollAnswer, type PollEntry } from '../../src/config-center/long-polling.js';
import type { ClientLabels, ConfigKey } from '../../src/config-center/types.js';
import { silentLogger } from '../../src/observability/logger.js';

const K = (dataId: string, tenant = 'public', group = 'DEFAULT_GROUP'): ConfigKey => ({ tenant, group, dataId });

/** A tiny md5 source: formal md5 per key, plus one beta md5 per key for listed IPs. */
class FakeCenter {
  readonly formal = new Map<string, string>();
  readonly beta = new Map<string, { ips: string[]; md5: string }>();
  private id = (k: ConfigKey) => `${k.tenant}|${k.group}|${k.dataId}`;
  set(k: ConfigKey, md5: string | null): void {
    if (md5 === null) this.formal.delete(this.id(k));
    else this.formal.set(this.id(k), md5);
  }
  setBeta(k: ConfigKey, ips: string[], md5: string): void {
    this.beta.set(this.id(k), { ips, md5 });
  }
  md5(k: ConfigKey, labels?: ClientLabels): string {
    const b = this.beta.get(this.id(k));
    if (b && labels && b.ips.includes(labels.clientIp)) return b.md5;
    return this.formal.get(this.id(k)) ?? '';
  }
}

const entry = (key: ConfigKey, md5 = 'm1', sentTenant: string | null = null): ListenEntry => ({ key, md5, sentTenant });

describe('config listen state', () => {
  it('records listens per connection and per key, overwrites the md5, and clears a connection', () => {
    const r = new ConfigListenRegistry();
    r.listen('c1', entry(K('a'), 'm1'));
    r.listen('c1', entry(K('b')));
    r.listen('c2', entry(K('a'), 'm0', 'dev'));
    r.listen('c1', entry(K('a'), 'm2'));
    assert.equal(r.size(), 3);
    assert.equal(r.connectionCount(), 2);
    assert.deepEqual([...r.listenersOf(K('a')).keys()].sort(), ['c1', 'c2']);
    assert.equal(r.listenersOf(K('a')).get('c1')?.md5, 'm2');
    assert.equal(r.unlisten('c2', K('a')), true);
    assert.equal(r.unlisten('c2', K('a')), false);
    assert.deepEqual([...r.listenersOf(K('a')).keys()], ['c1']);
    assert.equal(r.clear('c1'), 2);
    assert.equal(r.size(), 0);
    assert.equal(r.connectionCount(), 0);
    assert.equal(r.listenersOf(K('a')).size, 0);
  });

  it('keys differ by tenant and group', () => {
    const r = new ConfigListenRegistry();
    r.listen('c1', entry(K('a', 'dev')));
    assert.equal(r.listenersOf(K('a')).size, 0);
    assert.equal(r.listenersOf(K('a', 'dev', 'G')).size, 0);
    assert.equal(r.listenersOf(K('a', 'dev')).size, 1);
  });

  it('"changed?" is gray-aware, and a missing config with md5 "" is up to date', () => {
    const c = new FakeCenter();
    c.set(K('a'), 'formal');
    c.setBeta(K('a'), ['127.0.0.9'], 'beta');
    assert.equal(isUpToDate(c, K('a'), 'formal', { clientIp: '127.0.0.1' }), true);
    assert.equal(isUpToDate(c, K('a'), 'formal', { clientIp: '127.0.0.9' }), false);
    assert.equal(isUpToDate(c, K('a'), 'beta', { clientIp: '127.0.0.9' }), true);
    assert.equal(isUpToDate(c, K('missing'), '', { clientIp: '127.0.0.1' }), true);
    assert.equal(isUpToDate(c, K('missing'), 'old', { clientIp: '127.0.0.1' }), false);
  });
});

/** A transport whose pushes the test settles by hand. */
class FakeTransport implements NotifyTransport {
  readonly sent: { connectionId: string; body: ConfigChangeNotifyBody; ok: () => void; fail: () => void }[] = [];
  readonly connected = new Set<string>();
  readonly dropped: string[] = [];
  push(connectionId: string, body: ConfigChangeNotifyBody): Promise<void> {
    return new Promise((resolve, reject) => this.sent.push({ connectionId, body, ok: resolve, fail: () => reject(new Error('timeout')) }));
  }
  isConnected(id: string): boolean {
    return this.connected.has(id);
  }
  disconnect(id: string): void {
    this.connected.delete(id);
    this.dropped.push(id);
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('config change pushes', () => {
  function setup(maxTries = 50) {
    const clock = new ManualClock();
    const listeners = new ConfigListenRegistry();
    const t = new FakeTransport();
    const n = new ConfigChangeNotifier(listeners, t, clock, silentLogger(), { ackTimeoutMs: 3000, maxTries, retryStepMs: 2000 });
    return { clock, listeners, t, n };
  }

  it('pushes to every listening connection; the tenant is echoed as sent and omitted when it was blank', () => {
    const { listeners, t, n } = setup();
    t.connected.add('blank').add('named').add('other');
    listeners.listen('blank', entry(K('a'), 'm', null));
    listeners.listen('named', entry(K('a'), 'm', 'public'));
    listeners.listen('other', entry(K('b')));
    n.configChanged(K('a'));
    const bodies = Object.fromEntries(t.sent.map((s) => [s.connectionId, s.body]));
    assert.deepEqual(bodies, {
      blank: { module: 'config', dataId: 'a', group: 'DEFAULT_GROUP' },
      named: { module: 'config', dataId: 'a', group: 'DEFAULT_GROUP', tenant: 'public' },
    });
    assert.equal('tenant' in bodies['blank']!, false);
  });

  it('retries a failed push after tries × 2 s, and a change while one is outstanding adds no push', async () => {
    const { clock, listeners, t, n } = setup();
    t.connected.add('c');
    listeners.listen('c', entry(K('a')));
    n.configChanged(K('a'));
    n.configChanged(K('a'));
    assert.equal(t.sent.length, 1);
    t.sent[0]!.fail();
    await tick();
    clock.advance(1999);
    assert.equal(t.sent.length, 1);
    clock.advance(1);
    assert.equal(t.sent.length, 2, 'second try 2 s after the first failure');
    t.sent[1]!.fail();
    await tick();
    n.configChanged(K('a'));
    clock.advance(3999);
    assert.equal(t.sent.length, 2);
    clock.advance(1);
    assert.equal(t.sent.length, 3, 'third try 4 s after the second failure');
    t.sent[2]!.ok();
    await tick();
    assert.equal(n.stats.sent, 1);
    assert.equal(n.stats.failed, 2);
    assert.equal(n.pendingCount(), 0);
    n.configChanged(K('a'));
    assert.equal(t.sent.length, 4, 'a later change pushes again');
  });

  it('drops the connection after maxTries failed tries', async () => {
    const { clock, listeners, t, n } = setup(3);
    t.connected.add('c');
    listeners.listen('c', entry(K('a')));
    n.configChanged(K('a'));
    for (let i = 0; i < 3; i++) {
      t.sent[i]!.fail();
      await tick();
      clock.advance(100_000);
    }
    assert.equal(t.sent.length, 3);
    assert.deepEqual(t.dropped, ['c']);
    assert.equal(n.stats.dropped, 1);
    assert.equal(n.pendingCount(), 0);
  });

  it('a retry is dropped when the listen or the connection is gone', async () => {
    const { clock, listeners, t, n } = setup();
    t.connected.add('c').add('d');
    listeners.listen('c', entry(K('a')));
    listeners.listen('d', entry(K('a')));
    n.configChanged(K('a'));
    t.sent[0]!.fail();
    t.sent[1]!.fail();
    await tick();
    listeners.unlisten('c', K('a'));
    t.connected.delete('d');
    clock.advance(10_000);
    assert.equal(t.sent.length, 2);
    assert.equal(n.pendingCount(), 0);
  });
});

describe('long polling: Listening-Configs', () => {
  const bad = (raw: string | undefined) =>
    assert.throws(
      () => parseListeningConfigs(raw),
      (e: unknown) => e instanceof NacosError && e.status === 400 && e.message === 'caused: invalid probeModify;',
    );

  it('parses the 3-word and the 4-word forms (blank tenant → public, not echoed)', () => {
    const got = parseListeningConfigs('d1\u0002DEFAULT_GROUP\u00023872c9ae3f427af0be0ead09d07ae2cf\u0001d2\u0002G\u0002\u0002dev\u0001d3\u0002G\u0002m\u0002\u0001');
    assert.deepEqual(got, [
      { key: K('d1'), md5: '3872c9ae3f427af0be0ead09d07ae2cf', sentTenant: null },
      { key: K('d2', 'dev', 'G'), md5: '', sentTenant: 'dev' },
      { key: K('d3', 'public', 'G'), md5: 'm', sentTenant: null },
    ]);
  });

  it('decodes the value a second time (as Nacos does)', () => {
    assert.deepEqual(parseListeningConfigs('d%02G%02m%01'), [{ key: K('d', 'public', 'G'), md5: 'm', sentTenant: null }]);
  });

  it('bad input is 400 "caused: invalid probeModify;"', () => {
    bad(undefined);
    bad('');
    bad('   ');
    bad('d\u0002G\u0001'); // 2 words
    bad('d\u0001'); // 1 word
    bad('d\u0002G\u0002m\u0002t\u0002x\u0001'); // 5 words
    bad('d\u0002G\u0002m\u0001%zz'); // bad escape in the second decode
    const many = Array.from({ length: 10_001 }, (_, i) => `d${i}\u0002G\u0002m\u0001`).join('');
    bad(many);
  });

  it('10 000 entries are fine, an unterminated tail is ignored', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `d${i}\u0002G\u0002m\u0001`).join('');
    assert.equal(parseListeningConfigs(many).length, 10_000);
    assert.equal(parseListeningConfigs('d\u0002G\u0002m\u0001tail\u0002x').length, 1);
  });

  it('the answer is URL-encoded lines with the tenant only when sent, plus a newline', () => {
    const e1: PollEntry = { key: K('probe.app.properties'), md5: '', sentTenant: null };
    const e2: PollEntry = { key: K('a:b', 'dev', 'G'), md5: '', sentTenant: 'dev' };
    assert.equal(pollAnswer([e1]), 'probe.app.properties%02DEFAULT_GROUP%01\n');
    assert.equal(pollAnswer([e1, e2]), 'probe.app.properties%02DEFAULT_GROUP%01a%3Ab%02G%02dev%01\n');
    assert.equal(pollAnswer([]), '');
  });

  it('hold time is the timeout minus 500 ms, at least 10 s', () => {
    assert.equal(holdTimeMs(30_000), 29_500);
    assert.equal(holdTimeMs(1000), 10_000);
  });
});

describe('long polling: held polls', () => {
  const labels = { clientIp: '127.0.0.1' };
  function setup(max = 10) {
    const clock = new ManualClock();
    const c = new FakeCenter();
    const hub = new LongPollHub(c, clock, max);
    return { clock, c, hub };
  }

  it('answers at once what already differs (gray-aware)', () => {
    const c = new FakeCenter();
    c.set(K('a'), 'm1');
    c.setBeta(K('a'), ['127.0.0.9'], 'b1');
    const entries = parseListeningConfigs('a\u0002DEFAULT_GROUP\u0002m1\u0001missing\u0002DEFAULT_GROUP\u0002\u0001');
    assert.deepEqual(changedEntries(c, entries, labels), []);
    assert.deepEqual(
      changedEntries(c, entries, { clientIp: '127.0.0.9' }).map((e) => e.key.dataId),
      ['a'],
    );
  });

  it('a change of a held key releases the poll at once with that key only; the timeout answers none', () => {
    const { clock, c, hub } = setup();
    c.set(K('a'), 'm1');
    c.set(K('b'), 'm1');
    const results: string[] = [];
    const entries = parseListeningConfigs('a\u0002DEFAULT_GROUP\u0002m1\u0001b\u0002DEFAULT_GROUP\u0002m1\u0001');
    hub.hold(entries, labels, 29_500, (r) => results.push(r));
    hub.hold(entries, labels, 29_500, (r) => results.push(r));
    assert.equal(hub.size(), 2);
    hub.configChanged(K('a')); // md5 unchanged (re-publish of the same content): nothing
    assert.equal(results.length, 0);
    c.set(K('b'), 'm2');
    hub.configChanged(K('b'));
    assert.deepEqual(results, ['b%02DEFAULT_GROUP%01\n', 'b%02DEFAULT_GROUP%01\n']);
    assert.equal(hub.size(), 0);
    hub.hold(entries, labels, 29_500, (r) => results.push(r));
    clock.advance(29_499);
    assert.equal(results.length, 2);
    clock.advance(1);
    assert.equal(results[2], '');
    assert.equal(hub.size(), 0);
  });

  it('one change answers each poll with the tenant word it sent, gray-aware per client', () => {
    const { c, hub } = setup();
    c.set(K('a'), 'm1');
    const got: [string, string][] = [];
    const hold = (name: string, field: string, clientIp = '127.0.0.1') => hub.hold(parseListeningConfigs(field), { clientIp }, 29_500, (r) => got.push([name, r]));
    hold('blank', 'a\u0002DEFAULT_GROUP\u0002m1\u0001');
    hold('public', 'a\u0002DEFAULT_GROUP\u0002m1\u0002public\u0001');
    hold('blank again', 'a\u0002DEFAULT_GROUP\u0002m1\u0002 \u0001');
    hold('beta ip', 'a\u0002DEFAULT_GROUP\u0002b1\u0001', '127.0.0.9');
    c.setBeta(K('a'), ['127.0.0.9'], 'b1');
    c.set(K('a'), 'm2');
    hub.configChanged(K('a'));
    assert.deepEqual(got, [
      ['blank', 'a%02DEFAULT_GROUP%01\n'],
      ['public', 'a%02DEFAULT_GROUP%02public%01\n'],
      ['blank again', 'a%02DEFAULT_GROUP%01\n'],
    ]);
    assert.equal(hub.size(), 1, 'the beta client holds b1, which it should');
  });

  it('a gray change releases only the polls it concerns', () => {
    const { c, hub } = setup();
    c.set(K('a'), 'm1');
    const got: string[] = [];
    const entries = parseListeningConfigs('a\u0002DEFAULT_GROUP\u0002m1\u0001');
    hub.hold(entries, { clientIp: '127.0.0.1' }, 29_500, () => got.push('other'));
    hub.hold(entries, { clientIp: '127.0.0.9' }, 29_500, () => got.push('beta'));
    c.setBeta(K('a'), ['127.0.0.9'], 'b1');
    hub.configChanged(K('a'));
    assert.deepEqual(got, ['beta']);
    assert.equal(hub.size(), 1);
  });

  it('is capped, and a cancelled (client gone) poll is never answered', () => {
    const { clock, hub } = setup(2);
    const entries = parseListeningConfigs('a\u0002DEFAULT_GROUP\u0002\u0001');
    let answered = 0;
    const cancel = hub.hold(entries, labels, 1000, () => answered++);
    assert.ok(cancel);
    assert.ok(hub.hold(entries, labels, 1000, () => answered++));
    assert.equal(hub.hold(entries, labels, 1000, () => answered++), null);
    cancel();
    assert.equal(hub.size(), 1);
    clock.advance(10_000);
    assert.equal(answered, 1);
  });
});
