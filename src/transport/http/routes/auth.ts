/**
 * Login, first-admin initialisation and user / role / permission management (docs/protocol/http.md §4.2,
 * §4.4), in the 2.x shapes under `/nacos/v1/auth/**` (RestResult or bare JSON, text errors) and
 * the 3.x shapes under `/nacos/v3/auth/**` (Result). What each needs is in auth-rules.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { z } from 'zod';
import type { AuthService, LoginResult } from '../../../auth/auth-service.js';
import { AuthError } from '../../../auth/errors.js';
import { identityOf } from '../auth-filter.js';
import { intOr, optStr, parseParams, reqStr, strOr } from '../fields.js';
import { JSON_TYPE } from '../errors.js';
import { paramsOf, sendJson, sendRestResult, sendResult } from '../kit.js';

const PageSchema = { pageNo: intOr(1), pageSize: intOr(100), search: strOr('accurate') };
const UserCreate = z.object({ username: reqStr('username'), password: reqStr('password') });
const UserDelete = z.object({ username: reqStr('username') });
const UserUpdate = z.object({ username: reqStr('username'), newPassword: reqStr('newPassword') });
const UserList = z.object({ ...PageSchema, username: optStr() });
const UserSearch = z.object({ username: strOr('') });
const RoleCreate = z.object({ role: reqStr('role'), username: reqStr('username') });
const RoleDelete = z.object({ role: reqStr('role'), username: optStr() });
const RoleList = z.object({ ...PageSchema, username: optStr(), role: optStr() });
const RoleSearch = z.object({ role: strOr('') });
const PermissionChange = z.object({ role: reqStr('role'), resource: reqStr('resource'), action: reqStr('action') });
const PermissionList = z.object({ ...PageSchema, role: optStr() });

/** Nacos' texts: v1 `UserController` has no full stop, v3 `UserControllerV3` has one (docs/compatibility.md §D10). */
const ADMIN_EXISTS = 'have admin user cannot use it';
const ADMIN_EXISTS_V3 = 'have admin user cannot use it.';

/** One management operation: parameters in, `data` out. */
type Op = (req: FastifyRequest) => Promise<unknown>;

function sendLogin(reply: FastifyReply, r: LoginResult): FastifyReply {
  return reply.header('Authorization', `Bearer ${r.accessToken}`).code(200).type(JSON_TYPE).send(JSON.stringify(r));
}

