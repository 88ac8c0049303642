/**
 * The replicated auth data: users, role grants and permissions, plus a generated token secret.
 * Written through the PersistentStore (tables `user`, `role`, `permission`, `authKey`) and applied
 * here on every member for every committed batch (and at start for the stored entries), so a Raft
 * store replicates it like the naming metadata. Key layout (docs/auth.md):
 *
 * | table | key | value |
 * |---|---|---|
 * | `user` | username | `{"password":"<bcrypt hash>"}` |
 * | `role` | `["<role>","<username>"]` (JSON) | `{}` |
 * | `permission` | `["<role>","<resource>","<action>"]` (JSON) | `{}` |
 * | `authKey` | `token.secret.key` | `{"secret":"<base64>"}` — first write wins |
 */
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { StoreWrite } from '../persistence/persistent-store.js';
import { PERMISSION_ACTIONS, ROLE_ADMIN, type Permission, type PermissionAction } from './permissions.js';

export const SECRET_KEY = 'token.secret.key';

export const authKeys = {
  user: (username: string) => username,
  role: (role: string, username: string) => JSON.stringify([role, username]),
  permission: (role: string, resource: string, action: string) => JSON.stringify([role, resource, action]),
};

const UserValue = z.object({ password: z.string().min(1) });
const SecretValue = z.object({ secret: z.string().min(1) });
const RoleKey = z.tuple([z.string().min(1), z.string().min(1)]);
const PermissionKey = z.tuple([z.string().min(1), z.string().min(1), z.enum(PERMISSION_ACTIONS)]);

/** Why AuthState could not apply `w` (null: it can, or it is not an auth table). Same schemas as `apply`. */
export function checkAuthWrite(w: Pick<StoreWrite, 'table' | 'key' | 'value'>): string | null {
  const r = (() => {
    switch (w.table) {
      case 'user':
        return w.value === null ? null : UserValue.safeParse(w.value);
      case 'role':
        return RoleKey.safeParse(jsonOrUndefined(w.key));
      case 'permission':
        return PermissionKey.safeParse(jsonOrUndefined(w.key));
      case 'authKey':
        return w.value === null ? null : SecretValue.safeParse(w.value);
      default:
        return null;
    }
  })();
  return r === null || r.success ? null : `${w.table} ${w.key}: ${r.error.issues[0]?.message ?? 'invalid'}`;
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface StoredUser {
  readonly username: string;
  /** bcrypt hash. */
  readonly password: string;
}

export interface RoleGrant {
  readonly role: string;
  readonly username: string;
}

function parseKey<T>(schema: z.ZodType<T>, key: string): T {
  return schema.parse(JSON.parse(key));
}

export class AuthState {
  private readonly users = new Map<string, StoredUser>();
  /** username → roles. */
  private readonly rolesByUser = new Map<string, Set<string>>();
  /** role → permission key → permission. */
  private readonly permsByRole = new Map<string, Map<string, Permission>>();
  private secret: string | null = null;
  private version = 0;

  constructor(private readonly log: Logger) {}

  /** Bumped by every applied change: lets caches notice. */
  get revision(): number {
    return this.version;
  }

  apply(batch: readonly StoreWrite[]): void {
    for (const w of batch) {
      try {
        this.applyOne(w);
      } catch (e) {
        this.log.error({ err: e, table: w.table, key: w.key }, 'auth entry could not be applied');
      }
    }
  }

  private applyOne(w: StoreWrite): void {
    switch (w.table) {
      case 'user':
        if (w.value === null) this.users.delete(w.key);
        else this.users.set(w.key, { username: w.key, password: UserValue.parse(w.value).password });
        break;
      case 'role': {
        const [role, username] = parseKey(RoleKey, w.key);
        let set = this.rolesByUser.get(username);
        if (w.value === null) {
          set?.delete(role);
          if (set?.size === 0) this.rolesByUser.delete(username);
        } else {
          if (!set) this.rolesByUser.set(username, (set = new Set()));
          set.add(role);
        }
        break;
      }
      case 'permission': {
        const [role, resource, action] = parseKey(PermissionKey, w.key);
        let map = this.permsByRole.get(role);
        if (w.value === null) {
          map?.delete(w.key);
          if (map?.size === 0) this.permsByRole.delete(role);
        } else {
          if (!map) this.permsByRole.set(role, (map = new Map()));
          map.set(w.key, { role, resource, action });
        }
        break;
      }
      case 'authKey':
        // First write wins: every member applies batches in the same order, so all keep the same secret.
        if (w.key === SECRET_KEY && w.value !== null && this.secret === null) this.secret = SecretValue.parse(w.value).secret;
        break;
      default:
        return;
    }
    this.version++;
  }

  user(username: string): StoredUser | undefined {
    return this.users.get(username);
  }

  allUsers(): StoredUser[] {
    return [...this.users.values()].sort((a, b) => cmp(a.username, b.username));
  }

  rolesOf(username: string): ReadonlySet<string> {
    return this.rolesByUser.get(username) ?? EMPTY;
  }

  isAdmin(username: string): boolean {
    return this.rolesOf(username).has(ROLE_ADMIN);
  }

  /** Some user holds ROLE_ADMIN. */
  hasAdmin(): boolean {
    for (const roles of this.rolesByUser.values()) if (roles.has(ROLE_ADMIN)) return true;
    return false;
  }

  roleExists(role: string): boolean {
    for (const roles of this.rolesByUser.values()) if (roles.has(role)) return true;
    return false;
  }

  allGrants(): RoleGrant[] {
    const out: RoleGrant[] = [];
    for (const [username, roles] of this.rolesByUser) for (const role of roles) out.push({ role, username });
    return out.sort((a, b) => cmp(a.role, b.role) || cmp(a.username, b.username));
  }

  permissionsOf(role: string): Permission[] {
    return [...(this.permsByRole.get(role)?.values() ?? [])];
  }

  allPermissions(): Permission[] {
    const out: Permission[] = [];
    for (const m of this.permsByRole.values()) out.push(...m.values());
    return out.sort((a, b) => cmp(a.role, b.role) || cmp(a.resource, b.resource) || cmp(a.action, b.action));
  }

  hasPermission(role: string, resource: string, action: PermissionAction): boolean {
    return this.permsByRole.get(role)?.has(authKeys.permission(role, resource, action)) ?? false;
  }

  /** The generated (stored) token secret, Base64. */
  storedSecret(): string | null {
    return this.secret;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
