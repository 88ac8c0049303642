/**
 * Users, roles, permissions and tokens (docs/protocol/http.md §4): who a caller is (`identify`) and whether
 * it may do something (`authorize`), plus the management use cases behind the `/v1/auth/**` and
 * `/v3/auth/**` endpoints. Data lives in the PersistentStore (see auth-state.ts), so in a cluster
 * whatever replicates the store replicates users and the token secret too.
 *
 * Enforcement is the edges' job (HTTP filter, gRPC authorize hook) and only when `enabled`
 * (`nacos.core.auth.enabled`); login, admin initialisation and management work either way.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import { badRequest, NacosError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { PersistentStore, StoreWrite } from '../persistence/persistent-store.js';
import { AuthState, authKeys, SECRET_KEY } from './auth-state.js';
import { BcryptPool, PoolBusyError, type PasswordHasher } from './bcrypt-pool.js';
import { CredentialCache } from './credential-cache.js';
import { authBusy, AuthError, BAD_CREDENTIALS, LOCKED_OUT } from './errors.js';
import { LoginThrottle } from './login-throttle.js';
import { passwordCheckLimits, type PasswordCheckLimits } from './password-limits.js';
import { PasswordVerifier, type Verdict } from './password-verifier.js';
import { DEFAULT_BCRYPT_COST, MAX_PASSWORD_BYTES } from './passwords.js';
import { PERMISSION_ACTIONS, permits, ROLE_ADMIN, type Action, type NamingResource, type Permission, type PermissionAction } from './permissions.js';
import { decodeSecret, MIN_SECRET_BYTES, TokenCodec } from './tokens.js';

/** What an endpoint requires: nothing, any known user, read or write on its naming resource, or ROLE_ADMIN. */
export type Access = 'open' | 'user' | 'read' | 'write' | 'admin';

/** Credentials as a request presents them (docs/protocol/http.md §4.3). */
export interface Credentials {
  /** `Authorization` header/parameter (`Bearer <jwt>`). */
  readonly authorization?: string | undefined;
  readonly accessToken?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** The caller's network address (TCP peer), for failed-login throttling; not a credential. */
  readonly source?: string | undefined;
}

export interface Identity {
  readonly username: string;
  readonly globalAdmin: boolean;
}

export interface LoginResult {
  readonly accessToken: string;
  readonly tokenTtl: number;
  readonly globalAdmin: boolean;
  readonly username: string;
}

export interface Page<T> {
  totalCount: number;
  pageNumber: number;
  pagesAvailable: number;
  pageItems: T[];
}

