/**
 * The operator CLI (`node dist/cli.js status | services | instances`) against a real standalone
 * server, and its auth pass-through (login, accessToken) against a recording fake.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, TestServer } from './helpers/server.js';

const CLI = join(REPO_ROOT, 'dist', 'cli.js');

function nomen(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('CLI status / services / instances against a standalone server', { timeout: 90_000 }, () => {
  let server: TestServer;
  let addr: string;

  before(async () => {
    // Health checks off: nothing listens on the registered addresses and the test reads the healthy column.
    server = await TestServer.start({ name: 'cli', properties: { 'nacos.naming.health.enabled': false } });
    addr = `127.0.0.1:${server.port}`;
    const reg = async (query: Record<string, string | number | boolean>) => {
      const r = await server.request('POST', '/nacos/v1/ns/instance', { query });
      assert.equal(r.status, 200, r.text);
    };
    await reg({ serviceName: 'cli-a', ip: '127.0.70.1', port: 80, ephemeral: false });
    await reg({ serviceName: 'cli-a', ip: '127.0.70.2', port: 81, ephemeral: false, weight: 2, metadata: '{"zone":"z1"}' });
    await reg({ serviceName: 'G2@@cli-b', ip: '127.0.70.3', port: 82, ephemeral: false, clusterName: 'C1' });
    await reg({ serviceName: 'cli-c', ip: '127.0.70.4', port: 83, ephemeral: false, namespaceId: 'dev' });
  });

  after(async () => {
    await server?.dispose();
  });

  it('status: one row per member with its counts and Raft role; --json for scripts', async () => {
    const t = await nomen(['status', '--server', addr]);
    assert.equal(t.code, 0, t.stderr);
    const lines = t.stdout.trim().split('\n');
    assert.match(lines[0]!, /^MEMBER\s+STATE\s+RAFT\s+SERVICES\s+INSTANCES\s+CLIENTS\s+SUBSCRIBERS\s+CONNECTIONS$/);
    assert.match(lines[1]!, new RegExp(`^${addr.replace(/\./g, '\\.')}\\s+UP\\s+leader\\s+3\\s+4\\s+4\\s+0\\s+0$`));
    assert.equal(lines[2], 'raft leader: standalone');
    const j = await nomen(['status', '--server', addr, '--json']);
    assert.equal(j.code, 0, j.stderr);
    const s = JSON.parse(j.stdout) as { members: { address: string; state: string; role: string; services: number; instances: number; connections: number }[] };
    assert.deepEqual(
      s.members.map((m) => [m.address, m.state, m.role, m.services, m.instances, m.connections]),
      [[addr, 'UP', 'leader', 3, 4, 0]],
    );
  });

  it('services: a table per namespace, --group narrows it', async () => {
    const t = await nomen(['services', '--server', addr]);
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(
      t.stdout.trim().split('\n').map((l) => l.split(/\s+/)),
      [
        ['GROUP', 'SERVICE', 'CLUSTERS', 'INSTANCES', 'HEALTHY'],
        ['DEFAULT_GROUP', 'cli-a', '1', '2', '2'],
        ['G2', 'cli-b', '1', '1', '1'],
      ],
    );
    const g = JSON.parse((await nomen(['services', '--server', addr, '--group', 'G2', '--json'])).stdout) as { name: string }[];
    assert.deepEqual(g.map((x) => x.name), ['cli-b']);
    const dev = JSON.parse((await nomen(['services', '--server', addr, '--namespace', 'dev', '--json'])).stdout) as { name: string }[];
    assert.deepEqual(dev.map((x) => x.name), ['cli-c']);
  });

  it('instances: healthy or not, with group, namespace and cluster filters', async () => {
    const t = await nomen(['instances', 'cli-a', '--server', addr]);
    assert.equal(t.code, 0, t.stderr);
    const rows = t.stdout.trim().split('\n');
    assert.match(rows[0]!, /^IP\s+PORT\s+CLUSTER\s+WEIGHT\s+HEALTHY\s+ENABLED\s+EPHEMERAL\s+METADATA$/);
    assert.match(rows[1]!, /^127\.0\.70\.1\s+80\s+DEFAULT\s+1\s+true\s+true\s+false\s+-$/);
    assert.match(rows[2]!, /^127\.0\.70\.2\s+81\s+DEFAULT\s+2\s+true\s+true\s+false\s+\{"zone":"z1"\}$/);
    const b = JSON.parse((await nomen(['instances', 'cli-b', '--group', 'G2', '--cluster', 'C1', '--server', addr, '--json'])).stdout) as { ip: string; clusterName: string }[];
    assert.deepEqual(b.map((h) => `${h.ip}/${h.clusterName}`), ['127.0.70.3/C1']);
    const none = JSON.parse((await nomen(['instances', 'cli-b', '--group', 'G2', '--cluster', 'OTHER', '--server', addr, '--json'])).stdout) as unknown[];
    assert.deepEqual(none, []);
    const c = JSON.parse((await nomen(['instances', 'cli-c', '--namespace', 'dev', '--server', addr, '--json'])).stdout) as { ip: string }[];
    assert.deepEqual(c.map((h) => h.ip), ['127.0.70.4']);
  });

  it('an unreachable server is a one-line error and exit code 1', async () => {
    const r = await nomen(['status', '--server', '127.0.0.1:9']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^nomen: cannot reach 127\.0\.0\.1:9: /);
  });
});

describe('CLI auth pass-through (recording fake server)', { timeout: 60_000 }, () => {
  const seen: { method: string; path: string; query: URLSearchParams; body: string }[] = [];
  const fake = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, body });
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/nacos/v1/auth/users/login') {
        const form = new URLSearchParams(body);
        if (form.get('username') === 'ops' && form.get('password') === 's3cret') res.end(JSON.stringify({ accessToken: 'tok-1', tokenTtl: 18000 }));
        else {
          res.statusCode = 403;
          res.end('unknown user!');
        }
        return;
      }
      const token = url.searchParams.get('accessToken');
      if (token !== 'tok-1' && token !== 'given') {
        res.statusCode = 403;
        res.end('token invalid!');
        return;
      }
      res.end(JSON.stringify({ count: 1, serviceList: [{ name: 's', groupName: 'DEFAULT_GROUP', clusterCount: 1, ipCount: 1, healthyInstanceCount: 1 }] }));
    });
  });
  let addr = '';

  before(async () => {
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    addr = `127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((r) => fake.close(() => r()));
  });

  it('--username/--password log in first (form body) and send the accessToken on every request', async () => {
    seen.length = 0;
    const r = await nomen(['services', '--server', addr, '--username', 'ops', '--password', 's3cret', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen.map((s) => `${s.method} ${s.path}`), ['POST /nacos/v1/auth/users/login', 'GET /nacos/v1/ns/catalog/services']);
    assert.equal(seen[0]!.query.get('password'), null, 'the password is not in the URL');
    assert.equal(seen[1]!.query.get('accessToken'), 'tok-1');
  });

  it('--token is sent as is (also from NOMEN_TOKEN); a refused login is an error', async () => {
    seen.length = 0;
    assert.equal((await nomen(['services', '--server', addr, '--token', 'given'])).code, 0);
    assert.equal((await nomen(['services', '--server', addr], { NOMEN_TOKEN: 'given' })).code, 0);
    assert.deepEqual(seen.map((s) => s.query.get('accessToken')), ['given', 'given']);
    const bad = await nomen(['services', '--server', addr, '--username', 'ops', '--password', 'wrong']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /HTTP 403 unknown user!/);
    const noToken = await nomen(['services', '--server', addr]);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /HTTP 403 token invalid!/);
  });
});