export function authRoutes(app: FastifyInstance, auth: AuthService): void {
  const login = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = paramsOf(req);
    return sendLogin(reply, await auth.login(p.get('username'), p.raw('password'), req.ip));
  };
  for (const url of ['/nacos/v1/auth/login', '/nacos/v1/auth/users/login', '/nacos/v3/auth/user/login']) app.post(url, login);

  const adminInit = (v3: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    const pw = paramsOf(req).raw('password');
    const created = await auth.initAdmin(pw);
    if (!created) return reply.code(409).type(JSON_TYPE).send(JSON.stringify({ code: 409, message: v3 ? ADMIN_EXISTS_V3 : ADMIN_EXISTS, data: null }));
    return v3 ? sendResult(reply, created) : sendJson(reply, created);
  };
  app.post('/nacos/v1/auth/users/admin', adminInit(false));
  app.post('/nacos/v3/auth/user/admin', adminInit(true));

  const ops = {
    createUser: async (req) => {
      const f = parseParams(UserCreate, paramsOf(req));
      await auth.createUser(f.username, f.password);
      return 'create user ok!';
    },
    deleteUser: async (req) => {
      await auth.deleteUser(parseParams(UserDelete, paramsOf(req)).username);
      return 'delete user ok!';
    },
    updateUser: async (req) => {
      const f = parseParams(UserUpdate, paramsOf(req));
      // With auth on, a user may change only its own password; an admin any.
      const id = identityOf(req);
      if (auth.enabled && (!id || (!id.globalAdmin && id.username !== f.username))) throw AuthError.permission();
      await auth.updatePassword(f.username, f.newPassword);
      return 'update user ok!';
    },
    listUsers: async (req) => {
      const f = parseParams(UserList, paramsOf(req));
      return auth.listUsers(f.pageNo, f.pageSize, f.username, f.search === 'blur');
    },
    searchUsers: async (req) => auth.searchUsers(parseParams(UserSearch, paramsOf(req)).username),
    addRole: async (req) => {
      const f = parseParams(RoleCreate, paramsOf(req));
      await auth.addRole(f.role, f.username);
      return 'add role ok!';
    },
    deleteRole: async (req) => {
      const f = parseParams(RoleDelete, paramsOf(req));
      await auth.deleteRole(f.role, f.username);
      return f.username === undefined ? 'delete role ok!' : `delete role of user ${f.username} ok!`;
    },
    listRoles: async (req) => {
      const f = parseParams(RoleList, paramsOf(req));
      return auth.listRoles(f.pageNo, f.pageSize, f.username, f.role, f.search === 'blur');
    },
    searchRoles: async (req) => auth.searchRoles(parseParams(RoleSearch, paramsOf(req)).role),
    addPermission: async (req) => {
      const f = parseParams(PermissionChange, paramsOf(req));
      await auth.addPermission(f.role, f.resource, f.action);
      return 'add permission ok!';
    },
    deletePermission: async (req) => {
      const f = parseParams(PermissionChange, paramsOf(req));
      await auth.deletePermission(f.role, f.resource, f.action);
      return 'delete permission ok!';
    },
    listPermissions: async (req) => {
      const f = parseParams(PermissionList, paramsOf(req));
      return auth.listPermissions(f.pageNo, f.pageSize, f.role, f.search === 'blur');
    },
  } satisfies Record<string, Op>;

  // One row per operation: method, 2.x path and shape (messages in a RestResult, pages and
  // searches bare), 3.x path (everything in a Result).
  const table: [HTTPMethods, string, 'rest' | 'bare', string, Op][] = [
    ['POST', '/nacos/v1/auth/users', 'rest', '/nacos/v3/auth/user', ops.createUser],
    ['DELETE', '/nacos/v1/auth/users', 'rest', '/nacos/v3/auth/user', ops.deleteUser],
    ['PUT', '/nacos/v1/auth/users', 'rest', '/nacos/v3/auth/user', ops.updateUser],
    ['GET', '/nacos/v1/auth/users', 'bare', '/nacos/v3/auth/user/list', ops.listUsers],
    ['GET', '/nacos/v1/auth/users/search', 'bare', '/nacos/v3/auth/user/search', ops.searchUsers],
    ['POST', '/nacos/v1/auth/roles', 'rest', '/nacos/v3/auth/role', ops.addRole],
    ['DELETE', '/nacos/v1/auth/roles', 'rest', '/nacos/v3/auth/role', ops.deleteRole],
    ['GET', '/nacos/v1/auth/roles', 'bare', '/nacos/v3/auth/role/list', ops.listRoles],
    ['GET', '/nacos/v1/auth/roles/search', 'bare', '/nacos/v3/auth/role/search', ops.searchRoles],
    ['POST', '/nacos/v1/auth/permissions', 'rest', '/nacos/v3/auth/permission', ops.addPermission],
    ['DELETE', '/nacos/v1/auth/permissions', 'rest', '/nacos/v3/auth/permission', ops.deletePermission],
    ['GET', '/nacos/v1/auth/permissions', 'bare', '/nacos/v3/auth/permission/list', ops.listPermissions],
  ];
  for (const [method, v1Path, shape, v3Path, op] of table) {
    app.route({ method, url: v1Path, handler: async (req, reply) => (shape === 'rest' ? sendRestResult(reply, await op(req)) : sendJson(reply, await op(req))) });
    app.route({ method, url: v3Path, handler: async (req, reply) => sendResult(reply, await op(req)) });
  }
}
