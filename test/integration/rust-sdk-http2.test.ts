/**
 * The real Nacos Rust SDK (gRPC, tonic) against the server with the node:http2 SDK transport
 * (`nomen.sdk.transport=http2`, docs/sdk-transport.md), kept in the suite whatever the default is:
 * register, query, subscribe and be pushed, deregister, and a crashed client's cleanup. Each SDK
 * client runs in its own child process (its constructor blocks the event loop).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { hostAddrs, RustClient, type PushEvent } from './helpers/rust-client.js';
import { addrs, TestServer } from './helpers/server.js';

const WAIT = 10_000;

describe('Rust SDK against the node:http2 SDK transport', { timeout: 120_000 }, () => {
  let server: TestServer;
  const clients: RustClient[] = [];

  async function client(label: string): Promise<RustClient> {
    const c = await RustClient.start(server.port, { label });
    clients.push(c);
    return c;
  }

  const pushed =
    (subId: string, expected: string[], afterSeq = -1) =>
    (e: PushEvent): boolean =>
      e.subId === subId && e.seq > afterSeq && e.error === null && JSON.stringify(hostAddrs(e.hosts)) === JSON.stringify([...expected].sort());

  before(async () => {
    server = await TestServer.start({ name: 'rust-sdk-http2', properties: { 'nomen.sdk.transport': 'http2' } });
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.kill()));
    await server?.dispose();
  });

  it('the server runs the http2 transport', async () => {
    assert.match(await readFile(server.logFile, 'utf8'), /"transport":"http2"/);
  });

  it('register, query from another client, subscribe and be pushed, deregister', async () => {
    const a = await client('h2-a');
    const b = await client('h2-b');
    await a.register('it-h2', { ip: '127.0.0.31', port: 8031, metadata: { t: 'h2' } });
    const seen = await b.getAllInstances('it-h2', { subscribe: false });
    assert.deepEqual(hostAddrs(seen), ['127.0.0.31:8031']);
    assert.deepEqual(seen[0]?.metadata, { t: 'h2' });

    await b.subscribe('it-h2', 'h2');
    await b.waitForEvent(pushed('h2', ['127.0.0.31:8031']), WAIT, 'push with the first host');
    const c = await client('h2-c');
    await c.register('it-h2', { ip: '127.0.0.33', port: 8033 });
    const both = await b.waitForEvent(pushed('h2', ['127.0.0.31:8031', '127.0.0.33:8033']), WAIT, 'push with both hosts');
    await c.deregister('it-h2', { ip: '127.0.0.33', port: 8033 });
    await b.waitForEvent(pushed('h2', ['127.0.0.31:8031'], both.seq), WAIT, 'push with the remaining host');
    const http = await server.listInstances('DEFAULT_GROUP@@it-h2');
    assert.deepEqual(addrs(http.hosts), ['127.0.0.31:8031']);
  });

  it('kill -9 of a client process → its connection ends and its instance is removed', async () => {
    const doomed = await client('h2-doomed');
    const b = await client('h2-watcher');
    await b.register('it-h2-crash', { ip: '127.0.0.35', port: 8035 });
    await doomed.register('it-h2-crash', { ip: '127.0.0.34', port: 8034 });
    await b.subscribe('it-h2-crash', 'crash');
    const both = await b.waitForEvent(pushed('crash', ['127.0.0.34:8034', '127.0.0.35:8035']), WAIT, 'push with both hosts');
    await doomed.kill();
    await b.waitForEvent(pushed('crash', ['127.0.0.35:8035'], both.seq), WAIT, 'push without the crashed client');
  });
});
