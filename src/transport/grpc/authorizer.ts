/**
 * The SDK port's auth filter (docs/protocol/grpc.md §6), plugged into SdkGrpcServer as its `authorize`
 * hook when auth is on. Naming writes (Instance, BatchInstance, PersistentInstance) need `w`,
 * reads (ServiceQuery, Subscribe, ServiceList) need `r` on `namespace:group:naming/service`.
 * Credentials come from the request headers (`Metadata.headers`): `accessToken` (what the SDKs
 * send after their HTTP login), `Authorization: Bearer`, or `username` + `password`. Other request
 * types (HealthCheck...) are never checked. A refusal is the expected response type with
 * resultCode 500, errorCode 403 and Nacos' `Code: 401|403, Message: ….` text.
 */
import type { AuthService } from '../../auth/auth-service.js';
import { AuthError } from '../../auth/errors.js';
import { namingResource } from '../../auth/permissions.js';
import type { RequestAuthorizer } from './sdk-server.js';

const ACCESS: Readonly<Record<string, 'read' | 'write'>> = {
  InstanceRequest: 'write',
  BatchInstanceRequest: 'write',
  PersistentInstanceRequest: 'write',
  ServiceQueryRequest: 'read',
  SubscribeServiceRequest: 'read',
  ServiceListRequest: 'read',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function grpcAuthorizer(auth: AuthService, responseTypeOf: (requestType: string) => string): RequestAuthorizer {
  return async (type, body, ctx) => {
    const access = ACCESS[type];
    if (!access) return null;
    const h = ctx.headers;
    try {
      const id = await auth.identify({ authorization: h['Authorization'], accessToken: h['accessToken'], username: h['username'], password: h['password'] });
      auth.authorize(id, access, namingResource(str(body['namespace']), str(body['groupName']), str(body['serviceName'])));
      return null;
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      return { type: responseTypeOf(type), body: { resultCode: 500, errorCode: 403, message: e.message, requestId: null, success: false } };
    }
  };
}
