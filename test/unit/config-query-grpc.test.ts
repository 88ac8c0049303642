/**
 * The gRPC ConfigQueryRequest handler's fast paths (docs/config-center.md "Reads"): the body check
 * reads the well-typed shape directly and gives the schema's result for every input; a formal
 * config's answer is encoded once per stored record (the same reply until the config changes), and
 * gray answers, which depend on the client, are never shared.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigService } from '../../src/config-center/config-service.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';
import { configHandlers, queryBody } from '../../src/transport/grpc/config-handlers.js';
import type { RequestContext } from '../../src/transport/grpc/sdk-server.js';
import { parseBody } from '../../src/transport/grpc/validation.js';
import { fixedReplySlot, type TypedMessage } from '../../src/wire/codec.js';

const optStr = z.string().nullish();
const reference = z.object({ dataId: optStr, group: optStr, tenant: optStr, tag: optStr });

/** The result with absent and undefined fields alike (both read as "not sent"). */
const outcome = (f: () => unknown): unknown => {
  try {
    const r = f() as Record<string, unknown>;
    return { ok: Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) };
  } catch (e) {
    assert.ok(e instanceof NacosError);
    return { status: e.status, message: e.message };
  }
};

describe('ConfigQueryRequest body check', () => {
  const bodies: [string, unknown][] = [
    ['as the Rust SDK sends it', { headers: {}, requestId: '1', module: 'config', dataId: 'd', group: 'G', tenant: '', tag: null }],
    ['absent optionals', { dataId: 'd' }],
    ['empty', {}],
    ['extra fields dropped', { dataId: 'd', group: 'G', extra: 1 }],
    ['numeric dataId', { dataId: 1, group: 'G' }],
    ['object tenant', { dataId: 'd', tenant: {} }],
    ['boolean tag', { dataId: 'd', tag: true }],
    ['array body', ['d']],
    ['null body', null],
    ['string body', 'd'],
    ['__proto__ key', JSON.parse('{"__proto__":{"dataId":"x"},"group":"G"}') as unknown],
  ];
  for (const [name, body] of bodies) {
    it(`same result as the schema: ${name}`, () => {
      assert.deepEqual(outcome(() => queryBody(body)), outcome(() => parseBody(reference, body)));
    });
  }
});

async function harness() {
  const store = new MemoryStore();
  const state = new ConfigState();
  store.onApply((b) => state.apply(b));
  const center = new ConfigService({ store, state, clock: new ManualClock(), maxContent: 10_000, maxGrayVersions: 10, maxConfigs: 100 });
  const h = configHandlers(center, true);
  const rc = (clientIp: string): RequestContext => ({
    connection: { id: 'c1', remoteIp: '127.0.0.1', remotePort: 1, remoteAddress: '127.0.0.1:1', clientIp, clientVersion: '', labels: {}, namespace: null, appName: '-', hasAbilityTable: false, createdAt: 0, lastActive: 0, registered: true },
    headers: {},
    clientIp,
  });
  const query = async (dataId: string, clientIp = '127.0.0.1'): Promise<TypedMessage> => (await h['ConfigQueryRequest']!({ dataId, group: 'G', tenant: '' }, rc(clientIp))) as TypedMessage;
  const publish = (dataId: string, content: string, betaIps?: string) =>
    center.publish({ tenant: 'public', group: 'G', dataId, content, srcUser: 'u', srcIp: '127.0.0.1', ...(betaIps ? { betaIps } : {}) });
  return { query, publish };
}

const bodyOf = (m: TypedMessage): Record<string, unknown> => m.body as Record<string, unknown>;

describe('ConfigQueryRequest answers', () => {
  it('a formal config is answered with one encoded reply until it changes', async () => {
    const h = await harness();
    await h.publish('d', 'one');
    const a = await h.query('d');
    assert.equal(await h.query('d'), a, 'the same reply object, encoded once');
    assert.ok(fixedReplySlot(a), 'a fixed reply');
    assert.equal(a.type, 'ConfigQueryResponse');
    assert.deepEqual({ ...bodyOf(a), lastModified: 0 }, {
      resultCode: 200,
      errorCode: 0,
      message: null,
      requestId: null,
      success: true,
      content: 'one',
      md5: bodyOf(a)['md5'],
      contentType: 'text',
      encryptedDataKey: '',
      lastModified: 0,
      beta: false,
    });
    await h.publish('d', 'two');
    const b = await h.query('d');
    assert.notEqual(b, a);
    assert.equal(bodyOf(b)['content'], 'two');
    assert.notEqual(bodyOf(b)['md5'], bodyOf(a)['md5']);
  });

  it('a beta answer depends on the client and is not shared', async () => {
    const h = await harness();
    await h.publish('d', 'formal');
    await h.publish('d', 'beta', '127.0.0.9');
    const beta = await h.query('d', '127.0.0.9');
    const formal = await h.query('d', '127.0.0.1');
    assert.equal(bodyOf(beta)['content'], 'beta');
    assert.equal(bodyOf(beta)['beta'], true);
    assert.equal(fixedReplySlot(beta), undefined);
    assert.equal(bodyOf(formal)['content'], 'formal');
    assert.equal(bodyOf(formal)['beta'], false);
  });

  it('a missing config is the typed failure 300', async () => {
    const h = await harness();
    const r = bodyOf(await h.query('nope'));
    assert.equal(r['errorCode'], 300);
    assert.equal(r['success'], false);
  });
});
