/**
 * The configuration center's pure parts: Nacos' validation messages, md5, groupKey, type and
 * namespace normalization, gray matching order, the auth resource of config requests, the store
 * row check, and the history cleaner (leader only, retention by the injected clock).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { permits, resourceText } from '../../src/auth/permissions.js';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { contentMd5, groupKey, normalizeTenant, normalizeType } from '../../src/config-center/config-keys.js';
import { configResource } from '../../src/config-center/config-resource.js';
import { checkConfigWrite } from '../../src/config-center/config-rows.js';
import { ConfigService } from '../../src/config-center/config-service.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import { betaRule, byPriority, matchGray, tagRule } from '../../src/config-center/gray.js';
import { HistoryCleaner } from '../../src/config-center/history-cleaner.js';
import type { GrayVariant } from '../../src/config-center/types.js';
import { checkAdvanceInfo, checkKeyAndContent, checkTag, checkTenant, paramCheck } from '../../src/config-center/validation.js';
import { configGrpcResources } from '../../src/transport/grpc/config-scope.js';
import { encodeCommand, parseCommand } from '../../src/persistence/kv-state-machine.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';

const message = (f: () => void): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof NacosError);
    assert.equal(e.status, 400);
    assert.equal(e.v2Code, 20002);
    return e.message;
  }
  return 'passed';
};

describe('config validation (Nacos messages)', () => {
  it('parameter checker: dataId ≤256 of [a-zA-Z0-9-_:.], group ≤128, tenant ≤64 of [\\w-]; blank passes', () => {
    assert.equal(paramCheck({ dataId: 'app.yaml', group: 'DEFAULT_GROUP', tenant: 'dev-1' }), null);
    assert.equal(paramCheck({}), null);
    assert.equal(paramCheck({ dataId: 'bad id$' }), "Param 'dataId' is illegal, illegal characters should not appear in the param.");
    assert.equal(paramCheck({ dataId: 'd'.repeat(257) }), "Param 'dataId' is illegal, the param length should not exceed 256.");
    assert.equal(paramCheck({ group: 'g/x' }), "Param 'group' is illegal, illegal characters should not appear in the param.");
    assert.equal(paramCheck({ tenant: 'a.b' }), "Param 'namespaceId/tenant' is illegal, illegal characters should not appear in the param.");
    assert.equal(paramCheck({ dataId: 'bad id$' }, false), null, 'characters unchecked when the checker is off');
    assert.equal(paramCheck({ dataId: 'd'.repeat(257) }, false), "Param 'dataId' is illegal, the param length should not exceed 256.", 'lengths always');
  });

  it('business checks (ParamUtils)', () => {
    assert.equal(message(() => checkKeyAndContent('', 'G', 'c', 10)), 'invalid dataId : ');
    assert.equal(message(() => checkKeyAndContent(null, 'G', 'c', 10)), 'invalid dataId : null');
    assert.equal(message(() => checkKeyAndContent('a b', 'G', 'c', 10)), 'invalid dataId : a b');
    assert.equal(message(() => checkKeyAndContent('d', 'G G', 'c', 10)), 'invalid group : G G');
    assert.equal(message(() => checkKeyAndContent('d', 'G', ' ', 10)), 'content is blank :  ');
    assert.equal(message(() => checkKeyAndContent('d', 'G', 'x'.repeat(11), 10)), 'invalid content, over 10');
    assert.equal(message(() => checkKeyAndContent('配置', 'G', 'c', 10)), 'passed', 'letters of any script pass ParamUtils');
    assert.equal(message(() => checkTag('a'.repeat(17))), 'too long tag, over 16');
    assert.equal(message(() => checkTag('a$')), 'invalid tag : a$');
    assert.equal(message(() => checkTenant('t t')), 'invalid tenant');
    assert.equal(message(() => checkTenant('t'.repeat(129), 'namespaceId')), 'too long namespaceId, over 128');
    assert.equal(message(() => checkAdvanceInfo({ configTags: '1,2,3,4,5,6' })), 'too much config_tags, over 5');
    assert.equal(message(() => checkAdvanceInfo({ configTags: 't'.repeat(65) })), 'too long tag, over 64');
    assert.equal(message(() => checkAdvanceInfo({ use: 'u'.repeat(33) })), 'too long use, over 32');
    assert.equal(message(() => checkAdvanceInfo({ schema: 's'.repeat(32769) })), 'too long schema, over 32768');
  });
});

describe('config keys and values', () => {
  it('md5 is lowercase hex of the UTF-8 bytes', () => {
    assert.equal(contentMd5('a=1'), '3872c9ae3f427af0be0ead09d07ae2cf');
    assert.equal(contentMd5('ü'), 'c03410a5204b21cd8229ff754688d743'); // bytes c3 bc
    assert.equal(contentMd5(null), '');
  });

  it('groupKey escapes + and %, appends a non-empty tenant', () => {
    assert.equal(groupKey('a+b', 'G%1'), 'a%2Bb+G%251');
    assert.equal(groupKey('app.yaml', 'DEFAULT_GROUP', 'dev'), 'app.yaml+DEFAULT_GROUP+dev');
    assert.equal(groupKey('app.yaml', 'DEFAULT_GROUP', ''), 'app.yaml+DEFAULT_GROUP');
  });

  it('blank tenant → public; unknown or blank type → text', () => {
    assert.equal(normalizeTenant(''), 'public');
    assert.equal(normalizeTenant(null), 'public');
    assert.equal(normalizeTenant(' '), 'public');
    assert.equal(normalizeTenant('dev'), 'dev');
    assert.equal(normalizeType('yaml'), 'yaml');
    assert.equal(normalizeType('YAML'), 'text');
    assert.equal(normalizeType(undefined), 'text');
  });
});

describe('gray matching', () => {
  const variant = (grayName: string, rule: GrayVariant['rule']): GrayVariant => ({
    tenant: 'public',
    group: 'G',
    dataId: 'd',
    grayName,
    rule,
    content: grayName,
    md5: '',
    encryptedDataKey: '',
    appName: '',
    srcUser: '',
    srcIp: '',
    createTime: 0,
    modifyTime: 0,
  });

  it('beta (exact IP in the list) before tags; tags by equal label; ties by gray name', () => {
    const sorted = [variant('tag_b', tagRule('b')), variant('tag_a', tagRule('a')), variant('beta', betaRule('10.0.0.1, 10.0.0.2'))].sort(byPriority);
    assert.deepEqual(
      sorted.map((v) => v.grayName),
      ['beta', 'tag_a', 'tag_b'],
    );
    assert.equal(matchGray(sorted, { clientIp: '10.0.0.2', tag: 'a' })?.grayName, 'beta');
    assert.equal(matchGray(sorted, { clientIp: '10.0.0.20', tag: 'a' })?.grayName, 'tag_a');
    assert.equal(matchGray(sorted, { clientIp: '10.0.0.20' }), undefined);
    assert.equal(matchGray(sorted, undefined), undefined);
  });
});

describe('config auth resources', () => {
  it('<ns>:<group>:config/<dataId>; blank namespace → public, blank group and dataId → every', () => {
    assert.equal(resourceText(configResource('', 'G', 'd')), 'public:G:config/d');
    assert.equal(resourceText(configResource('dev', null, null)), 'dev:*:config/*');
    const read = { resource: 'dev:G:config/app-*', action: 'r' } as const;
    assert.equal(permits(read, configResource('dev', 'G', 'app-1'), 'r'), true);
    assert.equal(permits(read, configResource('dev', 'G', 'app-1'), 'w'), false);
    assert.equal(permits(read, configResource('dev', 'G', 'other'), 'r'), false);
    assert.equal(permits({ resource: 'dev:G:naming/app-*', action: 'rw' }, configResource('dev', 'G', 'app-1'), 'r'), false, 'a naming grant is not a config grant');
    assert.equal(permits({ resource: 'dev:*:*', action: 'rw' }, configResource('dev', null, null), 'r'), true);
    assert.equal(permits({ resource: 'dev:G:*', action: 'rw' }, configResource('dev', null, null), 'r'), false, 'a batch listen needs namespace-wide read');
  });

  it('gRPC: a batch listen is the first context namespace, every group and config', () => {
    const texts = (type: string, body: Record<string, unknown>) => configGrpcResources(type, body).map(resourceText);
    assert.deepEqual(texts('ConfigBatchListenRequest', { configListenContexts: [{ tenant: 'dev', group: 'G', dataId: 'd' }] }), ['dev:*:config/*']);
    // Every namespace a batch names (Nacos: only the first context's).
    assert.deepEqual(texts('ConfigBatchListenRequest', { configListenContexts: [{ tenant: 'dev' }, { tenant: '' }, { tenant: 'dev' }] }), ['dev:*:config/*', 'public:*:config/*']);
    assert.deepEqual(texts('ConfigQueryRequest', { tenant: null, group: 'G', dataId: 'd' }), ['public:G:config/d']);
  });
});

describe('config store rows and batch conditions', () => {
  it('the write check refuses a row that does not match its key or shape', () => {
    assert.match(checkConfigWrite({ table: 'config', key: '["public","G","d"]', value: { tenant: 'public' } }) ?? '', /./);
    assert.equal(checkConfigWrite({ table: 'config', key: 'x', value: null }), null);
    assert.match(checkConfigWrite({ table: 'configHistory', key: '0', value: null }) ?? '', /history key/);
    assert.equal(checkConfigWrite({ table: 'instance', key: 'x', value: 1 }), null);
  });

  it('expect survives the log encoding', () => {
    const cmd = { id: 'c1', batch: [{ table: 'config' as const, key: 'k', value: null, expect: { field: 'md5', equals: 'm' } }, { table: 'configHistory' as const, key: '1', value: null, expect: { absent: true as const } }] };
    assert.deepEqual(parseCommand(encodeCommand(cmd)), cmd);
  });
});

describe('config history cleaner', () => {
  it('deletes rows older than the retention, only on the leader, in bounded passes', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const state = new ConfigState();
    store.onApply((b) => state.apply(b));
    const service = new ConfigService({ store, state, clock, maxContent: 100, maxGrayVersions: 10, maxConfigs: 100 });
    const key = { tenant: 'public', group: 'G', dataId: 'd' };
    for (let i = 0; i < 3; i++) await service.publish({ ...key, content: `v${i}`, srcUser: '', srcIp: '' });
    clock.advance(2 * 86_400_000);
    await service.publish({ ...key, content: 'new', srcUser: '', srcIp: '' });
    let leader = false;
    const cleaner = new HistoryCleaner({ state, store, clock, isLeader: () => leader, retentionDays: 1, intervalMs: 600_000, batch: 2 });
    assert.equal(await cleaner.runOnce(), 0, 'not the leader');
    leader = true;
    assert.equal(await cleaner.runOnce(), 2);
    assert.equal(await cleaner.runOnce(), 1);
    assert.equal(await cleaner.runOnce(), 0);
    assert.deepEqual(
      service.historyPage(key, 1, 10).pageItems.map((h) => h.content),
      ['v2'],
    );
    assert.equal(service.get(key)?.content, 'new', 'the config itself stays');
  });
});
