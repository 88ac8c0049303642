/**
 * prom-client's default (process and Node.js) metrics start with the first scrape, not when the
 * member is built (idle memory, docs/benchmarks.md "Idle memory"), and the first scrape has them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics, type MetricsSources } from '../../src/observability/metrics.js';

const sources: MetricsSources = {
  services: () => 0,
  instances: () => 0,
  subscribers: () => 0,
  connections: () => 0,
  clients: () => ({}),
  push: () => ({ succeeded: 0, failed: 0, retried: 0 }),
  udp: () => ({ sent: 0, acked: 0, failed: 0, resent: 0 }),
  ready: () => true,
};

test('default metrics are registered by the first scrape and scraped from then on', async () => {
  const m = new Metrics(sources);
  assert.equal(m.registry.getSingleMetric('nomen_process_resident_memory_bytes'), undefined, 'not registered before a scrape');
  assert.equal(m.registry.getSingleMetric('nomen_nodejs_eventloop_lag_seconds'), undefined, 'no event-loop monitor before a scrape');
  const first = await m.text();
  assert.match(first, /^nomen_process_resident_memory_bytes \d+/m);
  assert.match(first, /^nomen_nodejs_eventloop_lag_seconds /m);
  assert.match(first, /^nomen_ready 1$/m);
  // Registered once: a second scrape neither throws (duplicate names) nor repeats them.
  const second = await m.text();
  assert.equal(second.match(/^# TYPE nomen_process_resident_memory_bytes /gm)?.length, 1);
  m.registry.clear();
});
