/**
 * The configuration center over the SDK gRPC port against the real server: the real Nacos Rust SDK
 * config client (publish → get → remove → get not found) and bad input over a raw gRPC client
 * (Nacos' typed failures, nothing changed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawGrpcClient, type RawMessage } from './helpers/raw-grpc.js';
import { RustClient } from './helpers/rust-client.js';
import { TestServer } from './helpers/server.js';

const MAX_CONTENT = 64;

describe('config center over gRPC (Rust SDK and raw requests)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let raw: RawGrpcClient;
  const clients: RustClient[] = [];

  before(async () => {
    server = await TestServer.start({ name: 'config-grpc', properties: { maxContent: MAX_CONTENT } });
    raw = new RawGrpcClient(server.grpcPort);
    await raw.setupAndWait();
  });

  after(async () => {
    raw?.close();
    await Promise.allSettled(clients.map((c) => c.kill()));
    await server?.dispose();
  });

  const query = (dataId: string, tenant = ''): Promise<RawMessage> =>
    raw.request('ConfigQueryRequest', { headers: {}, requestId: '1', tenant, dataId, group: 'DEFAULT_GROUP' });
  const publish = (dataId: string, content: string, extra: object = {}): Promise<RawMessage> =>
    raw.request('ConfigPublishRequest', { headers: {}, requestId: '2', tenant: '', dataId, group: 'DEFAULT_GROUP', content, casMd5: null, additionMap: { encryptedDataKey: '' }, ...extra });

  it('Rust SDK: publishConfig → getConfig/getConfigResp → removeConfig → getConfig is not found', async () => {
    const c = await RustClient.start(server.port, { label: 'cfg-rust', kind: 'config' });
    clients.push(c);
    assert.equal(await c.call('publishConfig', { dataId: 'it.rust.properties', group: 'DEFAULT_GROUP', content: 'a=1' }), true);
    assert.equal(await c.call('getConfig', { dataId: 'it.rust.properties', group: 'DEFAULT_GROUP' }), 'a=1');
    const resp = (await c.call('getConfigResp', { dataId: 'it.rust.properties', group: 'DEFAULT_GROUP' })) as Record<string, unknown>;
    assert.equal(resp['md5'], '3872c9ae3f427af0be0ead09d07ae2cf');
    assert.equal(resp['contentType'], 'text');
    assert.equal(await c.call('removeConfig', { dataId: 'it.rust.properties', group: 'DEFAULT_GROUP' }), true);
    await assert.rejects(c.call('getConfig', { dataId: 'it.rust.properties', group: 'DEFAULT_GROUP' }), /config not found.*error_code=300/);
  });

  it('a query answer carries every field, also on the 300 answer', async () => {
    const missing = await query('it.missing');
    assert.equal(missing.type, 'ConfigQueryResponse');
    assert.equal(missing.body['resultCode'], 500);
    assert.equal(missing.body['errorCode'], 300);
    assert.equal(missing.body['message'], 'config data not exist');
    assert.equal(missing.body['lastModified'], 0);
    assert.equal(missing.body['beta'], false);
    assert.equal((await publish('it.fields', 'k: v', { additionMap: { type: 'yaml' } })).body['resultCode'], 200);
    const found = await query('it.fields');
    assert.equal(found.body['content'], 'k: v');
    assert.equal(found.body['contentType'], 'yaml');
    assert.equal(found.body['encryptedDataKey'], '');
    assert.equal(found.body['beta'], false);
    assert.equal(typeof found.body['lastModified'], 'number');
  });

  it('bad input gets Nacos typed failures and changes nothing', async () => {
    assert.equal((await publish('it.bad', 'v1')).body['resultCode'], 200);
    const before = (await query('it.bad')).body;
    const expectFailure = async (r: Promise<RawMessage>, errorCode: number, message: string) => {
      const m = await r;
      assert.equal(m.type, 'ConfigPublishResponse');
      assert.equal(m.body['resultCode'], 500);
      assert.equal(m.body['errorCode'], errorCode);
      assert.equal(m.body['message'], message);
    };
    await expectFailure(publish('it.bad', 'x'.repeat(MAX_CONTENT + 1)), 400, `invalid content, over ${MAX_CONTENT}`);
    await expectFailure(publish('it.bad', ''), 400, 'content is blank : ');
    await expectFailure(publish('bad id$', 'v'), 400, "Param check invalid:Param 'dataId' is illegal, illegal characters should not appear in the param.");
    await expectFailure(
      raw.request('ConfigPublishRequest', { headers: {}, requestId: '3', tenant: 'bad tenant!', dataId: 'it.bad', group: 'DEFAULT_GROUP', content: 'v' }),
      400,
      "Param check invalid:Param 'namespaceId/tenant' is illegal, illegal characters should not appear in the param.",
    );
    await expectFailure(publish('it.bad', 'v2', { casMd5: '00000000000000000000000000000000' }), 500, 'Cas publish fail, server md5 may have changed.');
    const removeBad = await raw.request('ConfigRemoveRequest', { headers: {}, requestId: '4', tenant: '', dataId: 'bad id$', group: 'DEFAULT_GROUP', tag: null });
    assert.equal(removeBad.type, 'ConfigRemoveResponse');
    assert.equal(removeBad.body['errorCode'], 400);
    assert.deepEqual((await query('it.bad')).body, before);
    // CAS with the right md5 goes through.
    assert.equal((await publish('it.bad', 'v2', { casMd5: String(before['md5']) })).body['resultCode'], 200);
    assert.equal((await query('it.bad')).body['content'], 'v2');
  });
});