export interface AuthServiceOptions {
  readonly store: PersistentStore;
  readonly clock: Pick<Clock, 'now' | 'monotonic'>;
  readonly log: Logger;
  /** `nacos.core.auth.enabled`. */
  readonly enabled: boolean;
  /** `nacos.core.auth.plugin.nacos.token.expire.seconds`. */
  readonly tokenTtlSeconds: number;
  /** `nacos.core.auth.plugin.nacos.token.secret.key` (Base64, ≥ 32 bytes) or '' to generate one. */
  readonly secretKey: string;
  /** `nomen.auth.admin.initial-password`: creates `nacos` as admin at start while no admin exists. */
  readonly initialAdminPassword?: string;
  /** bcrypt cost (default 10, as Nacos); tests use 4. */
  readonly bcryptCost?: number;
  /** Pool, cache and lockout limits; each defaults to its config key's default. */
  readonly passwordChecks?: Partial<PasswordCheckLimits>;
  /** Runs bcrypt; default a worker pool sized by `passwordChecks`. Tests inject a counting fake. */
  readonly hasher?: PasswordHasher;
  /** Waits before a refusal made without bcrypt (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The admin user Nacos 3 initialises (docs/protocol/http.md §4.4). */
export const ADMIN_USERNAME = 'nacos';
/** Token string answered by login when auth is off and no secret exists (Nacos does the same). */
export const AUTH_DISABLED_TOKEN = 'AUTH_DISABLED';

/** 1..128 characters, no whitespace and no control characters. */
const NAME_RE = /^[^\s\p{Cc}]{1,128}$/u;
const CACHE_LIMIT = 10_000;

export class AuthService {
  readonly enabled: boolean;
  readonly state: AuthState;
  private readonly tokens: TokenCodec;
  private readonly configuredSecret: Uint8Array | null;
  private readonly bcryptCost: number;
  /** token → subject and expiry, for tokens whose signature was checked. */
  private readonly tokenCache = new Map<string, { username: string; exp: number }>();
  private readonly hasher: PasswordHasher;
  private readonly credentialCache: CredentialCache;
  private readonly throttle: LoginThrottle;
  private readonly passwords: PasswordVerifier;
  private readonly refusalDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Serialises admin initialisation and secret generation within this member. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: AuthServiceOptions) {
    this.enabled = opts.enabled;
    this.state = new AuthState(opts.log);
    this.tokens = new TokenCodec(opts.clock, opts.tokenTtlSeconds);
    this.bcryptCost = opts.bcryptCost ?? DEFAULT_BCRYPT_COST;
    const limits = { ...passwordCheckLimits(), ...opts.passwordChecks };
    this.refusalDelayMs = limits.refusalDelayMs;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.hasher = opts.hasher ?? new BcryptPool({ workers: limits.bcryptWorkers, maxQueue: limits.bcryptMaxQueue, nice: limits.bcryptNice });
    this.credentialCache = new CredentialCache(opts.clock, limits.cacheTtlMs, limits.cacheMaxEntries);
    this.throttle = new LoginThrottle({
      clock: opts.clock,
      maxFailuresPerSource: limits.maxFailuresPerSource,
      maxFailuresPerUser: limits.maxFailuresPerUser,
      windowMs: limits.lockoutWindowMs,
      lockMs: limits.lockoutMs,
      maxEntries: limits.lockoutMaxTracked,
    });
    this.passwords = new PasswordVerifier({
      hasher: this.hasher,
      throttle: this.throttle,
      cache: this.credentialCache,
      storedHash: (u) => this.state.user(u)?.password,
      dummyCost: this.bcryptCost,
    });
    if (opts.secretKey.trim() !== '') {
      this.configuredSecret = decodeSecret(opts.secretKey);
      if (!this.configuredSecret) {
        throw new ConfigError(`nacos.core.auth.plugin.nacos.token.secret.key must be the Base64 encoding of at least ${MIN_SECRET_BYTES} bytes`);
      }
    } else {
      this.configuredSecret = null;
    }
  }

  /** Applies committed store writes (the auth tables; other tables are ignored). */
  apply(batch: readonly StoreWrite[]): void {
    this.state.apply(batch);
    // A changed or deleted user: its verified passwords go, and a new password starts unlocked.
    for (const w of batch) {
      if (w.table !== 'user') continue;
      this.credentialCache.forget(w.key);
      this.throttle.succeeded(w.key);
    }
  }

  /** Stops the bcrypt workers. */
  close(): Promise<void> {
    return this.hasher.close();
  }

  /** Start-up: creates the admin from `nomen.auth.admin.initial-password` if none exists yet. */
  async bootstrap(): Promise<void> {
    const pw = this.opts.initialAdminPassword ?? '';
    if (this.enabled && this.opts.secretKey.trim() === '') {
      this.opts.log.warn('auth is on and nacos.core.auth.plugin.nacos.token.secret.key is not set: a generated secret is stored in the data directory (see docs/auth.md)');
    }
    if (pw === '' || this.state.hasAdmin()) return;
    const created = await this.initAdmin(pw);
    if (created) this.opts.log.info({ username: created.username }, 'admin user created from nomen.auth.admin.initial-password');
  }

  /** `auth_admin_request` of the server state: auth is on and no admin exists yet. */
  adminRequest(): boolean {
    return this.enabled && !this.state.hasAdmin();
  }

  // ---- identity and permission ------------------------------------------------------------------

