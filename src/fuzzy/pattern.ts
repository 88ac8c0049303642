/**
 * Nacos 3 fuzzy-watch patterns, naming and config alike (docs/fuzzy-watch.md "Patterns"). A pattern is
 * `<namespace>>><groupPattern>>><resourcePattern>`; the namespace must be equal, each of the other two
 * parts matches by Nacos' star rules, never by regex: no `*` → exact; `*` alone → anything; `*x*` →
 * contains `x`; `*x` → ends with `x`; `x*` → starts with `x`; a `*` only inside (`a*b`) → matches
 * nothing. `x` is the part with every `*` removed; matching is case-sensitive. Pure functions.
 */
import { badRequest } from '../core/errors.js';
import { DEFAULT_NAMESPACE } from '../core/names.js';

export const PATTERN_SPLITTER = '>>';

export interface FuzzyPattern {
  /** The pattern text as the client sent it (the key of every watch table). */
  readonly text: string;
  readonly namespace: string;
  readonly group: string;
  /** The service-name (naming) or dataId (config) part. */
  readonly resource: string;
}

/** Parses `ns>>group>>resource`; a blank namespace is `public`. Throws a 400 NacosError otherwise. */
export function parsePattern(text: string): FuzzyPattern {
  const parts = text.split(PATTERN_SPLITTER);
  if (parts.length !== 3 || parts[1]!.trim() === '' || parts[2]!.trim() === '') {
    throw badRequest(`groupKeyPattern ${text} is invalid, it must be <namespace>>><groupPattern>>><resourcePattern>`);
  }
  const ns = parts[0]!.trim();
  return { text, namespace: ns === '' ? DEFAULT_NAMESPACE : ns, group: parts[1]!, resource: parts[2]! };
}

/** Whether one item (a group, a service name or a dataId) matches one part of a pattern. */
export function matchesPart(part: string, item: string): boolean {
  if (!part.includes('*')) return part === item;
  if (part === '*') return true;
  const x = part.replaceAll('*', '');
  const lead = part.startsWith('*');
  const trail = part.endsWith('*');
  if (lead && trail) return item.includes(x);
  if (lead) return item.endsWith(x);
  if (trail) return item.startsWith(x);
  return false;
}

/** Whether the resource (namespace, group, service name or dataId) is matched by the pattern. */
export function patternMatches(p: FuzzyPattern, namespace: string, group: string, name: string): boolean {
  return p.namespace === namespace && matchesPart(p.group, group) && matchesPart(p.resource, name);
}
