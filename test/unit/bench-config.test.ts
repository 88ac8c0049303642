import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configContent, configListenBody, configMarker, configPublishBody, configQueryBody, listeningConfigs } from '../../bench/lib/bodies.js';
import { httpAsWindow } from '../../bench/scenarios/config.js';

test('bench config bodies: content of an exact size carrying its marker', () => {
  const c = configContent('17', 1024);
  assert.equal(Buffer.byteLength(c), 1024);
  assert.equal(configMarker(c), '17');
  assert.equal(configMarker(Buffer.from(c)), '17');
  assert.equal(configContent('abc', 3), 'v=a');
  assert.equal(configMarker('no marker'), null);
  assert.equal(listeningConfigs('d', 'm'), 'd\u0002DEFAULT_GROUP\u0002m\u0001');
  const q = JSON.parse(configQueryBody('d', 3)) as Record<string, unknown>;
  assert.deepEqual([q.dataId, q.group, q.tenant, q.requestId], ['d', 'DEFAULT_GROUP', '', '3']);
  const p = JSON.parse(configPublishBody('d', 'a"b')) as Record<string, unknown>;
  assert.equal(p.content, 'a"b');
  const l = JSON.parse(configListenBody('d', 'm')) as { listen: boolean; configListenContexts: { md5: string }[] };
  assert.equal(l.listen, true);
  assert.equal(l.configListenContexts[0]!.md5, 'm');
});

test('bench config: an autocannon run becomes a closed-loop window', () => {
  const w = httpAsWindow({ rps: 100, p50: 1, p90: 2, p99: 3, max: 4, errors: 1, non2xx: 2, bytesPerReq: 10, serverCpu: 0.5, loadCpu: 0.2, otherCpu: 0.1 }, 5);
  assert.equal(w.ops, 500);
  assert.equal(w.opsPerSec, 100);
  assert.equal(w.errors, 3);
  assert.equal(w.latencyMs.p99, 3);
  assert.deepEqual([w.serverCpu, w.loadCpu, w.otherCpu], [0.5, 0.2, 0.1]);
});
