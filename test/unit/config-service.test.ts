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
