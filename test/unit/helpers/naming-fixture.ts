import { ManualClock } from '../../../src/core/clock.js';
import { MetadataIndex } from '../../../src/core/metadata.js';
import { Registry } from '../../../src/core/registry.js';
import { ExpiryTasks } from '../../../src/naming/expiry.js';
import { NamingService } from '../../../src/naming/naming-service.js';
import { PersistentStateMachine } from '../../../src/naming/persistent-state.js';
import { PushEngine, type PushSink } from '../../../src/naming/push-engine.js';
import { ServiceInfoView, type RenderedServiceInfo } from '../../../src/naming/service-info-view.js';
import { SubscriptionRegistry, type Subscriber } from '../../../src/naming/subscriptions.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { MemoryStore } from '../../../src/persistence/memory-store.js';

/** A recording push sink; `fail` makes pushes reject. */
export class RecordingSink implements PushSink {
  readonly pushes: { sub: Subscriber; info: RenderedServiceInfo }[] = [];
  fail = false;
  async push(sub: Subscriber, info: RenderedServiceInfo): Promise<void> {
    this.pushes.push({ sub, info });
    if (this.fail) throw new Error('push failed');
  }
}

/**
 * The same, through `pushThen` (the gRPC sink's callback path): an ack comes later, like a
 * client's; a failure is reported at once, like a write the stream refused.
 */
export class CallbackSink extends RecordingSink {
  pushThen(sub: Subscriber, info: RenderedServiceInfo, done: (err: unknown) => void): void {
    this.pushes.push({ sub, info });
    if (this.fail) done(new Error('push failed'));
    else queueMicrotask(() => done(null));
  }
}

/** The whole naming stack in memory on a manual clock. */
export function namingFixture(opts: { pushDelayMs?: number } = {}) {
  const clock = new ManualClock();
  const log = silentLogger();
  const registry = new Registry();
  const metadata = new MetadataIndex();
  const store = new MemoryStore();
  const subs = new SubscriptionRegistry();
  const view = new ServiceInfoView(registry, metadata, clock, () => 10000);
  // gRPC on the callback path (as in production), UDP on the promise path.
  const grpc = new CallbackSink();
  const udp = new RecordingSink();
  const push = new PushEngine(view, subs, { grpc, udp }, clock, log, {
    delayMs: opts.pushDelayMs ?? 500,
    retryDelayMs: 1000,
    maxRetries: 2,
  });
  const naming = new NamingService(registry, metadata, store, subs, view, push, clock, log, {
    clientBeatInterval: 5000,
    lightBeatEnabled: true,
    metadataLimit: 1024,
  });
  const sm = new PersistentStateMachine(registry, metadata, clock, log);
  store.onApply((b) => sm.apply(b));
  const expiry = new ExpiryTasks(registry, metadata, subs, view, clock, log, {
    checkIntervalMs: 5000,
    expireInstance: true,
    clientExpiredMs: 180000,
    udpSubscriberExpiredMs: 30000,
    emptyServiceExpiredMs: 60000,
    healthCheckEnabled: () => true,
  });
  return { clock, registry, metadata, store, subs, view, push, naming, expiry, grpc, udp };
}

/** Lets promise callbacks (push acks) run. */
export const flush = () => new Promise<void>((r) => setImmediate(r));
