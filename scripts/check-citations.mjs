// Fails when code or docs cite protocol facts from outside the repository: an absolute machine
// path, the shared spec folder, or "spec <file>.md" / "spec §n" instead of docs/protocol/<file>.md.
// The facts Nomen relies on are written down in docs/protocol/ (see docs/protocol/*.md); cite
// those, e.g. `docs/protocol/grpc.md §3.7`. Run by `npm run lint`.
// Usage: node scripts/check-citations.mjs [dir-or-file ...]   (default: the repository's sources)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

const RULES = [
  { re: /(^|[\s`'"(])\/work\//, why: 'absolute machine path' },
  { re: /\.\.\/shared\b|\bshared\/spec\b/, why: 'the shared spec folder is outside the repository' },
  { re: /\bspec\b`?\s*`?(?:[\w./-]+\.md`?\s*)?(?:§|section\b|\d+\.\d+)/i, why: 'cites the spec: cite docs/protocol/<file>.md §n' },
  { re: /(?<![\w/])`?(?:grpc|http|distro|persistent|nacos3|config)\.md`?\s*(?:§|section\b)/, why: 'cites a spec file: cite docs/protocol/<file>.md §n' },
];
const DEFAULT_DIRS = ['src', 'docs', 'console/src', 'test', 'bench', 'scripts', 'README.md'];
const EXTENSIONS = /\.(ts|tsx|mts|js|mjs|cjs|md|proto|json|sh)$/;

function walk(path, out) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    for (const name of readdirSync(path)) {
      if (name === 'node_modules' || name === 'dist' || name === 'results' || name.startsWith('.')) continue;
      walk(join(path, name), out);
    }
  } else if (EXTENSIONS.test(path) && path !== self) {
    out.push(path);
  }
}

/** Every offending line of `text`: [{ line, why, text }]. */
export function badCitations(text) {
  const out = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    // A citation may wrap: "(spec" at a line's end, "http.md §4.2)" on the next comment line.
    const next = (lines[i + 1] ?? '').replace(/^\s*(?:\*|\/\/|#)?\s*/, '');
    const joined = /\bspec\s*$/i.test(line) ? `${line} ${next}` : line;
    for (const rule of RULES) {
      if (rule.re.test(joined)) {
        out.push({ line: i + 1, why: rule.why, text: line.trim() });
        break;
      }
    }
  });
  return out;
}

if (process.argv[1] === self) {
  const args = process.argv.slice(2);
  const files = [];
  for (const p of args.length > 0 ? args : DEFAULT_DIRS.map((d) => join(root, d))) walk(p, files);
  let count = 0;
  for (const file of files) {
    for (const bad of badCitations(readFileSync(file, 'utf8'))) {
      count++;
      console.error(`${relative(root, file)}:${bad.line}: ${bad.why}\n    ${bad.text}`);
    }
  }
  if (count > 0) {
    console.error(`${count} citation(s) point outside the repository; the facts belong in docs/protocol/`);
    process.exit(1);
  }
  console.log(`citations: ${files.length} files cite only docs inside the repository`);
}
