/**
 * Idle memory (issue 14; docs/benchmarks.md "Idle memory"): a standalone member with auth off does
 * not load the modules only cluster mode, auth or an operator request needs. Every module loaded
 * stays in memory for the life of the process (its source text, bytecode and the objects built at
 * import), so these are loaded on first use instead; this test keeps them from creeping back into
 * the start-up import graph.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { httpRequest, REPO_ROOT, TestServer } from './helpers/server.js';

const PRELOAD = pathToFileURL(join(REPO_ROOT, 'test', 'integration', 'helpers', 'module-log.mjs')).href;

/** Loaded by an idle standalone member with auth off only if something imports them eagerly again. */
const NOT_AT_IDLE: readonly string[] = [
  '/node_modules/jose/',
  '/dist/cluster/raft-link.js',
  '/dist/cluster/transport/',
  '/dist/distro/index.js',
  '/dist/distro/distro-protocol.js',
  '/node_modules/@fastify/static/',
];

describe('modules an idle standalone member loads', { timeout: 120_000 }, () => {
  let server: TestServer;
  let dir: string;
  let logFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nomen-idle-modules-'));
    logFile = join(dir, 'modules.txt');
    const nodeOptions = `${process.env['NODE_OPTIONS'] ?? ''} --import ${PRELOAD}`.trim();
    server = await TestServer.start({ name: 'idle-modules', readyTimeoutMs: 60_000, env: { NODE_OPTIONS: nodeOptions, NOMEN_TEST_MODULE_LOG: logFile } });
  });

  after(async () => {
    await server?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads neither the cluster, the auth token nor the on-demand modules', async () => {
    // A request through the usual path first (health, readiness gate, auth filter off).
    assert.equal((await httpRequest(server.port, 'GET', '/nacos/v1/console/health/readiness')).status, 200);
    const loaded = (await readFile(logFile, 'utf8')).split('\n').filter((l) => l !== '');
    // The preload works (else the test could not fail): the server's own modules are in the log.
    assert.ok(loaded.some((u) => u.endsWith('/dist/server.js')), 'module log holds dist/server.js');
    for (const part of NOT_AT_IDLE) {
      assert.deepEqual(loaded.filter((u) => u.includes(part)), [], `${part} is not loaded at idle`);
    }
  });
});
