/**
 * `nomen config …` without a process or a server (docs/operations.md "CLI"): where the content of
 * `set` comes from, how refusals become one line and an exit code, and what a rollback sends —
 * against a fake `fetch` that records the requests.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdminError, type Fetch } from '../../src/cli/admin.js';
import { configGet, configRollback, configSet, contentOf, EXIT_CAS_MISMATCH, EXIT_NOT_FOUND } from '../../src/cli/config.js';

interface Seen {
  method: string;
  url: URL;
  body: URLSearchParams;
  headers: Record<string, string>;
}

/** A fake member answering each request with `answer(seen)` (status, JSON body). */
function fakeFetch(answer: (s: Seen) => [number, unknown]): { fetch: Fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: Fetch = (url, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const s: Seen = { method: init?.method ?? 'GET', url: new URL(url), body: new URLSearchParams(typeof init?.body === 'string' ? init.body : ''), headers };
    seen.push(s);
    const [status, body] = answer(s);
    return Promise.resolve(new Response(JSON.stringify(body), { status }));
  };
  return { fetch, seen };
}

const OPTS = { server: '127.0.0.1:8848' };
const ok = (data: unknown): [number, unknown] => [200, { code: 0, message: 'success', data }];

describe('config set: the content', () => {
  const io = (stdin: string, tty = false) => ({ stdinIsTty: tty, readFile: (p: string) => (p === 'f' ? Promise.resolve('from file') : Promise.reject(new Error('ENOENT'))), readStdin: () => Promise.resolve(stdin) });

  test('--content, --file or standard input, one of them', async () => {
    assert.equal(await contentOf({ content: 'c' }, io('ignored')), 'c');
    assert.equal(await contentOf({ file: 'f' }, io('ignored')), 'from file');
    assert.equal(await contentOf({}, io('piped')), 'piped');
    await assert.rejects(contentOf({ content: 'c', file: 'f' }, io('')), /--content or --file, not both/);
    await assert.rejects(contentOf({ file: 'missing' }, io('')), /cannot read missing: ENOENT/);
    await assert.rejects(contentOf({}, io('', true)), /no content: give --content TEXT, --file PATH, or pipe it/);
    await assert.rejects(contentOf({}, io('')), /standard input was empty/);
  });
});

describe('config refusals: one line and an exit code', () => {
  test('404 → exit 3 with the server\'s message; CAS failure → exit 4; other refusals → exit 1 with the code', async () => {
    const notFound = fakeFetch(() => [404, { code: 20004, message: 'resource not found', data: 'Config not exist, please publish Config first.' }]);
    await assert.rejects(configGet({ ...OPTS, dataId: 'a', group: 'G', namespace: 'dev' }, notFound.fetch), (e: unknown) => {
      assert.ok(e instanceof AdminError);
      assert.equal(e.exitCode, EXIT_NOT_FOUND);
      assert.equal(e.message, 'config dev/G/a: not found (resource not found: Config not exist, please publish Config first.)');
      return true;
    });
    assert.deepEqual(Object.fromEntries(notFound.seen[0]!.url.searchParams), { dataId: 'a', groupName: 'G', namespaceId: 'dev' });

    const cas = fakeFetch(() => [500, { code: 20005, message: 'resource conflict', data: 'Cas publish fail, server md5 may have changed.' }]);
    await assert.rejects(configSet({ ...OPTS, dataId: 'a', content: 'x', casMd5: 'm' }, cas.fetch), (e: unknown) => e instanceof AdminError && e.exitCode === EXIT_CAS_MISMATCH);
    assert.equal(cas.seen[0]!.headers['casMd5'], 'm');

    const bad = fakeFetch(() => [400, { code: 20002, message: 'parameter validate error', data: 'content is blank' }]);
    await assert.rejects(configSet({ ...OPTS, dataId: 'a', content: ' ' }, bad.fetch), (e: unknown) => {
      assert.ok(e instanceof AdminError);
      assert.equal(e.exitCode, 1);
      assert.equal(e.message, 'config public/DEFAULT_GROUP/a: HTTP 400 code 20002: parameter validate error: content is blank');
      return true;
    });
  });
});

describe('config history --rollback', () => {
  const row = (opType: string, publishType = 'formal') => ({
    id: '7',
    namespaceId: 'dev',
    groupName: 'G',
    dataId: 'a',
    md5: 'm',
    appName: 'app1',
    modifyTime: 0,
    srcIp: '127.0.0.1',
    srcUser: null,
    opType,
    publishType,
    content: 'old',
    grayName: publishType === 'gray' ? 'beta' : '',
    extInfo: '{"type":"yaml"}',
  });

  test('an update row publishes its content with its type; an insert row removes the config; a gray row is refused', async () => {
    const update = fakeFetch((s) => (s.method === 'GET' ? ok(row('U')) : ok(true)));
    assert.deepEqual(await configRollback({ ...OPTS, dataId: 'a', group: 'G', namespace: 'dev', id: '7' }, update.fetch), { id: '7', config: 'dev/G/a', action: 'publish', md5: '149603e6c03516362a8da23f624db945' });
    const post = update.seen[1]!;
    assert.equal(post.method, 'POST');
    assert.equal(post.url.pathname, '/nacos/v3/admin/cs/config');
    assert.deepEqual(Object.fromEntries(post.body), { dataId: 'a', groupName: 'G', namespaceId: 'dev', content: 'old', type: 'yaml', appName: 'app1' });

    const insert = fakeFetch((s) => (s.method === 'GET' ? ok(row('I')) : ok(true)));
    assert.equal((await configRollback({ ...OPTS, dataId: 'a', group: 'G', namespace: 'dev', id: '7' }, insert.fetch)).action, 'remove');
    assert.deepEqual(insert.seen.map((s) => s.method), ['GET', 'DELETE']);

    const gray = fakeFetch(() => ok(row('U', 'gray')));
    await assert.rejects(configRollback({ ...OPTS, dataId: 'a', group: 'G', namespace: 'dev', id: '7' }, gray.fetch), /gray \(beta\) change: only formal changes can be rolled back/);
    assert.equal(gray.seen.length, 1, 'nothing written');
  });
});
