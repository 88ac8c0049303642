/**
 * Gray (beta and tag) rules (docs/protocol/config.md §5.1): which variant a client is served.
 * Pure functions.
 */
import type { ClientLabels, GrayRule, GrayVariant } from './types.js';

export const BETA_GRAY_NAME = 'beta';
export const TAG_GRAY_PREFIX = 'tag_';
/** The only rule version Nacos registers for both rule types. */
export const GRAY_RULE_VERSION = '1.0.0';
/** Java's Integer.MAX_VALUE: beta first, then tags. */
export const BETA_PRIORITY = 2147483647;
export const TAG_PRIORITY = 2147483646;

export function tagGrayName(tag: string): string {
  return `${TAG_GRAY_PREFIX}${tag}`;
}

export function betaRule(ips: string): GrayRule {
  return { type: 'beta', version: GRAY_RULE_VERSION, expr: ips, priority: BETA_PRIORITY };
}

export function tagRule(tag: string): GrayRule {
  return { type: 'tag', version: GRAY_RULE_VERSION, expr: tag, priority: TAG_PRIORITY };
}

/** Whether `rule` selects a client with `labels`: beta by client IP in the comma list, tag by equal label. */
export function ruleMatches(rule: GrayRule, labels: ClientLabels): boolean {
  if (rule.type === 'beta') {
    if (labels.clientIp === '') return false;
    return rule.expr.split(',').some((ip) => ip.trim() === labels.clientIp);
  }
  return labels.tag !== undefined && labels.tag !== '' && rule.expr === labels.tag;
}

/** Priority descending, then gray name: the order variants are tried in. */
export function byPriority(a: GrayVariant, b: GrayVariant): number {
  if (a.rule.priority !== b.rule.priority) return b.rule.priority - a.rule.priority;
  return a.grayName < b.grayName ? -1 : a.grayName > b.grayName ? 1 : 0;
}

/** The first variant (in priority order) whose rule matches; undefined when none does. */
export function matchGray(sorted: readonly GrayVariant[], labels: ClientLabels | undefined): GrayVariant | undefined {
  if (!labels) return undefined;
  return sorted.find((v) => ruleMatches(v.rule, labels));
}
