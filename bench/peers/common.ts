/**
 * What the benchmark needs from a peer registry (etcd, ZooKeeper): start a server, and a client
 * "connection" (etcd client with its own TCP connection / ZooKeeper session) that can register an
 * instance, read a service, watch a service and batch-load instances. The load generators in
 * bench/load/peer-*.ts are written against this interface only.
 *
 * Data layout, the same for both peers: a service is the prefix/znode `<root>/<service>`, an
 * instance is the key/child `<root>/<service>/<ip>:<port>` whose value is the instance JSON the
 * Nacos clients send (bench/lib/bodies.ts `instanceJson`), so payloads match Nomen's.
 */
import type { ProcessHandle } from '../lib/proc.js';

export const PEERS = ['etcd', 'zookeeper'] as const;
export type PeerName = (typeof PEERS)[number];

export interface PeerServer extends ProcessHandle {
  readonly name: PeerName;
  /** What the peer's client connects to (`host:port`). */
  readonly endpoint: string;
}

export interface PeerStartOptions {
  /** Client port; etcd also uses port + 1000 for its (unused) peer URL. */
  port: number;
  dataDir: string;
  logFile: string;
  cpu: number | null;
}

export interface Host {
  ip: string;
  port: number;
}

/** One client connection (etcd: own HTTP/2 connection; ZooKeeper: own session). */
export interface PeerConnection {
  /**
   * Registers a new instance the way the peer's users do: etcd grants a lease and puts the key
   * with it (2 round trips); ZooKeeper creates an ephemeral znode (1 round trip; the service's
   * znode must exist, see `prepareServices`).
   */
  register(service: string, host: Host): Promise<void>;
  /**
   * A change for the notification scenario: adds an instance in one request (etcd: Put with this
   * connection's lease, granted once beforehand; ZooKeeper: the same create as `register`).
   */
  change(service: string, host: Host): Promise<void>;
  /** Creates whatever a service needs before instances can be registered in it (ZooKeeper: the persistent parent znode). */
  prepareServices(services: readonly string[]): Promise<void>;
  /** Makes `service` hold exactly the instances `hosts` (persistent/lease-less, for the query scenario). */
  fill(service: string, hosts: readonly Host[]): Promise<void>;
  /** Reads a service: returns how many instances it holds (values are fetched too). */
  query(service: string): Promise<number>;
  /**
   * Watches a service; `onChange(host, receivedAt)` is called for each instance added. ZooKeeper's
   * child watch carries no data: `host` is null there and the watch is re-armed after each event.
   */
  watch(service: string, onChange: (key: string | null, receivedAt: number) => void): Promise<void>;
  /** Adds `hosts` to `service` in one request (etcd txn / ZooKeeper multi), tied to this connection's lease/session. */
  batchRegister(service: string, hosts: readonly Host[]): Promise<void>;
  /**
   * Configuration-center counterparts (docs/benchmarks.md "Configuration center"): a config is the
   * key/znode `configPath(dataId)` whose value is the content. `putConfig` creates or overwrites it
   * (etcd Put; ZooKeeper setData, created first when missing), persistent (no lease, no session).
   */
  putConfig(dataId: string, content: Buffer): Promise<void>;
  /** Reads one config; resolves with its size in bytes (-1 when missing). */
  getConfig(dataId: string): Promise<number>;
  /**
   * Watches one config; `onChange(content, receivedAt)` per change. etcd: a Watch on the key (the
   * event carries the value). ZooKeeper: getData with a data watch, re-armed after each event (the
   * event carries no data: `content` is null).
   */
  watchConfig(dataId: string, onChange: (content: Buffer | null, receivedAt: number) => void): Promise<void>;
  close(): Promise<void>;
}

export interface PeerDriver {
  readonly name: PeerName;
  /** One line for the docs: what register, query and watch are on this peer. */
  readonly describe: string;
  start(o: PeerStartOptions): Promise<PeerServer>;
  connect(endpoint: string, id: number): Promise<PeerConnection>;
}

export const ROOT_PATH = '/nomen-bench';
export const servicePath = (service: string): string => `${ROOT_PATH}/${service}`;
export const instancePath = (service: string, h: Host): string => `${ROOT_PATH}/${service}/${h.ip}:${h.port}`;
export const CONFIG_ROOT = '/nomen-bench-config';
export const configPath = (dataId: string): string => `${CONFIG_ROOT}/${dataId}`;

/** Runs `f` over `items` with at most `parallel` in flight. */
export async function inParallel<T>(items: readonly T[], parallel: number, f: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await f(items[i]!, i);
      }
    }),
  );
}
