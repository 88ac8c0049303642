/**
 * Merging the config listener and client metric answers of several members
 * (docs/config-center.md "Who listens", "Client config metrics"): this member's answer first,
 * peers that gave no answer left out (listed, for metrics), no peer asked again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeClientMetrics, mergeListenerStatus, peerQuery, UNANSWERED_MEMBERS_KEY } from '../../src/transport/http/config-aggregation.js';
import { Params } from '../../src/transport/http/params.js';

describe('listener status merge', () => {
  it('joins the maps of every member; a peer without an answer is skipped', () => {
    const merged = mergeListenerStatus({ '10.0.0.1': 'aa' }, [{ '10.0.0.2': 'bb' }, null, { '10.0.0.3': 'cc' }]);
    assert.deepEqual(merged, { '10.0.0.1': 'aa', '10.0.0.2': 'bb', '10.0.0.3': 'cc' });
  });

  it('keeps the first value of a key listed by several members (this member first)', () => {
    assert.deepEqual(mergeListenerStatus({ ip: 'local' }, [{ ip: 'peer1', other: 'x' }, { ip: 'peer2' }]), { ip: 'local', other: 'x' });
    assert.deepEqual(mergeListenerStatus({}, [{ ip: 'peer1' }, { ip: 'peer2' }]), { ip: 'peer1' });
  });

  it('does not change its inputs and treats no peers as this member only', () => {
    const local = { a: '1' };
    const peer = { b: '2' };
    mergeListenerStatus(local, [peer]);
    assert.deepEqual(local, { a: '1' });
    assert.deepEqual(mergeListenerStatus(local, []), { a: '1' });
  });
});

describe('client metrics merge', () => {
  it('joins metric keys, concatenates unanswered connections and lists silent members', () => {
    const merged = mergeClientMetrics({ 'k@local': 1, 'nomen.unanswered': [{ connectionId: 'c2', reason: 'timeout' }] }, [
      { peer: '127.0.0.1:8849', answer: { 'k@peer': 2, 'nomen.unanswered': [{ connectionId: 'c1', reason: 'not supported' }] } },
      { peer: '127.0.0.1:8850', answer: null },
      { peer: '127.0.0.1:8848', answer: null },
    ]);
    assert.deepEqual(merged, {
      'k@local': 1,
      'k@peer': 2,
      'nomen.unanswered': [
        { connectionId: 'c1', reason: 'not supported' },
        { connectionId: 'c2', reason: 'timeout' },
      ],
      [UNANSWERED_MEMBERS_KEY]: ['127.0.0.1:8848', '127.0.0.1:8850'],
    });
  });

  it('keeps the first value of a metric key and adds no bookkeeping keys when every member answered', () => {
    assert.deepEqual(mergeClientMetrics({ k: 'local' }, [{ peer: 'p', answer: { k: 'peer', j: 'peer' } }]), { k: 'local', j: 'peer' });
    assert.deepEqual(mergeClientMetrics({}, []), {});
  });

  it('ignores a malformed unanswered list and a peer-sent silent-member list', () => {
    const merged = mergeClientMetrics({}, [{ peer: 'p', answer: { 'nomen.unanswered': 'garbage', [UNANSWERED_MEMBERS_KEY]: ['x'], k: 1 } }]);
    assert.deepEqual(merged, { k: 1 });
  });
});

describe('peer query', () => {
  it('passes the named parameters present and stops the recursion with aggregation=false', () => {
    const p = Params.of({ ip: '10.0.0.1', all: 'true', aggregation: 'true', accessToken: 't', other: 'x' });
    assert.deepEqual(peerQuery(p, ['ip', 'all', 'tenant']), { ip: '10.0.0.1', all: 'true', aggregation: 'false' });
  });
});
