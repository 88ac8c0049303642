/**
 * The HTTP config APIs with the real Node SDK `nacos-config@2.6.3` (HTTP v1, docs/config-center.md
 * "HTTP APIs"): getConfig, publishSingle (with a type and an app name), remove, a namespace, and a
 * refused publish; the stored result is checked through the server's own APIs. (The SDK's
 * `getConfigs`, `batchGetConfig` and `batchQuery` are no-ops in 2.6.3 that send nothing.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataClient } from 'nacos-config';
import { startConfigClient } from './helpers/config-client.js';
import { jsonOf, TestServer } from './helpers/server.js';

const G = 'DEFAULT_GROUP';

describe('nacos-config against the HTTP config APIs', () => {
  let server: TestServer;
  let client: DataClient;

  before(async () => {
    server = await TestServer.start({ name: 'config-http' });
    client = await startConfigClient(server.port, 'config-http', { appName: 'it-app' });
  });

  after(async () => {
    client?.close();
    await server?.dispose();
  });

  it('publishSingle, getConfig, remove; a missing config reads as null', async () => {
    const dataId = 'it.http.app.properties';
    assert.equal(await client.getConfig(dataId, G, {}), null);
    const content = 'a=2 ü&x+y%z';
    assert.equal(await client.publishSingle(dataId, G, content, { unit: 'CURRENT_UNIT', type: 'properties' }), true);
    assert.equal(await client.getConfig(dataId, G, {}), content);
    const stored = jsonOf<{ content: string; type: string; appName: string; md5: string; createIp: string }>(await server.get('/nacos/v1/cs/configs', { show: 'all', dataId, group: G }));
    assert.equal(stored.content, content);
    assert.equal(stored.type, 'properties');
    assert.equal(stored.appName, 'it-app');
    assert.equal(stored.createIp, '127.0.0.1');
    // A re-publish with new content; the history keeps the old one.
    assert.equal(await client.publishSingle(dataId, G, 'a=3'), true);
    assert.equal(await client.getConfig(dataId, G, {}), 'a=3');
    const hist = jsonOf<{ totalCount: number; pageItems: Array<{ opType: string }> }>(await server.get('/nacos/v1/cs/history', { search: 'accurate', dataId, group: G }));
    assert.deepEqual(
      hist.pageItems.map((h) => h.opType),
      ['U', 'I'],
    );
    assert.equal(await client.remove(dataId, G, {}), true);
    assert.equal(await client.getConfig(dataId, G, {}), null);
    assert.equal(await client.remove(dataId, G, {}), true, 'removing a missing config is fine');
  });

  it('a namespace: the SDK sends `tenant`, and the config lives only there', async () => {
    const dev = await startConfigClient(server.port, 'config-http-dev', { namespace: 'it-dev' });
    try {
      const dataId = 'it.http.ns';
      assert.equal(await dev.publishSingle(dataId, G, 'in dev'), true);
      assert.equal(await dev.getConfig(dataId, G, {}), 'in dev');
      assert.equal(await client.getConfig(dataId, G, {}), null, 'not in public');
      assert.equal((await server.get('/nacos/v2/cs/config', { dataId, group: G, namespaceId: 'it-dev' })).status, 200);
    } finally {
      dev.close();
    }
  });

  it('a blank content is refused (the SDK rejects after its retries) and nothing is stored', async () => {
    const quick = await startConfigClient(server.port, 'config-http-quick', { requestTimeout: 1500 });
    try {
      await assert.rejects(quick.publishSingle('it.http.blank', G, '   '), /Server Error Status: 400/);
      assert.equal((await server.get('/nacos/v1/cs/configs', { dataId: 'it.http.blank', group: G })).status, 404);
    } finally {
      quick.close();
    }
  });
});
