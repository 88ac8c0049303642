/**
 * The SDK port's auth filter (docs/protocol/grpc.md §6), plugged into SdkGrpcServer as its `authorize`
 * hook when auth is on. Naming writes (Instance, BatchInstance, PersistentInstance) need `w`,
 * reads (ServiceQuery, Subscribe, ServiceList) need `r`, on the service the handler resolves from
 * the same fields with the same function (naming-scope.ts), or on the whole group for ServiceList.
 * Config publish/remove need `w`, query and batch listen `r`, on `<ns>:<group>:config/<dataId>`
 * (config-scope.ts).
 * A body that names no service (a grouped `serviceName`) is refused with the handler's typed 400.
 * Credentials come from the request headers (`Metadata.headers`): `accessToken` (what the SDKs
 * send after their HTTP login), `Authorization: Bearer`, or `username` + `password`. Other request
 * types (HealthCheck...) are never checked. A refusal is the expected response type with
 * resultCode 500, errorCode 403 and Nacos' `Code: 401|403, Message: ….` text, or errorCode 503
 * `Tps Flow restricted:…` when the password checks are saturated. Password checks count failures
 * against the connection's TCP peer address (docs/auth.md "Password checks").
 */
import type { AuthService } from '../../auth/auth-service.js';
import type { NamingResource } from '../../auth/permissions.js';
import { NacosError } from '../../core/errors.js';
import { CONFIG_ACCESS, configGrpcResources } from './config-scope.js';
import { grpcResource, NAMING_ACCESS } from './naming-scope.js';
import type { RequestAuthorizer } from './sdk-server.js';
import type { TypedMessage } from '../../wire/codec.js';

export function grpcAuthorizer(auth: AuthService, responseTypeOf: (requestType: string) => string): RequestAuthorizer {
  const refuse = (type: string, errorCode: number, message: string): TypedMessage => ({
    type: responseTypeOf(type),
    body: { resultCode: 500, errorCode, message, requestId: null, success: false },
  });
  return async (type, body, ctx) => {
    const need = NAMING_ACCESS[type];
    const configAccess = CONFIG_ACCESS[type];
    if (!need && !configAccess) return null;
    const h = ctx.headers;
    try {
      const credentials = { authorization: h['Authorization'], accessToken: h['accessToken'], username: h['username'], password: h['password'] };
      const id = await auth.identify({ ...credentials, source: ctx.connection.remoteIp });
      if (configAccess) {
        for (const r of configGrpcResources(type, body)) auth.authorize(id, configAccess, r);
        return null;
      }
      let resource: NamingResource | undefined;
      try {
        resource = grpcResource(need!.scope, body);
      } catch (e) {
        if (e instanceof NacosError) return refuse(type, e.status, e.message);
        throw e;
      }
      auth.authorize(id, need!.access, resource);
      return null;
    } catch (e) {
      // AuthError (403), or 503 when the password checks are saturated (Nacos' TPS-limit answer).
      if (!(e instanceof NacosError)) throw e;
      return refuse(type, e.status, e.message);
    }
  };
}
