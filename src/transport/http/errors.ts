/**
 * The one place where a failed HTTP request becomes a response (docs/protocol/http.md §0.4).
 *
 * Two families:
 * - `text`: v1 naming, v1 core/console — HTTP status = the error's status, body = its message as
 *   `text/plain` (Nacos' `ResponseExceptionHandler`).
 * - `result`: v2 / v3 — `{"code":<detail code>,"message":"<error abstract>","data":"<detail>"}`
 *   (Nacos' `NacosApiExceptionHandler`).
 *
 * Anything that is not a NacosError (fastify's own errors, bugs) is mapped here too, so a client
 * never sees a stack trace or fastify's default JSON error.
 */
import { NacosError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';

export type Family = 'text' | 'result';

export const TEXT_TYPE = 'text/plain;charset=UTF-8';
export const JSON_TYPE = 'application/json;charset=UTF-8';

/** `/nacos/v2/**` and `/nacos/v3/**` answer Result JSON; everything else plain text. */
export function familyOf(url: string): Family {
  return /^\/nacos\/v[23](\/|$|\?)/.test(url) ? 'result' : 'text';
}

/**
 * A required parameter is absent or blank. v1 says `Param 'ip' is required.` (WebUtils.required);
 * v2 says `Required parameter 'ip' type String is not present` with code 10000 (the forms'
 * `validate()`). `spring`: Nacos binds it with `@RequestParam`, so Spring's
 * `MissingServletRequestParameterException` answers instead: v2/v3 `Required request parameter 'ip'
 * for method parameter type String is not present` (code 10000), v1 naming `Parameter 'ip' is
 * missing` (docs/protocol/http.md §0.4).
 */
export class MissingParamError extends NacosError {
  constructor(
    readonly param: string,
    readonly javaType: string = 'String',
    readonly spring = false,
  ) {
    super(400, spring ? `Parameter '${param}' is missing` : `Param '${param}' is required.`, 10000);
    this.name = 'MissingParamError';
  }

  get v2Detail(): string {
    return this.spring
      ? `Required request parameter '${this.param}' for method parameter type ${this.javaType} is not present`
      : `Required parameter '${this.param}' type ${this.javaType} is not present`;
  }
}

/** The `message` abstract of each v2 ErrorCode (Nacos `ErrorCode` enum). */
const ERROR_ABSTRACT: Readonly<Record<number, string>> = {
  0: 'success',
  10000: 'parameter missing',
  10001: 'access denied',
  10002: 'data access error',
  5031: 'cluster capacity reach quota',
  5032: 'group capacity reach quota',
  5033: 'tenant capacity reach quota',
  20001: "'tenant' parameter error",
  20002: 'parameter validate error',
  20003: 'MediaType Error',
  20004: 'resource not found',
  20005: 'resource conflict',
  20009: 'parameter mismatch',
  21000: 'service name error',
  21001: 'weight error',
  21002: 'instance metadata error',
  21003: 'instance not found',
  21004: 'instance error',
  21005: 'service metadata error',
  21006: 'selector error',
  21007: 'service already exist',
  21008: 'service not exist',
  21009: 'service delete failure',
  21010: 'healthy param miss',
  21011: 'health check still running',
  22000: 'illegal namespace',
  22001: 'namespace not exist',
  22002: 'namespace already exist',
  23000: 'illegal state',
  23001: 'node info error',
  23002: 'node down failure',
  30000: 'server error',
  40000: 'API deprecated.',
  40001: 'API function disabled.',
};

export function errorAbstract(code: number): string {
  return ERROR_ABSTRACT[code] ?? 'server error';
}

export interface ErrorResponse {
  status: number;
  contentType: string;
  body: string;
}

/** Shape of fastify's own errors (FST_ERR_*) and http-errors style objects. */
interface StatusError {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
}

function asStatusError(e: unknown): { status: number; code: string; message: string } | null {
  if (typeof e !== 'object' || e === null) return null;
  const s = e as StatusError;
  if (typeof s.statusCode !== 'number' || s.statusCode < 400 || s.statusCode > 599) return null;
  return { status: s.statusCode, code: typeof s.code === 'string' ? s.code : '', message: typeof s.message === 'string' ? s.message : '' };
}

/** Maps any thrown value to the family's wire shape. Logs unexpected (5xx) errors. */
export function toErrorResponse(err: unknown, family: Family, log?: Logger): ErrorResponse {
  let status: number;
  let code: number;
  let detail: string;
  if (err instanceof MissingParamError) {
    status = 400;
    code = 10000;
    detail = family === 'text' ? err.message : err.v2Detail;
  } else if (err instanceof NacosError) {
    status = err.status;
    code = err.v2Code;
    detail = err.message;
  } else {
    const fe = asStatusError(err);
    if (fe && fe.status < 500) {
      // Fastify's request errors: body too large (413), bad content length, bad URL...
      status = fe.status;
      code = fe.status === 415 ? 20003 : 20002;
      detail = fe.message || 'Bad Request';
    } else {
      status = 500;
      code = 30000;
      detail = err instanceof Error ? err.message : String(err);
      log?.error({ err }, 'http request failed');
    }
  }
  if (status < 400 || status > 599) status = 500;
  if (family === 'text') return { status, contentType: TEXT_TYPE, body: detail };
  return { status, contentType: JSON_TYPE, body: JSON.stringify({ code, message: errorAbstract(code), data: detail }) };
}
