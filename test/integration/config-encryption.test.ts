/**
 * Config encryption against the real server (docs/config-center.md "Encryption"): with the aes
 * plugin on, a `cipher-aes-` config published over HTTP or by the real Rust SDK is served as
 * plaintext (HTTP v1/v2/v3, gRPC query, the Rust SDK's get and listener) while the Raft log and
 * the snapshot on disk hold ciphertext only; the nacos-config HTTP client listens with the md5 the
 * server compares (no poll loop); the same secret after a restart reads everything back; a bad
 * secret key stops the start.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startConfigClient } from './helpers/config-client.js';
import { RawGrpcClient } from './helpers/raw-grpc.js';
import { RustClient, type PushEvent } from './helpers/rust-client.js';
import { findFreePortPair, runStartToExit, TestServer, waitFor } from './helpers/server.js';

const G = 'DEFAULT_GROUP';
const SECRET = randomBytes(32).toString('base64');
/** Marks every plaintext of this test: it must never reach the disk. */
const MARK = 'TopSecret-7f3a';
const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('config encryption (aes plugin on)', { timeout: 180_000 }, () => {
  let server: TestServer;
  let raw: RawGrpcClient;
  const clients: RustClient[] = [];

  before(async () => {
    server = await TestServer.start({
      name: 'config-encryption',
      properties: { 'nomen.config.encryption.plugins': 'aes', 'nomen.config.encryption.aes.secret-key': SECRET, 'nomen.raft.snapshot.entries': 10 },
    });
    raw = new RawGrpcClient(server.grpcPort);
    await raw.setupAndWait();
  });

  after(async () => {
    raw?.close();
    await Promise.allSettled(clients.map((c) => c.kill()));
    await server?.dispose();
  });

  const v1Get = async (dataId: string) => (await server.get('/nacos/v1/cs/configs', { dataId, group: G })).text;

  it('HTTP publish → every read serves the plaintext; the gRPC query carries no data key', async () => {
    const dataId = 'cipher-aes-http.properties';
    const content = `db.password=${MARK}-http`;
    const r = await server.request('POST', '/nacos/v1/cs/configs', { form: { dataId, group: G, content } });
    assert.equal(r.text, 'true');
    assert.equal(await v1Get(dataId), content);
    const v2 = JSON.parse((await server.get('/nacos/v2/cs/config', { dataId, group: G })).text) as { data: string };
    assert.equal(v2.data, content);
    const v3 = JSON.parse((await server.get('/nacos/v3/admin/cs/config', { dataId, groupName: G })).text) as { data: { content: string; md5: string } };
    assert.equal(v3.data.content, content);
    assert.equal(v3.data.md5, md5(content));
    const q = await raw.request('ConfigQueryRequest', { headers: {}, requestId: '1', tenant: '', dataId, group: G });
    assert.equal(q.body['content'], content);
    assert.equal(q.body['md5'], md5(content));
    assert.equal(q.body['encryptedDataKey'], '');
    // A dataId without the prefix is untouched.
    await server.request('POST', '/nacos/v1/cs/configs', { form: { dataId: 'plain.properties', group: G, content: 'a=1' } });
    assert.equal(await v1Get('plain.properties'), 'a=1');
  });

  it('Rust SDK: publish, get (md5 of the plaintext) and a listener hearing an HTTP change, in plaintext', async () => {
    const c = await RustClient.start(server.port, { label: 'crypt-rust', kind: 'config', connectAttempts: 5 });
    clients.push(c);
    const dataId = 'cipher-aes-rust.yaml';
    const v0 = `password: ${MARK}-rust-0`;
    assert.equal(await c.call('publishConfig', { dataId, group: G, content: v0 }), true);
    assert.equal(await c.call('getConfig', { dataId, group: G }), v0);
    const resp = (await c.call('getConfigResp', { dataId, group: G })) as Record<string, unknown>;
    assert.equal(resp['md5'], md5(v0));
    assert.equal(await v1Get(dataId), v0, 'an SDK publish is encrypted and read back over HTTP');
    await c.call('addListener', { dataId, group: G, subId: 'l' });
    const v1 = `password: ${MARK}-rust-1`;
    await server.request('POST', '/nacos/v1/cs/configs', { form: { dataId, group: G, content: v1 } });
    const e = await c.waitForEvent((x: PushEvent) => x.subId === 'l' && x.config?.content === v1, 15_000, 'listener call with the new plaintext');
    assert.equal(e.config?.md5, md5(v1));
  });

  it('nacos-config (HTTP long polling): subscribe gets the plaintext and its poll is held with the md5 the server compares', async () => {
    const dataId = 'cipher-aes-node.properties';
    const content = `k=${MARK}-node`;
    await server.request('POST', '/nacos/v1/cs/configs', { form: { dataId, group: G, content } });
    const client = await startConfigClient(server.port, 'crypt-node');
    const got: (string | null)[] = [];
    try {
      client.subscribe({ dataId, group: G }, (s: string | null) => got.push(s));
      await waitFor('subscriber called with the plaintext', async () => (got.includes(content) ? true : undefined), 10_000);
      const held = await waitFor('the poll held with the plaintext md5', async () => {
        const r = JSON.parse((await server.get('/nacos/v1/cs/configs/listener', { dataId, group: G })).text) as { lisentersGroupkeyStatus: Record<string, string> };
        const seen = Object.values(r.lisentersGroupkeyStatus);
        return seen.length > 0 ? seen : undefined;
      }, 10_000);
      assert.deepEqual(held, [md5(content)]);
    } finally {
      client.close();
    }
  });

  it('the Raft log and the snapshot hold ciphertext only; a restart with the same secret reads it all', async () => {
    const dataId = 'cipher-aes-many.properties';
    for (let i = 0; i < 12; i++) {
      await server.request('POST', '/nacos/v1/cs/configs', { form: { dataId, group: G, content: `n=${i} ${MARK}` } });
    }
    const snaps = await waitFor('a Raft snapshot file', async () => {
      const s = filesUnder(server.dataDir).filter((f) => f.endsWith('.snap'));
      return s.length > 0 ? s : undefined;
    }, 20_000);
    assert.ok(readFileSync(snaps[0]!).includes('nomen-aes-gcm:v1:'), 'the snapshot holds the encrypted configs');
    await server.stop();
    const leaks = filesUnder(server.dataDir).filter((f) => readFileSync(f).includes(MARK));
    assert.deepEqual(leaks, [], 'no file under the data directory holds a plaintext');
    await server.restart();
    assert.equal(await v1Get(dataId), `n=11 ${MARK}`);
    assert.equal(await v1Get('cipher-aes-http.properties'), `db.password=${MARK}-http`);
  });

  it('a bad secret key stops the start with a clear error', async () => {
    const port = await findFreePortPair();
    const r = await runStartToExit(
      ['--port', String(port), '--host', '127.0.0.1', '--standalone', '--data-dir', join(server.dataDir, 'bad-key'), '--property', 'nomen.config.encryption.plugins=aes', '--property', `nomen.config.encryption.aes.secret-key=${randomBytes(20).toString('base64')}`],
      20_000,
    );
    assert.equal(r.exited, true);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /nomen\.config\.encryption\.aes\.secret-key decodes to 20 bytes; AES needs 16, 24 or 32/);
  });
});
