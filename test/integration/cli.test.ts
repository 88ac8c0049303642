/**
 * The operator CLI (`node dist/cli.js status | services | instances | config …`) against one real
 * standalone server shared by every case (with its config metrics scraped along the way), and its
 * auth pass-through (login, accessToken, CAS header) against a recording fake.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonOf, REPO_ROOT, TestServer } from './helpers/server.js';

const CLI = join(REPO_ROOT, 'dist', 'cli.js');
const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

function nomen(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { timeout: 20_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    // Not a terminal either way: `config set` without --content/--file reads it.
    child.stdin?.end(stdin ?? '');
  });
}

/** One sample of a Prometheus scrape (`name{labels}` exactly as exported). */
function sampleOf(scrape: string, key: string): number | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith(`${key} `));
  return line === undefined ? undefined : Number(line.slice(key.length + 1));
}

// ≈ 30 s of CPU for the file (each case starts CLI processes, ≈ 0.5 s each); the bound is a hang
// guard with room for a heavily shared machine, where this describe took up to 166 s.
describe('CLI status / services / instances / config against one standalone server', { timeout: 300_000 }, () => {
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

  it('config set / get: --content, --file and stdin; the content byte for byte; --json with the fields', async () => {
    const file = join(tmpdir(), `nomen-cli-${process.pid}.properties`);
    await writeFile(file, 'k=v\nü=1\n');
    const [set, fromFile, piped] = await Promise.all([
      nomen(['config', 'set', 'cli.yaml', '--content', 'a: 1', '--type', 'yaml', '--desc', 'first', '--server', addr]),
      nomen(['config', 'set', 'app.properties', '-g', 'G2', '-n', 'dev', '--file', file, '--type', 'properties', '--server', addr]),
      nomen(['config', 'set', 'piped.json', '--type', 'json', '--json', '--server', addr], {}, '{"x":1}'),
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, `published public/DEFAULT_GROUP/cli.yaml (md5 ${md5('a: 1')})\n`);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual(JSON.parse(piped.stdout), { namespace: 'public', group: 'DEFAULT_GROUP', dataId: 'piped.json', md5: md5('{"x":1}') });
    const [get, j] = await Promise.all([
      nomen(['config', 'get', 'cli.yaml', '--server', addr]),
      nomen(['config', 'get', 'app.properties', '-g', 'G2', '-n', 'dev', '--json', '--server', addr]),
    ]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, 'a: 1');
    assert.equal(j.code, 0, j.stderr);
    const d = JSON.parse(j.stdout) as { namespaceId: string; groupName: string; content: string; type: string; md5: string };
    assert.deepEqual([d.namespaceId, d.groupName, d.content, d.type, d.md5], ['dev', 'G2', 'k=v\nü=1\n', 'properties', md5('k=v\nü=1\n')]);
  });

  it('config errors: not found exit 3, CAS mismatch exit 4, bad input exit 1 with the server\'s message, usage exit 2', async () => {
    // (Where the content of `set` comes from, empty standard input included: test/unit/cli-config.test.ts.)
    const [missing, cas, bad, usage] = await Promise.all([
      nomen(['config', 'get', 'nothing-here', '--server', addr]),
      nomen(['config', 'set', 'cli.yaml', '--content', 'a: 9', '--cas-md5', md5('stale'), '--server', addr]),
      nomen(['config', 'set', 'bad id', '--content', 'x', '--server', addr]),
      nomen(['config', 'history', 'cli.yaml', '--id', 'abc', '--server', addr]),
    ]);
    assert.equal(missing.code, 3);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^nomen: config public\/DEFAULT_GROUP\/nothing-here: not found/);
    assert.equal(cas.code, 4);
    assert.match(cas.stderr, /Cas publish fail/);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^nomen: config public\/DEFAULT_GROUP\/bad id: HTTP 400 code 20002: .*dataId/);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--id: a history id is a positive whole number/);
    // The mismatch wrote nothing (the history below has one insert and this update only).
    const casOk = await nomen(['config', 'set', 'cli.yaml', '--content', 'a: 2', '--type', 'yaml', '--cas-md5', md5('a: 1'), '--server', addr]);
    assert.equal(casOk.code, 0, casOk.stderr);
  });

  it('config history: rows newest first, --id shows one, --rollback undoes an update or an insert; rm', async () => {
    // cli.yaml: inserted with "a: 1", updated to "a: 2" by the CAS publish above.
    const t = await nomen(['config', 'history', 'cli.yaml', '--server', addr]);
    assert.equal(t.code, 0, t.stderr);
    const rows = t.stdout.trim().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(rows[0], ['ID', 'OP', 'PUBLISH', 'TIME', 'USER', 'IP', 'MD5']);
    assert.deepEqual(rows.slice(1).map((r) => [r[1], r[2]]), [['update', 'formal'], ['insert', 'formal']]);
    const [updateId, insertId] = [rows[1]![0]!, rows[2]![0]!];
    const [one, limitedOut] = await Promise.all([
      nomen(['config', 'history', 'cli.yaml', '--id', updateId, '--server', addr]),
      nomen(['config', 'history', 'cli.yaml', '--limit', '1', '--json', '--server', addr]),
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^id: +\d+\n/);
    assert.match(one.stdout, /--- content before this change:\na: 1\n$/);
    const limited = JSON.parse(limitedOut.stdout) as { id: string; opType: string }[];
    assert.deepEqual(limited.map((h) => [h.id, h.opType]), [[updateId, 'U']]);

    const back = await nomen(['config', 'history', 'cli.yaml', '--rollback', updateId, '--server', addr]);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /^rolled back public\/DEFAULT_GROUP\/cli\.yaml to before row \d+: published/);
    // The state is checked over HTTP directly (a CLI call costs a process start).
    const restored = jsonOf<{ data: { content: string; type: string } }>(await server.request('GET', '/nacos/v3/admin/cs/config', { query: { dataId: 'cli.yaml', groupName: 'DEFAULT_GROUP' } }));
    assert.deepEqual([restored.data.content, restored.data.type], ['a: 1', 'yaml'], 'content and type of the row');
    const [undoInsert, rm] = await Promise.all([
      nomen(['config', 'history', 'cli.yaml', '--rollback', insertId, '--server', addr]),
      nomen(['config', 'rm', 'piped.json', '--server', addr]),
    ]);
    assert.equal(undoInsert.code, 0, undoInsert.stderr);
    assert.match(undoInsert.stdout, /removed \(the row created it\)/);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'removed public/DEFAULT_GROUP/piped.json\n');
    for (const dataId of ['cli.yaml', 'piped.json']) {
      assert.equal((await server.request('GET', '/nacos/v3/admin/cs/config', { query: { dataId, groupName: 'DEFAULT_GROUP' } })).status, 404, dataId);
    }
  });

  it('config metrics on /nacos/actuator/prometheus: counts, writes, a held long poll and its release', async () => {
    const scrape = async () => (await server.request('GET', '/nacos/actuator/prometheus')).text;
    const s0 = await scrape();
    // After the cases above: app.properties (dev) is the only config left.
    assert.equal(sampleOf(s0, 'nomen_configs{namespace="dev"}'), 1);
    assert.equal(sampleOf(s0, 'nacos_monitor{module="config",name="configCount"}'), 1);
    assert.ok((sampleOf(s0, 'nomen_config_writes_total{op="publish",outcome="ok"}') ?? 0) >= 5);
    assert.equal(sampleOf(s0, 'nomen_config_writes_total{op="publish",outcome="cas_mismatch"}'), 1);
    assert.equal(sampleOf(s0, 'nacos_monitor{module="config",name="longPolling"}'), 0);

    // A held long poll (nacos-config's listener) shows as longPolling and a v1 subscriber.
    const held = server.request('POST', '/nacos/v1/cs/configs/listener', {
      form: { 'Listening-Configs': `polled\u0002DEFAULT_GROUP\u0002\u0001` },
      headers: { 'Long-Pulling-Timeout': '30000' },
      timeoutMs: 40_000,
    });
    let s1 = '';
    for (let i = 0; i < 100; i++) {
      s1 = await scrape();
      if (sampleOf(s1, 'nacos_monitor{module="config",name="longPolling"}') === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(sampleOf(s1, 'nacos_monitor{module="config",name="longPolling"}'), 1);
    assert.equal(sampleOf(s1, 'nacos_config_subscriber{version="v1"}'), 1);
    assert.equal((await nomen(['config', 'set', 'polled', '--content', 'p=1', '--server', addr])).code, 0);
    const answer = await held;
    assert.equal(answer.status, 200);
    assert.ok(decodeURIComponent(answer.text).startsWith('polled\u0002DEFAULT_GROUP'), answer.text);
    const s2 = await scrape();
    assert.equal(sampleOf(s2, 'nacos_monitor{module="config",name="longPolling"}'), 0);
    assert.equal(sampleOf(s2, 'nomen_config_notifications{outcome="long-poll-released"}'), 1);
    assert.equal(sampleOf(s2, 'nacos_monitor{module="config",name="configCount"}'), 2);
  });
});

