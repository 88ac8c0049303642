/**
 * The console's HTTP client: every call goes to the member that served the page, under `/nacos`.
 * Naming calls carry the selected namespace; when logged in every call carries the token in the
 * `accessToken` request header, never in the URL or the body, so it does not end up in access
 * logs, browser history or a Referer (docs/console.md, docs/security.md §9).
 */

export type { ClusterOverview, CountsView, MemberLive, PeerView, RaftView } from '../../src/transport/http/console-types';

export type Query = Record<string, string | number | boolean | undefined>;

/** Raised for any non-2xx answer; `message` is the server's text (Nacos answers text or JSON). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  accessToken: string;
  username: string;
  tokenTtl: number;
  globalAdmin: boolean;
}

const SESSION_KEY = 'nomen.session';
const NAMESPACE_KEY = 'nomen.namespace';

let session: Session | null = readSession();
let onAuthLost: () => void = () => undefined;

function readSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<Session>;
    return typeof v.accessToken === 'string' && typeof v.username === 'string'
      ? { accessToken: v.accessToken, username: v.username, tokenTtl: Number(v.tokenTtl ?? 0), globalAdmin: v.globalAdmin === true }
      : null;
  } catch {
    return null;
  }
}

export function currentSession(): Session | null {
  return session;
}

export function setSession(s: Session | null): void {
  session = s;
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

/** Called when the server rejects our token (expired, invalid): the app goes back to the login page. */
export function setAuthLostHandler(f: () => void): void {
  onAuthLost = f;
}

export function savedNamespace(): string {
  return localStorage.getItem(NAMESPACE_KEY) ?? 'public';
}

export function saveNamespace(ns: string): void {
  localStorage.setItem(NAMESPACE_KEY, ns);
}

function encode(q: Query): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.append(k, String(v));
  return p;
}

const AUTH_LOST = /token invalid|token expired|user not found|unknown user|session expired|Code: 401/i;

/** Extra parts of a call: a body of its own (multipart, JSON) with the params then in the query string, more headers. */
export interface CallOptions {
  body?: BodyInit;
  headers?: Record<string, string>;
}

/**
 * One call, answered as a Response (any non-2xx throws ApiError). Parameters go in the query string
 * for GET/DELETE or when `options.body` is given, and in a form body otherwise (the naming and
 * config APIs read both, docs/protocol/http.md §0.2).
 */
export async function request(method: string, path: string, params: Query = {}, options: CallOptions = {}): Promise<Response> {
  const q = encode(params);
  const inQuery = method === 'GET' || method === 'DELETE' || options.body !== undefined;
  const url = `/nacos${path}${inQuery && [...q.keys()].length > 0 ? `?${q.toString()}` : ''}`;
  const headers: Record<string, string> = { ...options.headers };
  if (session) headers['accessToken'] = session.accessToken;
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) init.body = options.body;
  else if (!inQuery) {
    init.body = q.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(url, init);
  if (!res.ok) {
    const msg = errorText(await res.text()) || `HTTP ${res.status}`;
    if ((res.status === 401 || res.status === 403) && AUTH_LOST.test(msg)) onAuthLost();
    throw new ApiError(res.status, msg);
  }
  return res;
}

/** One call; returns the parsed JSON, or the text when it is not JSON. */
export async function call<T = unknown>(method: string, path: string, params: Query = {}, options: CallOptions = {}): Promise<T> {
  const text = await (await request(method, path, params, options)).text();
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

/** The readable part of an error body: Nacos answers plain text, a Result or Spring's error JSON. */
function errorText(text: string): string {
  try {
    const v = JSON.parse(text) as { message?: unknown; data?: unknown };
    if (typeof v.data === 'string' && v.data !== '') return v.data;
    if (typeof v.message === 'string') return v.message;
  } catch {
    // plain text
  }
  return text.trim();
}

/** Naming calls carry the selected namespace. */
export function nsCall<T = unknown>(method: string, path: string, namespaceId: string, params: Query = {}): Promise<T> {
  return call<T>(method, path, { namespaceId, ...params });
}

// ------------------------------------------------------------------------------------------------
// Shapes the console reads

export interface ServerState {
  auth_enabled?: string;
  version?: string;
  startup_mode?: string;
  login_page_enabled?: string;
}

/**
 * Whether login is needed: `GET /v1/console/server/state` says `auth_enabled: "true"`. When the
 * endpoint is absent (a build without auth), the console runs without login.
 */
export async function serverState(): Promise<ServerState | null> {
  try {
    const s = await call<ServerState | string>('GET', '/v1/console/server/state');
    return typeof s === 'object' && s !== null ? s : null;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 410)) return null;
    throw e;
  }
}

export interface LoginAnswer {
  accessToken: string;
  tokenTtl: number;
  globalAdmin: boolean;
  username: string;
}

export async function login(username: string, password: string): Promise<Session> {
  const r = await call<LoginAnswer | string>('POST', '/v1/auth/login', { username, password });
  if (typeof r !== 'object' || r === null || typeof r.accessToken !== 'string') throw new ApiError(500, 'unexpected login answer');
  return { accessToken: r.accessToken, username: r.username ?? username, tokenTtl: r.tokenTtl, globalAdmin: r.globalAdmin === true };
}

export interface Namespace {
  namespace: string;
  namespaceShowName: string;
  namespaceDesc: string;
  quota: number;
  configCount: number;
  type: number;
}

export interface ServiceRow {
  name: string;
  groupName: string;
  clusterCount: number;
  ipCount: number;
  healthyInstanceCount: number;
  triggerFlag: string;
}

export interface Selector {
  type: string;
  expression?: string;
}

export interface ClusterInfo {
  name: string;
  healthChecker: { type: string };
  defaultCheckPort: number;
  useIpPort4Check: boolean;
  metadata: Record<string, string>;
}

export interface ServiceDetail {
  service: { name: string; groupName: string; protectThreshold: number; selector: Selector; metadata: Record<string, string> };
  clusters: ClusterInfo[];
}

export interface Instance {
  instanceId?: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  clusterName: string;
  metadata: Record<string, string>;
}

export interface Subscriber {
  addrStr: string;
  agent: string;
  app: string;
  ip: string;
  port: number;
  namespaceId: string;
  serviceName: string;
  cluster: string;
}

export interface Member {
  ip: string;
  port: number;
  address: string;
  state: string;
  failAccessCnt: number;
  extendInfo: Record<string, unknown>;
}
