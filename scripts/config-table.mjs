// Prints the README configuration table from the config schema (run after `npm run build`);
// with --write, replaces the table in README.md instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_KEYS, envNameOf } from '../dist/config/keys.js';

const rows = ['| key | env var | default | meaning |', '|---|---|---|---|'];
for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
  const dflt = spec.default === '' ? '—' : `\`${spec.default}\``;
  rows.push(`| \`${key}\` | \`${envNameOf(key)}\` | ${dflt} | ${spec.description.replace(/\|/g, '\\|')} |`);
}
const table = rows.join('\n');

if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(rows[0]);
  const end = readme.indexOf('\n\n', start);
  if (start < 0 || end < 0) throw new Error('README.md has no configuration table to replace');
  writeFileSync('README.md', readme.slice(0, start) + table + readme.slice(end));
} else {
  console.log(table);
}
