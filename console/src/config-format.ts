/**
 * Format checks of a config's content before it is published (docs/console.md, "Configurations"):
 * json, yaml, properties and xml are parsed; the other types (text, html) are free text. Each
 * problem has a position in the content, so the editor can mark it.
 */
import { XMLValidator } from 'fast-xml-parser';
import { parseAllDocuments } from 'yaml';

export const CONFIG_TYPES = ['text', 'json', 'xml', 'yaml', 'html', 'properties'] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

export function isConfigType(s: string): s is ConfigType {
  return (CONFIG_TYPES as readonly string[]).includes(s);
}

/** One problem: [from, to) offsets into the content and a readable message. */
export interface FormatProblem {
  from: number;
  to: number;
  message: string;
}

/** The type a dataId's extension suggests (`app.yml` → yaml), or null. */
export function typeOfDataId(dataId: string): ConfigType | null {
  const ext = /\.([a-z]+)$/i.exec(dataId)?.[1]?.toLowerCase();
  if (ext === undefined) return null;
  if (ext === 'yml') return 'yaml';
  if (ext === 'htm') return 'html';
  if (ext === 'txt') return 'text';
  return isConfigType(ext) ? ext : null;
}

/** Offset of (1-based) line and column in `text`. */
function offsetOf(text: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  return Math.min(text.length, at + Math.max(0, column - 1));
}

/** A one-character problem at `from` (the last character when `from` is at or past the end, so it stays visible). */
function span(text: string, from: number, message: string): FormatProblem {
  const f = Math.max(0, Math.min(from, text.length - 1));
  return { from: f, to: Math.min(text.length, f + 1), message };
}

function checkJson(text: string): FormatProblem[] {
  try {
    JSON.parse(text);
    return [];
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // V8 says "… at position 12" and, newer, "(line 2 column 5)".
    const lc = /line (\d+) column (\d+)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    const from = lc ? offsetOf(text, Number(lc[1]), Number(lc[2])) : pos ? Number(pos[1]) : text.length;
    return [span(text, from, `Invalid JSON: ${message}`)];
  }
}

function checkYaml(text: string): FormatProblem[] {
  const out: FormatProblem[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: false })) {
    for (const err of doc.errors) {
      const [from, to] = err.pos;
      out.push({ from, to: Math.max(to, from + 1), message: `Invalid YAML: ${err.message.split('\n')[0] ?? err.message}` });
    }
  }
  return out;
}

/**
 * Properties (decision, docs/console.md): every logical line that is not blank or a comment
 * (`#`, `!`) must be `key=value` or `key:value` with a non-empty key; a trailing `\` continues the
 * value on the next line. java.util.Properties would also take a bare `key` or `key value`,
 * which in a console is almost always a typo, so the console refuses them.
 */
function checkProperties(text: string): FormatProblem[] {
  const out: FormatProblem[] = [];
  const lines = text.split('\n');
  let at = 0;
  let continued = false;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    const start = at;
    at += raw.length + 1;
    const wasContinued = continued;
    continued = /(^|[^\\])(\\\\)*\\$/.test(line);
    const t = line.trimStart();
    if (wasContinued || t === '' || t.startsWith('#') || t.startsWith('!')) continue;
    const sep = /^((?:[^\\=:]|\\.)*)([=:])/.exec(t);
    const lead = line.length - t.length;
    if (!sep) out.push({ from: start + lead, to: start + line.length, message: `Invalid properties: "${t.slice(0, 40)}" is not key=value` });
    else if ((sep[1] ?? '').trim() === '') out.push({ from: start + lead, to: start + lead + 1, message: 'Invalid properties: empty key' });
  }
  return out;
}

/**
 * XML well-formedness by fast-xml-parser's validator, not DOMParser: Chromium's parser-error
 * document carries inline styles, which the console's CSP reports as refused.
 */
function checkXml(text: string): FormatProblem[] {
  const r = XMLValidator.validate(text);
  if (r === true) return [];
  return [span(text, offsetOf(text, r.err.line, r.err.col), `Invalid XML: ${r.err.msg} (line ${r.err.line})`)];
}

/** The problems of `content` as a config of `type`; empty when it is well-formed (or free text). */
export function checkFormat(type: string, content: string): FormatProblem[] {
  switch (type) {
    case 'json':
      return checkJson(content);
    case 'yaml':
      return checkYaml(content);
    case 'properties':
      return checkProperties(content);
    case 'xml':
      return checkXml(content);
    default:
      return [];
  }
}
