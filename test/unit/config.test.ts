import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Config, ConfigError, envValues, parseProperties, parsePropertyArgs, readPropertiesFile } from '../../src/config/config.js';

test('defaults, then file < env < --property, later layers win', () => {
  const c = Config.from([
    { source: 'file', values: { 'nacos.naming.client.expired.time': '1000', 'nacos.naming.push.pushTaskDelay': '7' } },
    { source: 'env', values: envValues({ NACOS_NAMING_CLIENT_EXPIRED_TIME: '2000' }) },
    { source: '--property', values: parsePropertyArgs(['nacos.naming.push.pushTaskDelay=9']) },
  ]);
  assert.equal(c.int('nacos.naming.client.expired.time'), 2000);
  assert.equal(c.int('nacos.naming.push.pushTaskDelay'), 9);
  assert.equal(c.int('nacos.server.main.port'), 8848);
  assert.equal(c.bool('nacos.naming.expireInstance'), true);
});

test('a bad value is rejected with an error naming the key and its source', () => {
  assert.throws(
    () => Config.from([{ source: '--property', values: { 'nacos.naming.client.expired.time': 'soon' } }]),
    (e: Error) => e instanceof ConfigError && /nacos\.naming\.client\.expired\.time/.test(e.message) && /--property/.test(e.message),
  );
  assert.throws(() => Config.from([{ source: 'x', values: { 'nacos.server.main.port': '70000' } }]), /must be <= 64535/);
  assert.throws(() => Config.from([{ source: 'x', values: { 'nacos.naming.expireInstance': 'maybe' } }]), /true or false/);
  assert.throws(() => Config.from([{ source: 'x', values: { 'nomen.naming.push.udp.target': 'elsewhere' } }]), /one of source, client-ip/);
  assert.throws(() => parsePropertyArgs(['novalue']), /key=value/);
});

test('unknown keys are reported, not fatal', () => {
  const c = Config.from([{ source: 'file', values: { 'nacos.some.future.key': '1' } }]);
  assert.deepEqual(c.unknownKeys, ['nacos.some.future.key (file)']);
});

test('properties files: comments, both separators, missing file', () => {
  assert.deepEqual(parseProperties('# c\n! c\na.b=1\nc.d : two words\n\n'), { 'a.b': '1', 'c.d': 'two words' });
  const dir = mkdtempSync(join(tmpdir(), 'nomen-cfg-'));
  const f = join(dir, 'n.properties');
  writeFileSync(f, 'nacos.server.main.port=9000\n');
  assert.equal(Config.from([{ source: f, values: readPropertiesFile(f) }]).int('nacos.server.main.port'), 9000);
  assert.throws(() => readPropertiesFile(join(dir, 'missing')), /not found/);
});
