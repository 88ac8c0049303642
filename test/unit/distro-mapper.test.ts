import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fnv1a32, javaStringHash } from '../../src/distro/hash.js';
import { DistroMapper, distroIndex, healthyListOf, kindOfClientId, responsibleTagOf } from '../../src/distro/mapper.js';

// Values printed by Java 17 (`s.hashCode()`, `Math.abs(h % 2147483647)`, then `% 3`, `% 5`).
const JAVA: [string, number, number, number, number][] = [
  ['127.0.0.1:8080', -35736627, 35736627, 0, 2],
  ['10.0.0.1:80', 1106668620, 1106668620, 0, 0],
  ['192.168.1.100:8848', 1300754441, 1300754441, 2, 1],
  ['', 0, 0, 0, 0],
  ['a', 97, 97, 1, 2],
  ['1.1.1.1:1', 2095561521, 2095561521, 0, 1],
  ['255.255.255.255:65535', -1407141060, 1407141060, 0, 0],
  ['10.7.0.12:9000', 675266316, 675266316, 0, 1],
  // hashCode = Integer.MIN_VALUE: MIN_VALUE % 2147483647 = -1, abs = 1 (no overflow).
  ['polygenelubricants', -2147483648, 1, 1, 1],
  ['Aa', 2112, 2112, 0, 2],
  ['BB', 2112, 2112, 0, 2],
  ['\u00e9\u4e2d:1', 26175643, 26175643, 1, 3],
];

test('javaStringHash and the owner index match Java exactly (docs/protocol/distro.md §2.2)', () => {
  for (const [s, h, d, i3, i5] of JAVA) {
    assert.equal(javaStringHash(s), h, s);
    assert.equal(Math.abs(javaStringHash(s) % 2147483647), d, s);
    assert.equal(distroIndex(s, 3), i3, s);
    assert.equal(distroIndex(s, 5), i5, s);
  }
});

test('fnv1a32 is unsigned 32-bit and stable', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.ok(fnv1a32('client-1') >= 0);
});

test('client id dispatch (docs/protocol/distro.md §1.2) and responsible tag', () => {
  assert.equal(kindOfClientId('1712345678901_10.0.0.5_53122'), 'connection');
  assert.equal(kindOfClientId('10.0.0.5:8080#true'), 'ephemeral-ipport');
  assert.equal(kindOfClientId('10.0.0.5:8080#false'), 'persistent-ipport');
  assert.equal(responsibleTagOf('10.0.0.5:8080#true'), '10.0.0.5:8080');
  assert.equal(responsibleTagOf('a#b#true'), 'a');
});

test('healthy list: UP and SUSPICIOUS, sorted in UTF-16 order, deduplicated', () => {
  const l = healthyListOf([
    { address: '10.0.0.3:8848', state: 'UP' },
    { address: '10.0.0.10:8848', state: 'SUSPICIOUS' },
    { address: '10.0.0.2:8848', state: 'DOWN' },
    { address: '10.0.0.1:8848', state: 'STARTING' },
    { address: '10.0.0.3:8848', state: 'UP' },
  ]);
  assert.deepEqual(l, ['10.0.0.10:8848', '10.0.0.3:8848']);
});

test('responsible(tag) corner cases (docs/protocol/distro.md §2.2)', () => {
  const tag = '127.0.0.1:8080'; // index 0 of 3, 2 of 5
  const m = new DistroMapper('b', false);
  assert.equal(m.responsibleTag(tag), false, 'empty list → false');
  assert.equal(m.mapSrv(tag), 'b', 'empty list → self');
  m.setHealthyList(['x', 'y']);
  assert.equal(m.responsibleTag(tag), true, 'self not in list → true');
  assert.equal(m.setHealthyList(['c', 'b', 'a']), true);
  assert.equal(m.setHealthyList(['a', 'b', 'c']), false, 'same list: no change');
  assert.equal(m.mapSrv(tag), 'a');
  assert.equal(m.responsibleTag(tag), false);
  const a = new DistroMapper('a', false);
  a.setHealthyList(['a', 'b', 'c']);
  assert.equal(a.responsibleTag(tag), true);
  assert.equal(new DistroMapper('z', true).responsibleTag(tag), true, 'standalone → true');
  const off = new DistroMapper('b', false, () => false);
  off.setHealthyList(['a', 'b', 'c']);
  assert.equal(off.responsibleTag(tag), true, 'distro disabled → true');
  assert.equal(off.mapSrv(tag), 'b');
});

test('exactly one member of a shared list is responsible for each tag', () => {
  const list = ['10.0.0.1:8848', '10.0.0.2:8848', '10.0.0.3:8848', '10.0.0.4:8848'];
  const mappers = list.map((a) => {
    const m = new DistroMapper(a, false);
    m.setHealthyList(list);
    return m;
  });
  for (let i = 0; i < 200; i++) {
    const tag = `10.1.${i % 7}.${i}:${8000 + i}`;
    assert.equal(mappers.filter((m) => m.responsibleTag(tag)).length, 1, tag);
    assert.ok(mappers.every((m) => m.mapSrv(tag) === mappers.find((x) => x.responsibleTag(tag))!.self));
  }
});