  /** Token first (`Authorization: Bearer`, then `accessToken`), else user name and password. Throws AuthError. */
  async identify(c: Credentials): Promise<Identity> {
    const bearer = c.authorization?.startsWith('Bearer ') ? c.authorization.slice(7).trim() : undefined;
    const token = bearer || c.accessToken?.trim();
    let username: string;
    if (token) {
      username = (await this.verifyToken(token)).username;
      if (!this.state.user(username)) throw AuthError.identity('user not found!');
    } else if (c.username && c.password !== undefined) {
      const v = await this.checkPassword(c.username, c.password, c.source);
      if (v.kind === 'busy') throw authBusy();
      if (v.kind !== 'ok') throw AuthError.identity(v.kind === 'locked' ? LOCKED_OUT : BAD_CREDENTIALS);
      username = c.username;
    } else {
      throw AuthError.identity('user not found!');
    }
    return { username, globalAdmin: this.state.isAdmin(username) };
  }

  /** Throws AuthError (`authorization failed!`) unless `id` may access `resource` as `access` requires. */
  authorize(id: Identity, access: Access, resource?: NamingResource): void {
    if (access === 'open' || access === 'user' || id.globalAdmin) return;
    if (access === 'admin' || resource === undefined) throw AuthError.permission();
    const action: Action = access === 'read' ? 'r' : 'w';
    for (const role of this.state.rolesOf(id.username)) {
      for (const p of this.state.permissionsOf(role)) if (permits(p, resource, action)) return;
    }
    throw AuthError.permission();
  }

  /** `source`: the caller's address, for failed-login throttling. */
  async login(username: string | undefined, password: string | undefined, source?: string): Promise<LoginResult> {
    const v: Verdict = !username || password === undefined ? { kind: 'bad' } : await this.checkPassword(username, password, source);
    if (v.kind === 'busy') throw authBusy();
    if (v.kind !== 'ok' || !username) throw new NacosError(403, v.kind === 'locked' ? LOCKED_OUT : BAD_CREDENTIALS, 10001);
    const globalAdmin = this.state.isAdmin(username);
    const secret = this.enabled ? await this.ensureSecret() : this.existingSecret();
    if (!secret) return { accessToken: AUTH_DISABLED_TOKEN, tokenTtl: this.opts.tokenTtlSeconds, globalAdmin, username };
    const t = await this.tokens.sign(username, secret);
    return { accessToken: t.token, tokenTtl: t.ttlSeconds, globalAdmin, username };
  }

  private async verifyToken(token: string): Promise<{ username: string; exp: number }> {
    const nowS = this.opts.clock.now() / 1000;
    const cached = this.tokenCache.get(token);
    if (cached) {
      if (cached.exp <= nowS) throw AuthError.identity('token expired!');
      return cached;
    }
    const secret = this.existingSecret();
    if (!secret) throw AuthError.identity('token invalid!');
    const v = await this.tokens.verify(token, secret);
    if (this.tokenCache.size >= CACHE_LIMIT) this.tokenCache.clear();
    this.tokenCache.set(token, v);
    return v;
  }

  private existingSecret(): Uint8Array | null {
    if (this.configuredSecret) return this.configuredSecret;
    const stored = this.state.storedSecret();
    return stored === null ? null : decodeSecret(stored);
  }

  /** The configured secret, else the stored one, else a new random one stored first (first write wins). */
  private ensureSecret(): Promise<Uint8Array> {
    return this.serialised(async () => {
      const have = this.existingSecret();
      if (have) return have;
      await this.opts.store.write([{ table: 'authKey', key: SECRET_KEY, value: { secret: randomBytes(32).toString('base64') } }]);
      const now = this.existingSecret();
      if (!now) throw new NacosError(500, 'token secret could not be stored');
      this.opts.log.info('generated and stored a token secret');
      return now;
    });
  }

  /**
   * The verdict of password-verifier.ts; refusals made without bcrypt (locked out, queue full) are
   * answered only after `refusalDelayMs` (a tarpit, as Nacos delays its TPS-limit answers), so a
   * client retrying at once cannot turn cheap refusals into a request flood.
   */
  private async checkPassword(username: string, password: string, source: string | undefined): Promise<Verdict> {
    const v = await this.passwords.verify(username, password, source);
    if ((v.kind === 'locked' || v.kind === 'busy') && this.refusalDelayMs > 0) await this.sleep(this.refusalDelayMs);
    return v;
  }

