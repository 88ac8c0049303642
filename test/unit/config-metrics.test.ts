/**
 * The config center's Prometheus series (docs/operations.md "Config metrics"), scraped from
 * `/nacos/actuator/prometheus` while configs are read, published (ok, CAS mismatch, bad input)
 * and removed through the HTTP APIs: our `nomen_config_*` series and Nacos' `nacos_monitor`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHttpContext, form, query } from './helpers/http-context.js';
import { scrape } from './helpers/scrape.js';

const V2 = '/nacos/v2/cs/config';


const sample = (s: Map<string, number>, key: string): number | undefined => s.get(key);
const monitor = (name: string) => `nacos_monitor{module="config",name="${name}"}`;
const writes = (op: string, outcome: string) => `nomen_config_writes_total{op="${op}",outcome="${outcome}"}`;

test('config counts, publishes by outcome, removes and reads move on the Prometheus endpoint', async () => {
  const t = createHttpContext({ metrics: true, properties: { maxContent: '20' } });
  const before = await scrape(t);
  assert.equal(sample(before, monitor('configCount')), 0);
  assert.equal(sample(before, monitor('publish')), 0);
  assert.equal(sample(before, writes('publish', 'ok')), 0);
  assert.equal(sample(before, 'nomen_config_history_rows'), 0);
  // Nacos' queues that Nomen does not have read 0 rather than being absent.
  assert.equal(sample(before, monitor('dumpTask')), 0);
  assert.equal(sample(before, monitor('notifyTask')), 0);
  assert.equal(sample(before, 'nacos_config_subscriber{version="v1"}'), 0);

  const pub = async (params: Record<string, string>, headers: Record<string, string> = {}) => form(t.app, 'POST', V2, { group: 'DEFAULT_GROUP', ...params }, headers);
  assert.equal((await pub({ dataId: 'a', content: 'one' })).statusCode, 200);
  assert.equal((await pub({ dataId: 'a', content: 'two' })).statusCode, 200);
  assert.equal((await pub({ dataId: 'b', content: 'x', namespaceId: 'dev' })).statusCode, 200);
  assert.equal((await pub({ dataId: 'c', content: 'x', namespaceId: 'dev' })).statusCode, 200);
  assert.equal((await pub({ dataId: 'a', content: 'three' }, { casMd5: '0'.repeat(32) })).statusCode, 500, 'CAS mismatch');
  // Refused by the config center (over maxContent); a malformed parameter refused at the edge is not a write.
  assert.equal((await pub({ dataId: 'a', content: 'x'.repeat(21) })).statusCode, 400, 'too long');
  assert.equal((await pub({ dataId: 'bad id', content: 'x' })).statusCode, 400, 'illegal dataId');
  assert.equal((await query(t.app, 'GET', V2, { dataId: 'a', group: 'DEFAULT_GROUP' })).statusCode, 200);
  assert.equal((await query(t.app, 'GET', V2, { dataId: 'missing', group: 'DEFAULT_GROUP' })).statusCode, 404);
  assert.equal((await query(t.app, 'DELETE', V2, { dataId: 'c', group: 'DEFAULT_GROUP', namespaceId: 'dev' })).statusCode, 200);

  const s = await scrape(t);
  assert.equal(sample(s, 'nomen_configs{namespace="public"}'), 1);
  assert.equal(sample(s, 'nomen_configs{namespace="dev"}'), 1);
  assert.equal(sample(s, writes('publish', 'ok')), 4);
  assert.equal(sample(s, writes('publish', 'cas_mismatch')), 1);
  assert.equal(sample(s, writes('publish', 'rejected')), 1);
  assert.equal(sample(s, writes('publish', 'failed')), 0);
  assert.equal(sample(s, writes('remove', 'ok')), 1);
  assert.equal(sample(s, 'nomen_config_reads_total{outcome="found"}'), 1);
  assert.equal(sample(s, 'nomen_config_reads_total{outcome="not_found"}'), 1);
  assert.equal(sample(s, 'nomen_config_history_rows'), 5, '4 publishes and 1 remove');
  assert.equal(sample(s, monitor('configCount')), 2);
  assert.equal(sample(s, monitor('publish')), 4);
  assert.equal(sample(s, monitor('getConfig')), 2);

  // A namespace whose last config went is no longer listed.
  await query(t.app, 'DELETE', V2, { dataId: 'b', group: 'DEFAULT_GROUP', namespaceId: 'dev' });
  const after = await scrape(t);
  assert.equal(sample(after, 'nomen_configs{namespace="dev"}'), undefined);
  assert.equal(sample(after, monitor('configCount')), 1);
  assert.equal(sample(after, writes('remove', 'ok')), 2);
});
