// Prints the README configuration table from the config schema (run after `npm run build`).
import { CONFIG_KEYS, envNameOf } from '../dist/config/keys.js';

console.log('| key | env var | default | meaning |');
console.log('|---|---|---|---|');
for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
  const dflt = spec.default === '' ? '—' : `\`${spec.default}\``;
  console.log(`| \`${key}\` | \`${envNameOf(key)}\` | ${dflt} | ${spec.description.replace(/\|/g, '\\|')} |`);
}
