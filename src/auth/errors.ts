import { NacosError } from '../core/errors.js';

/**
 * A refused request. Nacos words them `Code: 401, Message: <reason>.` when the caller could not be
 * identified and `Code: 403, Message: authorization failed!.` when it lacks the permission; both
 * travel as HTTP 403 (gRPC errorCode 403, v2/v3 code 10001) (docs/protocol/http.md §4.3, docs/protocol/grpc.md §6).
 */
export class AuthError extends NacosError {
  private constructor(
    readonly kind: 'identity' | 'permission',
    readonly reason: string,
  ) {
    super(403, `Code: ${kind === 'identity' ? 401 : 403}, Message: ${reason}.`, 10001);
    this.name = 'AuthError';
  }

  static identity(reason: string): AuthError {
    return new AuthError('identity', reason);
  }

  static permission(): AuthError {
    return new AuthError('permission', 'authorization failed!');
  }
}

/** Login with a wrong user name or password (Nacos' words). */
export const BAD_CREDENTIALS = 'User not found! Please check user exist or password is right!';

/** A password check refused because the source or the user name is locked out (docs/auth.md). */
export const LOCKED_OUT = 'too many failed logins, try again later!';

/**
 * The bcrypt queue is full (docs/auth.md "Password checks"): refused without checking. Worded and
 * numbered like Nacos' own overload answer (TPS control: HTTP 503, gRPC errorCode 503).
 */
export function authBusy(): NacosError {
  return new NacosError(503, 'Tps Flow restricted:too many password checks in progress, try again later');
}