  /** bcrypt in the worker pool (never on the event loop); a full queue answers 503. */
  private async hashPassword(password: string): Promise<string> {
    try {
      return await this.hasher.hash(password, this.bcryptCost);
    } catch (e) {
      if (e instanceof PoolBusyError) throw authBusy();
      throw e;
    }
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  // ---- management -------------------------------------------------------------------------------

  /**
   * Creates user `nacos` with ROLE_ADMIN while no admin exists (Nacos 3 has no default password).
   * Returns null once an admin exists. Without a password a random one is generated and returned.
   */
  initAdmin(password?: string): Promise<{ username: string; password: string } | null> {
    return this.serialised(async () => {
      if (this.state.hasAdmin()) return null;
      const pw = password === undefined || password === '' ? randomBytes(9).toString('base64url') : checkPassword(password);
      const hash = await this.hashPassword(pw);
      await this.opts.store.write([
        { table: 'user', key: authKeys.user(ADMIN_USERNAME), value: { password: hash } },
        { table: 'role', key: authKeys.role(ROLE_ADMIN, ADMIN_USERNAME), value: {} },
      ]);
      this.opts.log.info({ username: ADMIN_USERNAME }, 'admin user initialised');
      return { username: ADMIN_USERNAME, password: pw };
    });
  }

  /**
   * `check()` on this member's state; when it fails, once more after this member caught up with
   * every write acknowledged anywhere (PersistentStore.sync), so a user, role or permission just
   * written through another member is found (read-your-writes across members).
   */
  private async synced(check: () => boolean): Promise<boolean> {
    if (check()) return true;
    if (!this.opts.store.sync) return false;
    await this.opts.store.sync();
    return check();
  }

  async createUser(username: string, password: string): Promise<void> {
    checkName(username, 'username');
    checkPassword(password);
    if (this.state.user(username)) throw badRequest(`user '${username}' already exist!`);
    const hash = await this.hashPassword(password);
    await this.opts.store.write([{ table: 'user', key: authKeys.user(username), value: { password: hash } }]);
  }

  async deleteUser(username: string): Promise<void> {
    if (!(await this.synced(() => this.state.user(username) !== undefined))) throw badRequest(`user '${username}' not found!`);
    if (this.state.isAdmin(username)) throw badRequest(`cannot delete admin: ${username}`);
    const writes: StoreWrite[] = [{ table: 'user', key: authKeys.user(username), value: null }];
    for (const role of this.state.rolesOf(username)) writes.push({ table: 'role', key: authKeys.role(role, username), value: null });
    await this.opts.store.write(writes);
  }

  async updatePassword(username: string, newPassword: string): Promise<void> {
    checkPassword(newPassword);
    if (!(await this.synced(() => this.state.user(username) !== undefined))) throw badRequest(`user ${username} not exist!`);
    const hash = await this.hashPassword(newPassword);
    await this.opts.store.write([{ table: 'user', key: authKeys.user(username), value: { password: hash } }]);
  }

  async addRole(role: string, username: string): Promise<void> {
    checkName(role, 'role');
    if (role === ROLE_ADMIN) throw badRequest(`role '${ROLE_ADMIN}' is not permitted to create!`);
    if (!(await this.synced(() => this.state.user(username) !== undefined))) throw badRequest(`user '${username}' not found!`);
    if (this.state.rolesOf(username).has(role)) throw badRequest(`user '${username}' already bound to the role '${role}'!`);
    await this.opts.store.write([{ table: 'role', key: authKeys.role(role, username), value: {} }]);
  }

  /** Removes one grant, or (without `username`) the role with all its grants and permissions. */
  async deleteRole(role: string, username?: string): Promise<void> {
    if (role === ROLE_ADMIN) throw badRequest(`role '${ROLE_ADMIN}' cannot be deleted`);
    const writes: StoreWrite[] = [];
    if (username !== undefined) {
      if (!(await this.synced(() => this.state.rolesOf(username).has(role)))) throw badRequest(`user '${username}' is not bound to the role '${role}'`);
      writes.push({ table: 'role', key: authKeys.role(role, username), value: null });
    } else {
      if (!(await this.synced(() => this.state.roleExists(role)))) throw badRequest(`role ${role} not found!`);
      for (const g of this.state.allGrants()) if (g.role === role) writes.push({ table: 'role', key: authKeys.role(role, g.username), value: null });
      for (const p of this.state.permissionsOf(role)) writes.push({ table: 'permission', key: authKeys.permission(role, p.resource, p.action), value: null });
    }
    await this.opts.store.write(writes);
  }

  async addPermission(role: string, resource: string, action: string): Promise<void> {
    const a = checkAction(action);
    if (resource.trim() === '' || resource.length > 512) throw badRequest('resource must be 1..512 characters');
    if (!(await this.synced(() => this.state.roleExists(role)))) throw badRequest(`role ${role} not found!`);
    if (this.state.hasPermission(role, resource, a)) throw badRequest(`permission ${role} ${resource} ${a} already exist!`);
    await this.opts.store.write([{ table: 'permission', key: authKeys.permission(role, resource, a), value: {} }]);
  }

  async deletePermission(role: string, resource: string, action: string): Promise<void> {
    const a = checkAction(action);
    if (!(await this.synced(() => this.state.hasPermission(role, resource, a)))) throw badRequest(`permission ${role} ${resource} ${a} not found!`);
    await this.opts.store.write([{ table: 'permission', key: authKeys.permission(role, resource, a), value: null }]);
  }

  /** `search=blur`: substring match; otherwise exact (Nacos `accurate`). */
  listUsers(pageNo: number, pageSize: number, username: string | undefined, blur: boolean): Page<{ username: string }> {
    const items = this.state
      .allUsers()
      .filter((u) => matches(u.username, username, blur))
      .map((u) => ({ username: u.username }));
    return page(items, pageNo, pageSize);
  }

  listRoles(pageNo: number, pageSize: number, username: string | undefined, role: string | undefined, blur: boolean): Page<{ role: string; username: string }> {
    const items = this.state.allGrants().filter((g) => matches(g.username, username, blur) && matches(g.role, role, blur));
    return page(items, pageNo, pageSize);
  }

  listPermissions(pageNo: number, pageSize: number, role: string | undefined, blur: boolean): Page<Permission> {
    const items = this.state.allPermissions().filter((p) => matches(p.role, role, blur));
    return page(
      items.map((p) => ({ role: p.role, resource: p.resource, action: p.action })),
      pageNo,
      pageSize,
    );
  }

  searchUsers(part: string): string[] {
    return this.state
      .allUsers()
      .map((u) => u.username)
      .filter((n) => n.includes(part));
  }

  searchRoles(part: string): string[] {
    return [...new Set(this.state.allGrants().map((g) => g.role))].filter((r) => r.includes(part));
  }
}

function matches(value: string, filter: string | undefined, blur: boolean): boolean {
  if (filter === undefined || filter === '') return true;
  return blur ? value.includes(filter) : value === filter;
}

function page<T>(items: T[], pageNo: number, pageSize: number): Page<T> {
  if (pageNo < 1 || pageSize < 1) throw badRequest('pageNo and pageSize must be positive');
  return {
    totalCount: items.length,
    pageNumber: pageNo,
    pagesAvailable: Math.ceil(items.length / pageSize),
    pageItems: items.slice((pageNo - 1) * pageSize, pageNo * pageSize),
  };
}

function checkName(v: string, what: string): void {
  if (!NAME_RE.test(v)) throw badRequest(`${what} must be 1..128 characters without whitespace`);
}

function checkPassword(pw: string): string {
  if (pw === '' || Buffer.byteLength(pw) > MAX_PASSWORD_BYTES) throw badRequest(`password must be 1..${MAX_PASSWORD_BYTES} bytes`);
  return pw;
}

function checkAction(action: string): PermissionAction {
  if (!(PERMISSION_ACTIONS as readonly string[]).includes(action)) throw badRequest(`action must be one of ${PERMISSION_ACTIONS.join(', ')}`);
  return action as PermissionAction;
}