describe('CLI auth pass-through (recording fake server)', { timeout: 60_000 }, () => {
  const seen: { method: string; path: string; query: URLSearchParams; body: string; casMd5: string | undefined }[] = [];
  const fake = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const cas = req.headers['casmd5'];
      seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, body, casMd5: typeof cas === 'string' ? cas : undefined });
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
      if (url.pathname === '/nacos/v3/admin/cs/config') {
        res.end(JSON.stringify({ code: 0, message: 'success', data: true }));
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

  it('config set logs in, sends the content as a form body (not in the URL) and --cas-md5 as the casMd5 header', async () => {
    seen.length = 0;
    const r = await nomen(['config', 'set', 'd1', '-g', 'G', '-n', 'ns1', '--content', 'secret=1', '--cas-md5', 'abc', '--tags', 't1,t2', '--server', addr, '--username', 'ops', '--password', 's3cret']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen.map((s) => `${s.method} ${s.path}`), ['POST /nacos/v1/auth/users/login', 'POST /nacos/v3/admin/cs/config']);
    const pub = seen[1]!;
    assert.equal(pub.query.get('accessToken'), 'tok-1');
    assert.equal(pub.query.get('content'), null);
    assert.equal(pub.casMd5, 'abc');
    const body = new URLSearchParams(pub.body);
    assert.deepEqual(
      ['dataId', 'groupName', 'namespaceId', 'content', 'configTags'].map((k) => body.get(k)),
      ['d1', 'G', 'ns1', 'secret=1', 't1,t2'],
    );
  });
});
