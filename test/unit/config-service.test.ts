/**
 * The configuration center's use cases over an in-memory store: publish/get/remove, md5, type
 * normalization, update semantics, gray variants, CAS (including the race decided at apply time),
 * history rows and paging, search, and the change events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { ConfigService } from '../../src/config-center/config-service.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import type { ConfigChange, PublishInput } from '../../src/config-center/types.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';
import type { PersistentStore, StoreWrite } from '../../src/persistence/persistent-store.js';

const who = { srcUser: 'nacos', srcIp: '127.0.0.1' };
const key = { tenant: 'public', group: 'DEFAULT_GROUP', dataId: 'app.properties' };
const pub = (content: string, extra: Partial<PublishInput> = {}): PublishInput => ({ ...key, content, ...who, ...extra });

function fixture(store: PersistentStore = new MemoryStore(), opts: { maxGrayVersions?: number; maxConfigs?: number } = {}) {
  const clock = new ManualClock();
  const state = new ConfigState();
  state.load(store.entries());
  store.onApply((b) => state.apply(b));
  const service = new ConfigService({ store, state, clock, maxContent: 100, maxGrayVersions: opts.maxGrayVersions ?? 10, maxConfigs: opts.maxConfigs ?? 1000 });
  const changes: ConfigChange[] = [];
  service.onChange((c) => changes.push(c));
  return { clock, state, service, changes, store };
}

async function rejects(p: Promise<unknown>, status: number, message: string, v2Code?: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof NacosError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.status, status);
    if (v2Code !== undefined) assert.equal(e.v2Code, v2Code);
    return true;
  });
}

describe('config service: formal configs', () => {
  it('publish → get (md5 of the UTF-8 bytes, type text) → remove → get null; each change fires once', async () => {
    const { service, changes } = fixture();
    await service.publish(pub('a=1'));
    const v = service.get(key);
    assert.equal(v?.content, 'a=1');
    assert.equal(v?.md5, '3872c9ae3f427af0be0ead09d07ae2cf');
    assert.equal(v?.type, 'text');
    assert.equal(v?.beta, false);
    assert.equal(service.md5(key), '3872c9ae3f427af0be0ead09d07ae2cf');
    await service.publish(pub('a=1')); // identical content: history row, no change event
    await service.remove({ ...key, ...who });
    assert.equal(service.get(key), null);
    assert.equal(service.md5(key), '');
    await service.remove({ ...key, ...who }); // a missing config is fine
    assert.deepEqual(
      changes.map((c) => c.md5),
      ['3872c9ae3f427af0be0ead09d07ae2cf', ''],
    );
  });

  it('a blank tenant is the public namespace', async () => {
    const { service } = fixture();
    await service.publish(pub('x', { tenant: '' }));
    assert.equal(service.get({ ...key, tenant: '  ' })?.content, 'x');
    assert.equal(service.record(key)?.tenant, 'public');
  });

  it('every publish resets type/desc, keeps appName and tags when absent; unknown type → text', async () => {
    const { service } = fixture();
    await service.publish(pub('k: v', { type: 'yaml', appName: 'demo', desc: 'd', configTags: 'a,b' }));
    assert.equal(service.record(key)?.type, 'yaml');
    await service.publish(pub('k: w', { type: 'bogus' }));
    const r = service.record(key)!;
    assert.equal(r.type, 'text');
    assert.equal(r.desc, '');
    assert.equal(r.appName, 'demo');
    assert.deepEqual(r.configTags, ['a', 'b']);
    assert.equal(r.createTime <= r.modifyTime, true);
  });

  it('validation: Nacos messages, nothing written', async () => {
    const { service, store } = fixture();
    await rejects(service.publish(pub('')), 400, 'content is blank : ');
    await rejects(service.publish(pub('   ')), 400, 'content is blank :    ');
    await rejects(service.publish(pub('x'.repeat(101))), 400, 'invalid content, over 100', 20002);
    await rejects(service.publish({ ...pub('x'), dataId: 'bad id$' }), 400, 'invalid dataId : bad id$');
    await rejects(service.publish({ ...pub('x'), group: '' }), 400, 'invalid group : ');
    await rejects(service.publish(pub('x', { tag: 'a'.repeat(17) })), 400, 'too long tag, over 16');
    await rejects(service.publish(pub('x', { tag: 'a b' })), 400, 'invalid tag : a b');
    await rejects(service.publish(pub('x', { configTags: 'a,b,c,d,e,f' })), 400, 'too much config_tags, over 5');
    await rejects(service.publish(pub('x', { desc: 'd'.repeat(129) })), 400, 'too long desc, over 128');
    await rejects(service.publish({ ...pub('x'), tenant: 'bad tenant' }), 400, 'invalid tenant');
    assert.equal([...store.entries()].length, 0);
  });

  it('the config count limit answers 429 and writes nothing', async () => {
    const { service } = fixture(new MemoryStore(), { maxConfigs: 1 });
    await service.publish(pub('a'));
    await rejects(service.publish({ ...pub('b'), dataId: 'other' }), 429, 'too many configs: at most 1 (nomen.config.limit.configs)');
    await service.publish(pub('c')); // an update still works
    assert.equal(service.size(), 1);
  });
});

/**
 * A store whose writes wait until `flush()` applies them in order, as a Raft log does: batches
 * computed from the same state are decided at apply time, one after another.
 */
