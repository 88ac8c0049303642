/**
 * One process per data directory (docs/security.md §7): a second server started on a data
 * directory in use exits non-zero at once, naming the directory and the holder's pid, and never
 * acknowledges anything; the first keeps serving. After kill -9 the lock left behind is stale and a
 * restart on the same directory works, with every acknowledged write still there.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addrs, findFreePortPair, httpRequest, runStartToExit, TestServer } from './helpers/server.js';

const SVC = 'it-lock';

describe('data directory lock', { timeout: 90_000 }, () => {
  let server: TestServer;

  before(async () => {
    server = await TestServer.start({ name: 'data-dir-lock' });
  });

  after(async () => {
    await server?.dispose();
  });

  async function register(port: number): Promise<void> {
    const r = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: SVC, ip: '127.0.0.61', port, ephemeral: false } });
    assert.equal(r.status, 200, r.text);
  }

  it('a second process on the same data directory refuses to start; the first keeps serving', async () => {
    await register(7001);
    const port = await findFreePortPair();
    const second = await runStartToExit(['--port', String(port), '--host', '127.0.0.1', '--data-dir', server.dataDir, '--standalone'], 20_000);
    assert.equal(second.exited, true, `the second process kept running: ${second.stdout.slice(-2000)}`);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /in use by another Nomen process/);
    assert.ok(second.stderr.includes(server.dataDir), second.stderr);
    assert.ok(second.stderr.includes(`pid ${String(server.pid)}`), second.stderr);
    // It never served anything.
    await assert.rejects(httpRequest(port, 'GET', '/nacos/v1/console/health/readiness', { timeoutMs: 1000 }));
    // The first one still takes and serves writes; its lock file is untouched.
    await register(7002);
    assert.deepEqual(addrs((await server.listInstances(SVC)).hosts), ['127.0.0.61:7001', '127.0.0.61:7002']);
    const lock = JSON.parse(readFileSync(join(server.dataDir, 'nomen.lock'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, server.pid);
  });

  it('kill -9 leaves a stale lock that does not stop a restart on the same data directory', async () => {
    const before = server.pid;
    await server.kill9();
    const stale = JSON.parse(readFileSync(join(server.dataDir, 'nomen.lock'), 'utf8')) as { pid: number };
    assert.equal(stale.pid, before, 'kill -9 left the lock file behind');
    await server.restart();
    assert.deepEqual(addrs((await server.listInstances(SVC)).hosts), ['127.0.0.61:7001', '127.0.0.61:7002']);
    const lock = JSON.parse(readFileSync(join(server.dataDir, 'nomen.lock'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, server.pid);
    // A graceful stop removes it.
    await server.stop();
    assert.throws(() => readFileSync(join(server.dataDir, 'nomen.lock')), /ENOENT/);
  });
});
