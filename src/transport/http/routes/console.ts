/**
 * The web console: the single-page app built into `dist/console/` (by `npm run build`), served at
 * `/nacos/` and `/nacos/index.html` (no-cache) with its hashed assets under `/nacos/assets/`
 * (cached for a year, immutable), and the console's one backend addition:
 * `GET /nacos/v1/console/cluster/overview` (the live cluster view, see console-view.ts).
 *
 * Decision (docs/console.md): the console lives on the main port, like Nacos 2.x, not on a separate
 * console port as in 3.x. `nacos.console.ui.enabled=false` turns the pages off (the API stays).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { notFound } from '../../../core/errors.js';
import { clusterOverview, type FetchAnswer, type MemberFetch } from '../console-view.js';
import { sendJson, type HttpDeps } from '../kit.js';

/** `dist/console` of the repository, whether this file runs from `dist/` or (in tests) from `src/`. */
export const CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'dist', 'console');

/**
 * A peer that does not answer within this is shown as unreachable. The page polls every second
 * after the previous answer, so a dead peer slows one round to at most this.
 */
const PEER_TIMEOUT_MS = 1500;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Credentials of the console user, passed on to the members asked (docs/protocol/http.md §4.3): always as
 * headers, never in the URL, whichever way the caller presented them.
 */
function credentials(req: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  const auth = req.headers.authorization;
  if (typeof auth === 'string') headers['authorization'] = auth;
  const headerToken = req.headers['accesstoken'];
  const queryToken = new URL(req.url, 'http://x').searchParams.get('accessToken');
  const token = queryToken ?? (typeof headerToken === 'string' ? headerToken : null);
  if (token !== null) headers['accesstoken'] = token;
  return headers;
}

/**
 * Headers of the console's pages and assets (docs/console.md "Security headers"): scripts, styles
 * and requests only from this origin (the Vite bundle has no inline code; the icon is a `data:`
 * URL), never framed, no MIME sniffing, no Referer leaving the page.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function memberFetch(app: FastifyInstance, self: string, req: FastifyRequest): MemberFetch {
  const headers = credentials(req);
  return async (address: string, url: string): Promise<FetchAnswer> => {
    if (address === self) {
      // This member: no network round trip, same hooks as any request.
      const r = await app.inject({ method: 'GET', url, headers });
      return { status: r.statusCode, body: parseJson(r.body) };
    }
    const res = await fetch(`http://${address}${url}`, { headers, signal: AbortSignal.timeout(PEER_TIMEOUT_MS) });
    return { status: res.status, body: parseJson(await res.text()) };
  };
}

export function consoleRoutes(app: FastifyInstance, deps: HttpDeps, dir: string = CONSOLE_DIR): void {
  const { ctx } = deps;

  app.get('/nacos/v1/console/cluster/overview', async (req, reply) => {
    const view = await clusterOverview({
      self: ctx.member.address,
      standalone: deps.cluster === undefined,
      now: ctx.clock.now(),
      members: deps.members(),
      fetch: memberFetch(app, ctx.member.address, req),
    });
    return sendJson(reply, view);
  });

  if (!ctx.config.bool('nacos.console.ui.enabled')) return;
  const built = existsSync(join(dir, 'index.html'));
  if (!built) ctx.log.warn({ dir }, 'web console not built (run npm run build): /nacos/ answers 404');

  const index = async (_req: FastifyRequest, reply: FastifyReply) => {
    if (!built) throw notFound('The web console is not built: run `npm run build`.');
    const html = await readFile(join(dir, 'index.html'));
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').headers(CONSOLE_HEADERS).send(html);
  };
  app.get('/nacos/', index);
  app.get('/nacos/index.html', index);
  // Hashed file names: safe to cache for a year. Unknown files fall through to the 404 handler.
  // HEAD comes from fastify's automatic HEAD route of this GET.
  if (built) app.get('/nacos/assets/*', lazyAssets(join(dir, 'assets')));
}

/** Headers of the inner answer that belong to its own transport, not to the file. */
const HOP_HEADERS = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding']);

/**
 * The console's assets, served by `@fastify/static` in an inner app that is built on the first
 * asset request: an idle member (and one whose console nobody opens) never loads it (idle memory,
 * docs/benchmarks.md "Idle memory"). The request goes through this app's hooks (auth, metrics) as
 * before; the inner app answers it (conditional and range requests included) and its status,
 * headers and bytes are passed on. A file it does not have is this app's 404.
 */
function lazyAssets(root: string): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  let inner: Promise<FastifyInstance> | null = null;
  const build = async (): Promise<FastifyInstance> => {
    const { default: fastifyStatic } = await import('@fastify/static');
    const app = Fastify({ logger: false });
    await app.register(fastifyStatic, {
      root,
      prefix: '/nacos/assets/',
      decorateReply: false,
      index: false,
      maxAge: '365d',
      immutable: true,
      setHeaders: (reply) => {
        void reply.headers(CONSOLE_HEADERS); // returns the (thenable) reply, not a pending promise
      },
    });
    await app.ready();
    return app;
  };
  return async (req, reply) => {
    inner ??= build().catch((e: unknown) => {
      inner = null; // the next request tries again
      throw e;
    });
    const app = await inner;
    const r = await app.inject({ method: 'GET', url: req.url, headers: req.headers });
    if (r.statusCode === 404) {
      reply.callNotFound();
      return reply;
    }
    for (const [name, value] of Object.entries(r.headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name)) void reply.header(name, value);
    }
    return reply.code(r.statusCode).send(r.rawPayload);
  };
}
