/**
 * The SDK port's request metrics (src/observability/request-series.ts) print exactly what
 * prom-client's own Counter and Histogram printed for the same requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestMetrics } from '../../src/observability/request-series.js';

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const NAMES = {
  counterName: 'nomen_grpc_requests_total',
  counterHelp: 'SDK gRPC requests by type and result',
  histogramName: 'nomen_grpc_request_seconds',
  histogramHelp: 'SDK gRPC request handling time by request type',
  buckets: BUCKETS,
};

/** The same requests through prom-client's classes (what Metrics used before) and RequestMetrics. */
function both(requests: readonly [type: string, seconds: number, failed: boolean][]): Promise<[string, string]> {
  const reference = new Registry();
  const count = new Counter({ name: NAMES.counterName, help: NAMES.counterHelp, labelNames: ['type', 'result'], registers: [reference] });
  const time = new Histogram({ name: NAMES.histogramName, help: NAMES.histogramHelp, labelNames: ['type'], buckets: BUCKETS, registers: [reference] });
  const ours = new Registry();
  const metrics = new RequestMetrics(ours, NAMES);
  for (const [type, seconds, failed] of requests) {
    count.labels(type, failed ? 'error' : 'ok').inc();
    time.labels(type).observe(seconds);
    metrics.of(type).record(seconds, failed);
  }
  return Promise.all([reference.metrics(), ours.metrics()]);
}

test('request metrics: the exposition equals prom-client Counter + Histogram for the same requests', async () => {
  const [reference, ours] = await both([
    ['InstanceRequest', 0.00004, false],
    ['InstanceRequest', 0.0001, false], // exactly on a bound: counted in that bucket (le is inclusive)
    ['InstanceRequest', 0.00011, false],
    ['InstanceRequest', 0.3, true],
    ['InstanceRequest', 1, false],
    ['InstanceRequest', 7.5, false], // above the highest bound: +Inf only
    ['ServiceQueryRequest', 0.002, false],
    ['ConfigPublishRequest', 0.02, true],
  ]);
  assert.equal(ours, reference);
  assert.match(ours, /nomen_grpc_request_seconds_bucket\{le="0.0001",type="InstanceRequest"\} 2\n/);
  assert.match(ours, /nomen_grpc_request_seconds_bucket\{le="\+Inf",type="InstanceRequest"\} 6\n/);
  assert.match(ours, /nomen_grpc_requests_total\{type="InstanceRequest",result="error"\} 1\n/);
});

test('request metrics: no requests, no series; a scrape does not reset or double the counts', async () => {
  const [reference, ours] = await both([]);
  assert.equal(ours, reference);
  const r = new Registry();
  const m = new RequestMetrics(r, NAMES);
  m.of('InstanceRequest'); // bound but never used: prints nothing, as prom-client's bound labels did
  assert.doesNotMatch(await r.metrics(), /InstanceRequest/);
  m.of('InstanceRequest').record(0.001, false);
  await r.metrics();
  const text = await r.metrics();
  assert.match(text, /nomen_grpc_requests_total\{type="InstanceRequest",result="ok"\} 1\n/);
  assert.match(text, /nomen_grpc_request_seconds_count\{type="InstanceRequest"\} 1\n/);
});