class QueuedStore implements PersistentStore {
  readonly inner = new MemoryStore();
  private queue: { batch: readonly StoreWrite[]; done: (e?: unknown) => void }[] = [];
  open = () => this.inner.open();
  close = () => this.inner.close();
  entries() {
    return this.inner.entries();
  }
  onApply(l: (b: readonly StoreWrite[]) => void): void {
    this.inner.onApply(l);
  }
  write(batch: readonly StoreWrite[]): Promise<void> {
    return new Promise((resolve, reject) => this.queue.push({ batch, done: (e) => (e === undefined ? resolve() : reject(e)) }));
  }
  get pending(): number {
    return this.queue.length;
  }
  async flush(): Promise<void> {
    const q = this.queue;
    this.queue = [];
    for (const w of q) await this.inner.write(w.batch).then(() => w.done(), (e: unknown) => w.done(e));
  }
}

/** Flushes `store` until `p` settles (retries enqueue new batches). */
async function settle<T>(store: QueuedStore, p: Promise<T>): Promise<T> {
  let done = false;
  const tracked = p.finally(() => (done = true));
  tracked.catch(() => undefined);
  while (!done) {
    await store.flush();
    await new Promise((r) => setImmediate(r));
  }
  return tracked;
}

describe('config service: CAS and concurrent writes (decided at apply time)', () => {
  it('CAS: a wrong md5 fails with 500/20005, the right one passes, CAS on a missing config inserts', async () => {
    const { service } = fixture();
    await service.publish(pub('v1', { casMd5: 'ffffffffffffffffffffffffffffffff' })); // missing: inserted
    await rejects(service.publish(pub('v2', { casMd5: 'ffffffffffffffffffffffffffffffff' })), 500, 'Cas publish fail, server md5 may have changed.', 20005);
    assert.equal(service.get(key)?.content, 'v1');
    await service.publish(pub('v2', { casMd5: service.md5(key) }));
    assert.equal(service.get(key)?.content, 'v2');
  });

  it('two CAS publishes computed from the same md5: the first applied wins, the second fails and overwrites nothing', async () => {
    const store = new QueuedStore();
    const { service } = fixture(store);
    const first = settle(store, service.publish(pub('v1')));
    await first;
    const md5 = service.md5(key);
    const a = service.publish(pub('from-a', { casMd5: md5 }));
    const b = service.publish(pub('from-b', { casMd5: md5 }));
    b.catch(() => undefined);
    assert.equal(store.pending, 2, 'both batches were computed from the same state before either applied');
    await settle(store, a);
    await rejects(settle(store, b), 500, 'Cas publish fail, server md5 may have changed.', 20005);
    assert.equal(service.get(key)?.content, 'from-a');
    // One I row and one U row: the failed CAS left no history behind.
    assert.deepEqual(
      service.historyPage(key, 1, 10).pageItems.map((h) => h.opType),
      ['U', 'I'],
    );
  });

  it('racing plain publishes (insert vs insert) both apply: the second becomes an update; history ids stay unique', async () => {
    const store = new QueuedStore();
    const { service } = fixture(store);
    const a = service.publish(pub('from-a'));
    const b = service.publish(pub('from-b'));
    await Promise.all([settle(store, a), settle(store, b)]);
    assert.equal(service.get(key)?.content, 'from-b');
    const h = service.historyPage(key, 1, 10).pageItems;
    assert.deepEqual(
      h.map((e) => [e.opType, e.content]),
      [
        ['U', 'from-a'],
        ['I', 'from-a'],
      ],
    );
    assert.equal(new Set(h.map((e) => e.id)).size, 2);
  });
});

