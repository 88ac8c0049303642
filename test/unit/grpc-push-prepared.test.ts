import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.js';
import { MetadataIndex } from '../../src/core/metadata.js';
import { Registry } from '../../src/core/registry.js';
import { serviceKeyId, type ServiceKey } from '../../src/core/names.js';
import { ServiceInfoView, type RenderedServiceInfo } from '../../src/naming/service-info-view.js';
import type { Subscriber } from '../../src/naming/subscriptions.js';
import { grpcPushSink, type PreparedPusher } from '../../src/transport/grpc/naming-handlers.js';
import type { JsonChunks } from '../../src/wire/codec.js';

const service: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'svc' };

function subscriber(connectionId: string): Subscriber {
  return {
    id: connectionId,
    service,
    serviceId: serviceKeyId(service),
    clusters: '',
    target: { kind: 'grpc', connectionId },
    app: 'unit',
    agent: 'test',
    address: '127.0.0.1:1',
    lastSeen: 0,
  };
}

/** A pusher that records what it prepared and where it sent it. */
function recordingPusher(): PreparedPusher<{ n: number; text: string }> & { prepared: string[]; sent: [string, number][] } {
  const prepared: string[] = [];
  const sent: [string, number][] = [];
  return {
    prepared,
    sent,
    prepare(type: string, body: JsonChunks) {
      prepared.push(`${type} ${body.text()}`);
      return { n: prepared.length, text: body.text() };
    },
    sendPrepared(connectionId: string, req: { n: number }, _timeoutMs: number, done: (err: Error | null) => void) {
      sent.push([connectionId, req.n]);
      done(null);
    },
  };
}

function render(view: ServiceInfoView): RenderedServiceInfo {
  return view.render({ service, clusters: '', healthyOnly: false, nameStyle: 'bare' });
}

test('gRPC push sink: one rendering is encoded once and the same prepared request goes to every subscriber', async () => {
  const view = new ServiceInfoView(new Registry(), new MetadataIndex(), new ManualClock(), () => 10000);
  const pusher = recordingPusher();
  const sink = grpcPushSink(pusher, () => 3000);
  const round1 = render(view);
  await Promise.all(['c1', 'c2', 'c3'].map((c) => sink.push(subscriber(c), round1)));
  assert.equal(pusher.prepared.length, 1, 'one encode for the round');
  assert.match(pusher.prepared[0]!, /^NotifySubscriberRequest \{"module":"naming","serviceInfo":\{.*"name":"svc"/);
  assert.deepEqual(pusher.sent, [
    ['c1', 1],
    ['c2', 1],
    ['c3', 1],
  ]);
  // The next rendering (next round, a retry) is a new request.
  const round2 = render(view);
  await sink.push(subscriber('c1'), round2);
  assert.equal(pusher.prepared.length, 2);
  assert.deepEqual(pusher.sent.at(-1), ['c1', 2]);
});

test('gRPC push sink: an encoding failure rejects the push instead of throwing', async () => {
  const view = new ServiceInfoView(new Registry(), new MetadataIndex(), new ManualClock(), () => 10000);
  const sink = grpcPushSink(
    {
      prepare: () => {
        throw new Error('cannot encode');
      },
      sendPrepared: (_c: string, _r: unknown, _t: number, done: (err: Error | null) => void) => done(null),
    },
    () => 3000,
  );
  await assert.rejects(sink.push(subscriber('c1'), render(view)), /cannot encode/);
  await assert.rejects(sink.push({ ...subscriber('u'), target: { kind: 'udp', ip: '127.0.0.1', port: 1 } }, render(view)), /not a gRPC subscriber/);
});
