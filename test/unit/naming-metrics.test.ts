/**
 * Nacos' naming-module Prometheus series (docs/operations.md "Naming metrics in Nacos' names"):
 * `nacos_monitor{module="naming",name=…}`, `nacos_naming_publisher` and `nacos_naming_subscriber`,
 * scraped while HTTP v1 clients register, deregister and subscribe and UDP pushes are acknowledged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { PushCostWindow } from '../../src/observability/naming-metrics.js';
import { createHttpContext, form, NODE_SDK_HEADERS, query } from './helpers/http-context.js';
import { scrape } from './helpers/scrape.js';


const monitor = (name: string) => `nacos_monitor{module="naming",name="${name}"}`;
const NAMES = [
  'serviceCount', 'ipCount', 'subscriberCount', 'totalPush', 'failedPush', 'emptyPush', 'maxPushCost', 'avgPushCost',
  'totalPushCountForAvg', 'totalPushCostForAvg', 'httpHealthCheck', 'tcpHealthCheck', 'mysqlHealthCheck', 'leaderStatus',
  'pushPendingTaskCount', 'serviceSubscribedEventQueueSize', 'serviceChangedEventQueueSize',
];
const V1 = '/nacos/v1/ns';

test('naming series: counts, v1 publishers and subscribers, pushes and their cost window', async () => {
  let failNext = false;
  const clock = new ManualClock();
  const t = createHttpContext({
    clock,
    metrics: true,
    udp: {
      push: () => {
        if (failNext) return Promise.reject(new Error('no ack'));
        return Promise.resolve();
      },
    },
    properties: { 'nomen.naming.push.max-retries': '0' },
  });
  const before = await scrape(t);
  for (const n of NAMES) assert.ok(before.has(monitor(n)), `missing ${n}`);
  assert.equal(before.get(monitor('serviceCount')), 0);
  assert.equal(before.get(monitor('maxPushCost')), -1, 'no push yet');
  assert.equal(before.get(monitor('avgPushCost')), -1);
  assert.equal(before.get(monitor('leaderStatus')), 1);
  assert.equal(before.get('nacos_naming_publisher{version="v1"}'), 0);
  assert.equal(before.get('nacos_naming_subscriber{version="v2"}'), 0);
  // The config module's values share the one nacos_monitor gauge.
  assert.ok(before.has('nacos_monitor{module="config",name="configCount"}'));

  const reg = (svc: string, ip: string, ephemeral = true) => form(t.app, 'POST', `${V1}/instance`, { serviceName: svc, ip, port: '80', ephemeral: String(ephemeral) });
  assert.equal((await reg('a', '127.0.0.1')).statusCode, 200);
  assert.equal((await reg('a', '127.0.0.2')).statusCode, 200);
  assert.equal((await reg('b', '127.0.0.3', false)).statusCode, 200);
  const list = (svc: string) => query(t.app, 'GET', `${V1}/instance/list`, { serviceName: svc, udpPort: 4000, clientIP: '127.0.0.9' }, NODE_SDK_HEADERS);
  assert.equal((await list('a')).statusCode, 200);
  let s = await scrape(t);
  assert.equal(s.get(monitor('serviceCount')), 2);
  assert.equal(s.get(monitor('ipCount')), 3);
  assert.equal(s.get(monitor('subscriberCount')), 1);
  assert.equal(s.get('nacos_naming_publisher{version="v1"}'), 3, 'three ip:port clients, one service each');
  assert.equal(s.get('nacos_naming_subscriber{version="v1"}'), 1);
  assert.equal(s.get('nacos_naming_publisher{version="v2"}'), 0);
  assert.equal(s.get(monitor('pushPendingTaskCount')), 1, 'the new subscriber waits for its merge window');

  const delay = t.config.int('nacos.naming.push.pushTaskDelay');
  clock.advance(delay);
  await new Promise((r) => setImmediate(r));
  s = await scrape(t);
  assert.equal(s.get(monitor('pushPendingTaskCount')), 0);
  assert.equal(s.get(monitor('totalPush')), 1);
  assert.equal(s.get(monitor('failedPush')), 0);
  assert.equal(s.get(monitor('emptyPush')), 0);
  assert.equal(s.get(monitor('maxPushCost')), delay);
  assert.equal(s.get(monitor('avgPushCost')), delay);

  // A subscriber of a service without instances gets an empty push; a failed push counts too.
  assert.equal((await list('nothing-here')).statusCode, 200);
  clock.advance(delay);
  await new Promise((r) => setImmediate(r));
  failNext = true;
  assert.equal((await form(t.app, 'DELETE', `${V1}/instance`, { serviceName: 'a', ip: '127.0.0.2', port: '80' })).statusCode, 200);
  clock.advance(delay);
  await new Promise((r) => setImmediate(r));
  s = await scrape(t);
  assert.equal(s.get(monitor('emptyPush')), 1);
  assert.equal(s.get(monitor('failedPush')), 1);
  assert.equal(s.get(monitor('totalPush')), 3);
  assert.equal(s.get(monitor('totalPushCountForAvg')), 2, 'acknowledged pushes of the current period');
  assert.equal(s.get(monitor('ipCount')), 2);

  // The cost window is Nacos' 60 s period: after it, no push → -1 again; the totals stay.
  clock.advance(60_000);
  s = await scrape(t);
  assert.equal(s.get(monitor('maxPushCost')), -1);
  assert.equal(s.get(monitor('avgPushCost')), -1);
  assert.equal(s.get(monitor('totalPush')), 3);
});

test('PushCostWindow: max and floor of the average per period, -1 when empty, rolled by elapsed time', () => {
  let now = 0;
  const w = new PushCostWindow(() => now, 60_000);
  assert.deepEqual(w.read(), { max: -1, avg: -1, count: 0, total: 0 });
  w.record(10);
  w.record(25);
  assert.deepEqual(w.read(), { max: 25, avg: 17, count: 2, total: 35 });
  now = 59_999;
  w.record(5);
  assert.equal(w.read().count, 3);
  now = 60_000;
  assert.deepEqual(w.read(), { max: -1, avg: -1, count: 0, total: 0 });
  // A quiet stretch of several periods: the next period starts on the period grid.
  now = 200_000;
  w.record(7);
  now = 239_999;
  assert.equal(w.read().max, 7);
  now = 240_000;
  assert.equal(w.read().max, -1);
});
