/**
 * The label selector's expression (docs/protocol/nacos3.md §1.1 "Selector"): after removing all
 * whitespace, terms `CONSUMER.label.<k>=PROVIDER.label.<k>` joined by `&`, each term naming the
 * same key on both sides. The labels are the keys. Anything else fails with Nacos' text
 * `parse expression failed!`. A blank expression has no labels.
 */
const CONSUMER = 'CONSUMER.label.';
const PROVIDER = 'PROVIDER.label.';

export const LABEL_EXPRESSION_FAILED = 'parse expression failed!';

/** The label keys of an expression (sorted, each once), or null when it does not parse. */
export function parseLabelExpression(expression: string): string[] | null {
  const text = expression.replace(/\s+/g, '');
  if (text === '') return [];
  const labels = new Set<string>();
  for (const term of text.split('&')) {
    const eq = term.indexOf('=');
    if (eq < 0 || term.indexOf('=', eq + 1) >= 0) return null;
    const left = term.slice(0, eq);
    const right = term.slice(eq + 1);
    if (!left.startsWith(CONSUMER) || !right.startsWith(PROVIDER)) return null;
    const key = left.slice(CONSUMER.length);
    if (key === '' || key !== right.slice(PROVIDER.length)) return null;
    labels.add(key);
  }
  return [...labels].sort();
}
