/**
 * zod field types for request parameters. A schema is a `z.object` of these over `Params.view()`
 * (trimmed strings, blank already removed). Each field reports failures as a custom issue that
 * carries the exact Nacos failure; `parseParams` throws the first one (fields are checked in shape
 * order, so a schema's key order is the order in which Nacos' controller reads its parameters).
 */
import { z } from 'zod';
import { NacosError, badRequest } from '../../core/errors.js';
import { MissingParamError } from './errors.js';
import { javaBool, javaDouble, javaInt, javaLong, lenientBool, numberFormatMessage, parseMetadata, type Params } from './params.js';

type ParamFailure = { kind: 'missing'; name: string; javaType: string; spring?: true } | { kind: 'invalid'; status: number; message: string; v2Code: number };

type Ctx = z.core.$RefinementCtx<string | undefined>;

function fail(ctx: Ctx, f: ParamFailure): never {
  ctx.addIssue({ code: 'custom', message: f.kind === 'missing' ? `Param '${f.name}' is required.` : f.message, params: f });
  return z.NEVER;
}

const missing = (name: string, javaType: string, spring = false): ParamFailure => ({ kind: 'missing', name, javaType, ...(spring ? { spring: true as const } : {}) });
/** NumberFormatException → v1 400 plain message, v2 400 code 20002 (docs/protocol/http.md §0.4). */
const nfe = (v: string): ParamFailure => ({ kind: 'invalid', status: 400, message: numberFormatMessage(v), v2Code: 20002 });

const input = () => z.string().optional();

/** Optional string. */
export const optStr = () => input();

/**
 * Required non-blank string (`WebUtils.required`, a form's `validate()`). `spring`: Nacos binds it
 * with Spring's `@RequestParam` instead, whose "missing" wording the error mapper then uses.
 */
export const reqStr = (name: string, spring = false) => input().transform((v, ctx) => (v === undefined ? fail(ctx, missing(name, 'String', spring)) : v));

/** Optional string with a default. */
export const strOr = (dflt: string) => input().transform((v) => v ?? dflt);

export const reqInt = (name: string, spring = false) =>
  input().transform((v, ctx) => {
    if (v === undefined) return fail(ctx, missing(name, 'Integer', spring));
    const n = javaInt(v);
    return n === null ? fail(ctx, nfe(v)) : n;
  });

export const intOr = (dflt: number) =>
  input().transform((v, ctx) => {
    if (v === undefined) return dflt;
    const n = javaInt(v);
    return n === null ? fail(ctx, nfe(v)) : n;
  });

export const optInt = () =>
  input().transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = javaInt(v);
    return n === null ? fail(ctx, nfe(v)) : n;
  });

export const longOr = (dflt: number) =>
  input().transform((v, ctx) => {
    if (v === undefined) return dflt;
    const n = javaLong(v);
    return n === null ? fail(ctx, nfe(v)) : n;
  });

export const optDouble = () =>
  input().transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = javaDouble(v);
    return n === null ? fail(ctx, nfe(v)) : n;
  });

/**
 * A number parsed like Java's `Double.parseDouble` that must be finite and in [min, max] — Nacos
 * stores whatever parses (NaN, Infinity, -5); Nomen refuses it at the edge (docs/bad-input.md).
 * `required` names the parameter for the "missing" answer; otherwise absent → undefined.
 */
export const rangedDouble = (name: string, min: number, max: number, required: boolean) =>
  input().transform((v, ctx): number | undefined => {
    if (v === undefined) return required ? fail(ctx, missing(name, 'Double')) : undefined;
    const n = javaDouble(v);
    if (n === null) return fail(ctx, nfe(v));
    if (!Number.isFinite(n) || n < min || n > max) return invalid(ctx, rangeMessage(name, min, max));
    return n;
  });

/** Optional integer in [min, max] (`Integer.parseInt`, then the range). */
export const rangedInt = (name: string, min: number, max: number, required: boolean) =>
  input().transform((v, ctx): number | undefined => {
    if (v === undefined) return required ? fail(ctx, missing(name, 'Integer')) : undefined;
    const n = javaInt(v);
    if (n === null) return fail(ctx, nfe(v));
    if (n < min || n > max) return invalid(ctx, rangeMessage(name, min, max));
    return n;
  });

/** The parameter checker's wording for a number out of range. */
export function rangeMessage(name: string, min: number, max: number): string {
  return `Param '${name}' is illegal, the value should be between ${min} and ${max}.`;
}

/** `ConvertUtils.toBoolean` with a default for absent values. */
export const lenientBoolOr = (dflt: boolean) => input().transform((v) => (v === undefined ? dflt : lenientBool(v)));

/** Optional lenient boolean (undefined when absent). */
export const optLenientBool = () => input().transform((v) => (v === undefined ? undefined : lenientBool(v)));

/** `Boolean.parseBoolean` with a default. */
export const javaBoolOr = (dflt: boolean) => input().transform((v) => (v === undefined ? dflt : javaBool(v)));

/** Required boolean, lenient. */
export const reqLenientBool = (name: string) =>
  input().transform((v, ctx) => (v === undefined ? fail(ctx, missing(name, 'Boolean')) : lenientBool(v)));

/** Metadata as JSON object text or `k=v,k2=v2` (docs/protocol/http.md §1.1); undefined when absent. */
export const metadataField = () =>
  input().transform((v, ctx) => {
    if (v === undefined) return undefined;
    try {
      return parseMetadata(v);
    } catch (e) {
      const err = e instanceof NacosError ? e : badRequest(String(e));
      return fail(ctx, { kind: 'invalid', status: err.status, message: err.message, v2Code: err.v2Code });
    }
  });

/** Any other validation inside a field transform. */
export const invalid = (ctx: Ctx, message: string, v2Code = 20002, status = 400): never => fail(ctx, { kind: 'invalid', status, message, v2Code });

/**
 * Parses `params` (or a plain object) with `schema`; throws the first failure as a MissingParamError
 * or NacosError, so the error mapper renders it in the request's family.
 */
export function parseParams<S extends z.ZodType>(schema: S, params: Params | Record<string, string | undefined>): z.output<S> {
  const data = isParams(params) ? params.view() : params;
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const f = issue && issue.code === 'custom' ? (issue.params as ParamFailure | undefined) : undefined;
  if (f?.kind === 'missing') throw new MissingParamError(f.name, f.javaType, f.spring === true);
  if (f?.kind === 'invalid') throw new NacosError(f.status, f.message, f.v2Code);
  const path = issue?.path.map(String).join('.') ?? '';
  throw badRequest(`Param '${path}' is illegal: ${issue?.message ?? 'invalid'}`);
}

function isParams(p: Params | Record<string, string | undefined>): p is Params {
  return typeof (p as Params).view === 'function';
}
