/**
 * Liveness sweep, modelled on the Java server's NacosRuntimeConnectionEjector (docs/protocol/grpc.md §3.7):
 * every `intervalMs`, each registered connection idle for at least `idleEjectMs` gets a
 * ClientDetectionRequest; if it does not ack successfully within `timeoutMs` it is ejected.
 *
 * This is also what clears connections a client abandoned while keeping them open (the Rust SDK
 * does not close the old connection when it reconnects, docs/protocol/grpc.md §3.9). Transports that never
 * registered (or were unregistered) and have been idle as long are closed outright.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../observability/logger.js';
import type { Connection, ConnectionRegistry } from './connections.js';

export interface ClientDetectorOptions {
  registry: ConnectionRegistry;
  clock: Clock;
  logger: Logger;
  idleEjectMs: number;
  intervalMs: number;
  /** Sends a ClientDetectionRequest and resolves on a successful ack. */
  probe(conn: Connection): Promise<void>;
  /** Unregisters a connection that failed its probe. */
  eject(conn: Connection, reason: string): void;
}

export class ClientDetector {
  private timer: TimerHandle | null = null;

  constructor(private readonly o: ClientDetectorOptions) {}

  start(): void {
    this.timer ??= this.o.clock.setInterval(() => this.sweep(), this.o.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** One pass; public so tests can drive it. */
  sweep(): void {
    const now = this.o.clock.monotonic();
    for (const conn of this.o.registry.transports()) {
      if (now - conn.lastActive < this.o.idleEjectMs) continue;
      if (!conn.registered) {
        this.o.logger.info({ connectionId: conn.id }, 'closing idle unregistered sdk transport');
        this.o.registry.closeTransport(conn, 'idle and unregistered');
        conn.closeTransport();
        continue;
      }
      if (conn.detecting) continue;
      conn.detecting = true;
      this.o.probe(conn).then(
        () => {
          conn.detecting = false;
          if (conn.registered) conn.lastActive = this.o.clock.monotonic();
        },
        (err: unknown) => {
          conn.detecting = false;
          if (!conn.registered) return;
          const reason = `client detection failed: ${err instanceof Error ? err.message : String(err)}`;
          this.o.logger.warn({ connectionId: conn.id }, reason);
          this.o.eject(conn, reason);
        },
      );
    }
  }
}
