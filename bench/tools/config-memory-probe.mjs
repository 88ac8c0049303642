/**
 * JS heap of the config index after a restart's load (docs/benchmarks.md "j. content held once"):
 * 10,000 configs × 1 KB, each a config row and its `I` history row, written as one JSON image,
 * parsed (as the store restores it; the parsed rows stay, as the store keeps them) and loaded into
 * `ConfigState`, then two full GCs. Compare two builds' `dist` on a busy machine: heap is not timing.
 *
 *   node --expose-gc bench/tools/config-memory-probe.mjs [distDir=dist]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = pathToFileURL(resolve(process.argv[2] ?? 'dist')).href;
const { ConfigState } = await import(`${dist}/config-center/config-state.js`);
const { configRowKey, contentMd5 } = await import(`${dist}/config-center/config-keys.js`);
const gc = globalThis.gc;
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const N = 10_000;
const rows = [];
for (let i = 0; i < N; i++) {
  const key = { tenant: 'public', group: 'DEFAULT_GROUP', dataId: `bench-cfg-mem-${i}` };
  const content = `${String(i).padStart(8, '0')}${'c'.repeat(1016)}`;
  const md5 = contentMd5(content);
  const t = 1_700_000_000_000 + i;
  rows.push({ table: 'config', key: configRowKey(key), value: { ...key, id: String(i + 1), content, md5, type: 'text', appName: '', desc: '', use: '', effect: '', schema: '', configTags: [], encryptedDataKey: '', createTime: t, modifyTime: t, createUser: 'nacos', createIp: '127.0.0.1', srcUser: 'nacos', srcIp: '127.0.0.1' } });
  rows.push({ table: 'configHistory', key: String(i + 1), value: { ...key, id: String(i + 1), configId: String(i + 1), content, md5, appName: '', encryptedDataKey: '', opType: 'I', publishType: 'formal', grayName: '', extInfo: '', srcUser: 'nacos', srcIp: '127.0.0.1', createTime: t, modifyTime: t } });
}
let image = JSON.stringify(rows);
rows.length = 0;
const store = JSON.parse(image);
image = null;
const state = new ConfigState();
state.load(store);
gc(); gc();
const m = process.memoryUsage();
const mb = (x) => (x / 1048576).toFixed(1);
console.log(JSON.stringify({ dist, heapUsedMiB: mb(m.heapUsed), rssMiB: mb(m.rss), n: state.size() + state.historySize() }));
