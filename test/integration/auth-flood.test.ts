/**
 * Auth on, the real server under a password flood and a guessing attack (docs/security.md §3, §4):
 * 64 concurrent wrong-password requests leave probes and token requests answering and are refused
 * in Nacos' format (bounded: part of them without any bcrypt); 300 wrong passwords lock the name,
 * so the right one is refused afterwards, on HTTP and gRPC alike; an unknown user is answered
 * exactly like a wrong password. Sources are told apart by binding different 127.x addresses.
 * Correctness only: the latencies are measured by `npm run bench -- --only password-flood`.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RawGrpcClient } from './helpers/raw-grpc.js';
import { jsonOf, TestServer, type HttpResult, type QueryValue } from './helpers/server.js';

const ADMIN_PW = 'flood-admin-pw';
const SECRET = Buffer.alloc(32, 9).toString('base64');
const BAD = 'Code: 401, Message: User not found! Please check user exist or password is right!.';
const LOCKED = 'Code: 401, Message: too many failed logins, try again later!.';
const BUSY = 'Tps Flow restricted:too many password checks in progress, try again later';

/** One HTTP request from a chosen local address (a 127.x source), bounded by a timeout. */
function httpFrom(localAddress: string, port: number, method: string, path: string, query: Record<string, QueryValue> = {}, timeoutMs = 30_000): Promise<HttpResult> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: qs ? `${path}?${qs}` : path, localAddress, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const messageOf = (r: HttpResult): string => {
  try {
    return jsonOf<{ message: string }>(r).message;
  } catch {
    return r.text.trim();
  }
};

describe('auth on: password flood and guessing', () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await TestServer.start({
      name: 'auth-flood',
      properties: {
        'nacos.core.auth.enabled': true,
        'nacos.core.auth.plugin.nacos.token.secret.key': SECRET,
        'nomen.auth.admin.initial-password': ADMIN_PW,
        // Refusals without bcrypt are tarpitted (1 s by default); shorter here, or 300 guesses take 5 minutes.
        'nomen.auth.refusal-delay-ms': 20,
      },
    });
    const r = await httpFrom('127.0.0.1', server.port, 'POST', '/nacos/v1/auth/login', { username: 'nacos', password: ADMIN_PW });
    assert.equal(r.status, 200, r.text);
    token = jsonOf<{ accessToken: string }>(r).accessToken;
    for (const username of ['flood-user', 'guess-user']) {
      const c = await httpFrom('127.0.0.1', server.port, 'POST', '/nacos/v1/auth/users', { username, password: 'the-right-one', accessToken: token });
      assert.equal(c.status, 200, c.text);
    }
  });

  after(async () => {
    await server?.dispose();
  });

  it('64 concurrent wrong passwords: readiness and a token request answer; the flood is refused in Nacos format, partly without bcrypt', async () => {
    const flood = Array.from({ length: 64 }, (_, i) =>
      httpFrom('127.0.0.2', server.port, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'flood-svc', username: 'flood-user', password: `wrong-${i}` }),
    );
    // While the flood is in flight:
    const [ready, list] = await Promise.all([
      httpFrom('127.0.0.1', server.port, 'GET', '/nacos/v1/console/health/readiness'),
      httpFrom('127.0.0.1', server.port, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'flood-svc', accessToken: token }),
    ]);
    assert.equal(ready.status, 200, ready.text);
    assert.equal(list.status, 200, list.text);

    const answers = await Promise.all(flood);
    const kinds = new Map<string, number>();
    for (const a of answers) {
      const key = `${a.status} ${messageOf(a)}`;
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
    }
    const seen = [...kinds.keys()];
    for (const k of seen) assert.ok([`403 ${BAD}`, `403 ${LOCKED}`, `503 ${BUSY}`].includes(k), `unexpected answer ${k}: ${JSON.stringify([...kinds])}`);
    // Exactly 5 bcrypt checks ran (the user lock); everything else was refused unchecked: queued checks
    // dropped once the lock was taken, the rest at once because the queue was full or the name locked.
    assert.equal(kinds.get(`403 ${BAD}`), 5, JSON.stringify([...kinds]));
    assert.ok((kinds.get(`503 ${BUSY}`) ?? 0) + (kinds.get(`403 ${LOCKED}`) ?? 0) === 59, JSON.stringify([...kinds]));

    // And the member still serves after it.
    const again = await httpFrom('127.0.0.1', server.port, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'flood-svc', accessToken: token });
    assert.equal(again.status, 200, again.text);
  });

  it('300 wrong passwords, then the right one: refused on HTTP (parameters and login) and on gRPC', async () => {
    for (let i = 0; i < 300; i++) {
      const r = await httpFrom('127.0.0.3', server.port, 'POST', '/nacos/v1/auth/login', { username: 'guess-user', password: `guess-${i}` });
      assert.equal(r.status, 403, r.text);
    }
    // From another source too: the lock is on the name.
    const login = await httpFrom('127.0.0.4', server.port, 'POST', '/nacos/v1/auth/login', { username: 'guess-user', password: 'the-right-one' });
    assert.equal(login.status, 403);
    assert.equal(login.text, 'too many failed logins, try again later!');
    const param = await httpFrom('127.0.0.4', server.port, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'flood-svc', username: 'guess-user', password: 'the-right-one' });
    assert.equal(param.status, 403);
    assert.equal(messageOf(param), LOCKED);

    const grpc = new RawGrpcClient(server.grpcPort);
    try {
      // Registration happens when the setup message arrives: wait until it answers HealthCheck.
      await grpc.setupAndWait();
      const query = { namespace: 'public', serviceName: 'flood-svc', groupName: 'DEFAULT_GROUP', cluster: '', healthyOnly: false, udpPort: 0 };
      const locked = await grpc.request('ServiceQueryRequest', { ...query, headers: { username: 'guess-user', password: 'the-right-one' } });
      assert.equal(locked.body.errorCode, 403, JSON.stringify(locked));
      assert.equal(locked.body.message, LOCKED);
      // Another user's right password over gRPC still works: the lock is per name (and per source).
      const ok = await grpc.request('ServiceQueryRequest', { ...query, headers: { username: 'nacos', password: ADMIN_PW } });
      assert.equal(ok.body.resultCode, 200, JSON.stringify(ok));
    } finally {
      grpc.close();
    }

    // Token holders are not affected by a lock on their name.
    const list = await httpFrom('127.0.0.1', server.port, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'flood-svc', accessToken: token });
    assert.equal(list.status, 200, list.text);
  });

  it('an unknown user is answered exactly like a wrong password of a known one', async () => {
    const strip = (r: HttpResult) => ({ status: r.status, body: { ...jsonOf<Record<string, unknown>>(r), timestamp: null } });
    const known = await httpFrom('127.0.0.5', server.port, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'flood-svc', username: 'nacos', password: 'nope' });
    const unknown = await httpFrom('127.0.0.6', server.port, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'flood-svc', username: 'no-such-user', password: 'nope' });
    assert.deepEqual(strip(unknown), strip(known));
    const knownLogin = await httpFrom('127.0.0.5', server.port, 'POST', '/nacos/v3/auth/user/login', { username: 'nacos', password: 'nope' });
    const unknownLogin = await httpFrom('127.0.0.6', server.port, 'POST', '/nacos/v3/auth/user/login', { username: 'no-such-user', password: 'nope' });
    assert.deepEqual([unknownLogin.status, unknownLogin.text], [knownLogin.status, knownLogin.text]);
  });
});