describe('config service: gray variants', () => {
  it('beta by client IP, tag by label; priority beta first; formal for everyone else', async () => {
    const { service, changes } = fixture();
    await service.publish(pub('formal'));
    await service.publish(pub('beta', { betaIps: '127.0.0.5,127.0.0.6' }));
    await service.publish(pub('tagged', { tag: 'blue' }));
    assert.equal(service.get(key, { clientIp: '127.0.0.9' })?.content, 'formal');
    const b = service.get(key, { clientIp: '127.0.0.6', tag: 'blue' });
    assert.equal(b?.content, 'beta');
    assert.equal(b?.beta, true);
    const t = service.get(key, { clientIp: '127.0.0.9', tag: 'blue' });
    assert.equal(t?.content, 'tagged');
    assert.equal(t?.tag, 'blue');
    assert.equal(service.md5(key, { clientIp: '127.0.0.5' }), service.beta(key)?.md5);
    // An explicitly requested tag that has no variant is not found; as a label it falls back.
    assert.equal(service.get(key, { clientIp: '127.0.0.9', tag: 'green', tagRequested: true }), null);
    assert.equal(service.get(key, { clientIp: '127.0.0.9', tag: 'green' })?.content, 'formal');
    assert.equal(service.record(key)?.content, 'formal');
    assert.deepEqual(
      service.grays(key).map((g) => g.grayName),
      ['beta', 'tag_blue'],
    );
    await service.stopBeta(key, who);
    assert.equal(service.beta(key), null);
    await service.remove({ ...key, tag: 'blue', ...who });
    assert.equal(service.grays(key).length, 0);
    assert.equal(service.get(key)?.content, 'formal');
    assert.deepEqual(
      changes.map((c) => c.grayName ?? 'formal'),
      ['formal', 'beta', 'tag_blue', 'beta', 'tag_blue'],
    );
  });

  it('more than the max gray variants: 400 / 20010, nothing written', async () => {
    const { service } = fixture(new MemoryStore(), { maxGrayVersions: 2 });
    await service.publish(pub('a', { tag: 't1' }));
    await service.publish(pub('b', { tag: 't2' }));
    await service.publish(pub('b2', { tag: 't2' })); // update of an existing variant is fine
    await rejects(service.publish(pub('c', { tag: 't3' })), 400, 'gray config version is over max count :2', 20010);
    assert.equal(service.grays(key).length, 2);
  });

  it('removing the formal config removes its gray variants too', async () => {
    const { service } = fixture();
    await service.publish(pub('formal'));
    await service.publish(pub('beta', { betaIps: '127.0.0.5' }));
    await service.remove({ ...key, ...who });
    assert.equal(service.get(key, { clientIp: '127.0.0.5' }), null);
    assert.equal(service.grays(key).length, 0);
  });
});

describe('config service: history and search', () => {
  it('I/U/D rows (U and D keep the old content), newest first, entry and previous', async () => {
    const { service, clock } = fixture();
    await service.publish(pub('v1', { appName: 'a1' }));
    clock.advance(1000);
    await service.publish(pub('v2'));
    clock.advance(1000);
    await service.remove({ ...key, ...who });
    const page = service.historyPage(key, 1, 2);
    assert.equal(page.totalCount, 3);
    assert.equal(page.pagesAvailable, 2);
    assert.deepEqual(
      page.pageItems.map((h) => [h.opType, h.content, h.publishType]),
      [
        ['D', 'v2', 'formal'],
        ['U', 'v1', 'formal'],
      ],
    );
    const [d, u] = page.pageItems;
    assert.ok(Number(d!.id) > Number(u!.id));
    assert.equal(u!.appName, 'a1');
    assert.equal(service.historyEntry(d!.id)?.content, 'v2');
    assert.equal(service.historyPrevious(d!.id)?.id, u!.id);
    const i = service.historyPage(key, 2, 2).pageItems[0]!;
    assert.equal(i.opType, 'I');
    assert.equal(i.content, 'v1');
    assert.equal(service.historyPrevious(i.id), null);
    assert.equal(service.historyEntry('nope'), null);
  });

  it('search: accurate and blur (Nacos LIKE: * and _), tags, types, paging by id', async () => {
    const { service } = fixture();
    for (const [dataId, group, type, tags] of [
      ['order.yaml', 'G1', 'yaml', 'x'],
      ['order_v2.yaml', 'G1', 'yaml', ''],
      ['orderXv2.yaml', 'G2', 'json', 'y'],
      ['user.properties', 'G1', 'properties', 'x,y'],
    ] as const) {
      await service.publish({ ...key, dataId, group, content: `c-${dataId}`, type, configTags: tags, ...who });
    }
    await service.publish({ ...key, tenant: 'dev', dataId: 'order.yaml', content: 'dev', ...who });
    const ids = (q: Partial<Parameters<typeof service.search>[0]>) =>
      service.search({ tenant: 'public', mode: 'blur', pageNo: 1, pageSize: 10, ...q }).pageItems.map((r) => r.dataId);
    assert.deepEqual(ids({ dataId: 'order*' }), ['order.yaml', 'order_v2.yaml', 'orderXv2.yaml']);
    assert.deepEqual(ids({ dataId: 'order_v2.yaml' }), ['order_v2.yaml', 'orderXv2.yaml']);
    assert.deepEqual(ids({ mode: 'accurate', dataId: 'order_v2.yaml' }), ['order_v2.yaml']);
    assert.deepEqual(ids({ mode: 'accurate', group: 'G1' }), ['order.yaml', 'order_v2.yaml', 'user.properties']);
    assert.deepEqual(ids({ configTags: ['y'] }), ['orderXv2.yaml', 'user.properties']);
    assert.deepEqual(ids({ type: ['json', 'properties'] }), ['orderXv2.yaml', 'user.properties']);
    assert.deepEqual(ids({ content: '*user*' }), ['user.properties']);
    const p2 = service.search({ tenant: '', mode: 'blur', pageNo: 2, pageSize: 3 });
    assert.equal(p2.totalCount, 4);
    assert.equal(p2.pagesAvailable, 2);
    assert.deepEqual(
      p2.pageItems.map((r) => r.dataId),
      ['user.properties'],
    );
    assert.deepEqual(
      service.list('dev').map((r) => r.content),
      ['dev'],
    );
  });
});
