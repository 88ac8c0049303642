/**
 * Loads the Nacos 3 response fixtures (test/fixtures/nacos3/*.json, format in its README) and
 * compares an answer with a fixture's expected body by shape (placeholders for computed values).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ConfigListening } from '../../../src/config-center/listening.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { AdminHooks } from '../../../src/transport/http/admin-hooks.js';
import { createHttpServer } from '../../../src/transport/http/http-server.js';
import type { HttpContext } from './http-context.js';

export type FixtureMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface FixtureRequest {
  method: FixtureMethod;
  path: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
}

export interface FixtureCase {
  name: string;
  given?: FixtureRequest[];
  request: FixtureRequest;
  status: number;
  body?: unknown;
  text?: string;
  /** Only meaningful with these config properties. */
  properties?: Record<string, string>;
  /** The member lookup in use (default `standalone`). */
  lookupType?: string;
  /** Wire the auth service (users, tokens); enforcement still follows `nacos.core.auth.enabled`. */
  auth?: boolean;
  /** Serve the Prometheus endpoints. */
  metrics?: boolean;
  /** Wire the config listening service (long poll, listener views) on the context's config center. */
  listening?: boolean;
  /** For a text body that cannot be compared whole (metrics): regular expressions it must match. */
  textMatches?: string[];
}

export interface FixtureFile {
  file: string;
  source: string;
  cases: FixtureCase[];
}

/** Nacos 3 fixtures, and those of the 2.x paths (same format) in the sibling folder. */
const DIRS = ['nacos3', 'nacos2'].map((d) => new URL(`../../fixtures/${d}/`, import.meta.url));

export function loadFixtures(): FixtureFile[] {
  return DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((file) => ({ file: `${dir.pathname.split('/').at(-2)!}/${file}`, ...(JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Omit<FixtureFile, 'file'>) })),
  );
}

/** Sends a fixture request: query string for GET/DELETE, form body for POST/PUT/PATCH, or a JSON body. */
export function send(app: FastifyInstance, r: FixtureRequest): Promise<LightMyRequestResponse> {
  const q = new URLSearchParams(r.params ?? {}).toString();
  const headers = { ...(r.headers ?? {}) };
  if (r.json !== undefined) {
    return app.inject({ method: r.method, url: q === '' ? r.path : `${r.path}?${q}`, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(r.json) });
  }
  if (r.method === 'GET' || r.method === 'DELETE') return app.inject({ method: r.method, url: q === '' ? r.path : `${r.path}?${q}`, headers });
  return app.inject({ method: r.method, url: r.path, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: q });
}

const KINDS: Record<string, (v: unknown) => boolean> = {
  $any: () => true,
  $string: (v) => typeof v === 'string',
  $number: (v) => typeof v === 'number',
  $boolean: (v) => typeof v === 'boolean',
  $object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  $array: (v) => Array.isArray(v),
  '$string|null': (v) => v === null || typeof v === 'string',
};

/** Differences between `actual` and the expected shape, as `path: problem` lines (empty: it matches). */
export function shapeDiff(expected: unknown, actual: unknown, path = '$'): string[] {
  if (typeof expected === 'string' && expected in KINDS) {
    return KINDS[expected]!(actual) ? [] : [`${path}: expected ${expected}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) return [`${path}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`];
    return expected.flatMap((e, i) => shapeDiff(e, actual[i], `${path}[${i}]`));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const out: string[] = [];
    const partial = e['$partial'] === true;
    for (const k of Object.keys(e)) {
      if (k === '$partial') continue;
      if (!(k in a)) out.push(`${path}.${k}: missing`);
      else out.push(...shapeDiff(e[k], a[k], `${path}.${k}`));
    }
    if (!partial) for (const k of Object.keys(a)) if (!(k in e)) out.push(`${path}.${k}: unexpected key (${JSON.stringify(a[k])})`);
    return out;
  }
  return Object.is(expected, actual) || expected === actual ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/**
 * The member behind the core admin fixtures: one Raft group (this member leads, term 3) and one
 * SDK connection, so `raftMetaData` and the loader have something to show.
 */
export function fakeAdmin(lookupType = 'standalone'): AdminHooks & { moved: string[] } {
  const moved: string[] = [];
  return {
    moved,
    raftGroup: () => ({ group: 'naming_persistent_service_v2', leader: '127.0.0.1:8848', term: 3, voters: ['127.0.0.1:8848'], isLeader: true }),
    transferLeader: async () => true,
    connections: () => [
      {
        id: '1700000000000_127.0.0.1_50001',
        clientIp: '127.0.0.1',
        remoteIp: '127.0.0.1',
        remotePort: 50001,
        clientVersion: 'Nacos-Java-Client:v3.0.3',
        appName: 'shop',
        namespace: null,
        labels: { module: 'naming', source: 'sdk', AppName: 'shop' },
        createdAt: 1700000000000,
      },
    ],
    moveConnection: (id) => {
      moved.push(id);
      return true;
    },
    lookupType,
  };
}

/**
 * The same member with a config listening service (no SDK connections: pushes go nowhere), for
 * the long poll and the listener views; a fresh HTTP server on `t`'s context.
 */
export function withListening(t: HttpContext, admin: AdminHooks): FastifyInstance {
  const configListening = new ConfigListening({
    center: t.configs,
    clock: t.clock,
    log: silentLogger(),
    transport: { push: () => Promise.resolve(), isConnected: () => true, disconnect: () => undefined },
    connectionIp: () => undefined,
    connections: () => [],
    cfg: { ackTimeoutMs: 3000, maxTries: 50, retryStepMs: 2000, maxLongPolls: t.config.int('nomen.config.long-poll.max-holders') },
  });
  return createHttpServer({ ...t.ctx, configListening }, { admin });
}
