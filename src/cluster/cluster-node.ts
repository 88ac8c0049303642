import { resolve4 } from 'node:dns/promises';
import type { Clock, TimerHandle } from '../core/clock.js';
import { NacosError } from '../core/errors.js';
import type { Registry } from '../core/registry.js';
import { ConfigError, type Config } from '../config/config.js';
import { DistroProtocol, type DistroConfig } from '../distro/index.js';
import type { HybridLogicalClock } from '../distro/hlc.js';
import type { DistroOutcome } from '../distro/messages.js';
import type { DistroTransportAgent } from '../distro/transport-agent.js';
import type { Logger } from '../observability/logger.js';
import { parseDistroRequest, parseDistroResponse } from './distro-wire.js';
import { AddressServerLookup, DnsLookup, FileLookup, StaticLookup, fetchText, type MemberLookup } from './lookup.js';
import type { MemberAddress } from './member-address.js';
import { MemberManager, type Member, type MembershipView, type ProbeResult } from './member-manager.js';
import { clusterSecretProblem } from './transport/auth.js';
import { ClusterRequestError, ClusterTransport } from './transport/index.js';
import { readClusterTls } from './transport/tls.js';

export const DISTRO_REQUEST = 'DistroDataRequest';
export const MEMBER_REPORT = 'MemberReportRequest';

/** Distro settings from the config (Nacos keys where Nacos has one). */
export function distroConfigFrom(c: Config): Partial<DistroConfig> {
  return {
    syncDelayMs: c.int('nacos.core.protocol.distro.data.sync.delayMs'),
    syncTimeoutMs: c.int('nacos.core.protocol.distro.data.sync.timeoutMs'),
    syncRetryDelayMs: c.int('nacos.core.protocol.distro.data.sync.retryDelayMs'),
    syncBatchMaxEntries: c.int('nomen.distro.sync.batch-max-entries'),
    syncBatchMaxBytes: c.int('nomen.distro.sync.batch-max-bytes'),
    syncMaxInFlight: c.int('nomen.distro.sync.max-in-flight'),
    verifyIntervalMs: c.int('nacos.core.protocol.distro.data.verify.intervalMs'),
    verifyTimeoutMs: c.int('nacos.core.protocol.distro.data.verify.timeoutMs'),
    verifyMode: c.str('nomen.distro.verify.mode') === 'per-client' ? 'per-client' : 'digest',
    verifyBuckets: c.int('nomen.distro.verify.buckets'),
    loadTimeoutMs: c.int('nacos.core.protocol.distro.data.load.timeoutMs'),
    loadRetryDelayMs: c.int('nacos.core.protocol.distro.data.load.retryDelayMs'),
    loadGiveUpMs: c.int('nomen.distro.load.give-up-ms'),
    loadChunkMaxBytes: c.int('nomen.distro.load.chunk-max-bytes'),
    clientExpiredMs: c.int('nacos.naming.client.expired.time'),
    expiryCheckIntervalMs: c.int('nomen.distro.expiry.check-interval-ms'),
  };
}

/** Chooses the member lookup from the config (docs/protocol/distro.md §5.2, plus DNS). */
export function lookupFrom(c: Config, clock: Clock, log: Logger, defaultPort: number): MemberLookup {
  const type = c.str('nacos.core.member.lookup.type');
  const interval = c.int('nomen.cluster.lookup.interval-ms');
  const conf = c.str('nomen.cluster.conf');
  if (type === 'address-server') {
    const domain = c.str('address.server.domain');
    if (domain === '') throw new Error('lookup type address-server needs address.server.domain');
    const url = `http://${domain}:${c.int('address.server.port')}${c.str('address.server.url')}`;
    return new AddressServerLookup(url, (u) => fetchText(u), clock, log, interval, defaultPort);
  }
  if (type === 'dns') {
    const name = c.str('nomen.cluster.dns.name');
    if (name === '') throw new Error('lookup type dns needs nomen.cluster.dns.name');
    return new DnsLookup(name, defaultPort, (n) => resolve4(n), clock, log, interval);
  }
  if (conf !== '') return new FileLookup(conf, clock, log, Math.min(interval, 1000), defaultPort);
  const list = c.str('nacos.member.list');
  if (list === '') throw new Error('cluster mode needs --members, --cluster-conf, or a lookup type (nacos.core.member.lookup.type)');
  return new StaticLookup(list, defaultPort);
}

/**
 * Where the cluster port listens: `nomen.cluster.bind-host` if set, else the address this member
 * advertises to its peers. Not the wildcard by default: the cluster port only needs to be
 * reachable where peers dial it (docs/security.md §2).
 */
export function clusterBindHost(configured: string, advertisedIp: string): string {
  return configured !== '' ? configured : advertisedIp;
}

/**
 * One member's cluster layer: member list lookup, member health (reports over the cluster
 * transport), the cluster transport itself, and the Distro protocol wired to both.
 */
export class ClusterNode {
  readonly members: MemberManager;
  readonly transport: ClusterTransport;
  readonly distro: DistroProtocol;
  private readonly lookup: MemberLookup;
  private view: MembershipView;
  private statsTimer: TimerHandle | null = null;
  private readonly log: Logger;
  private readonly bindHost: string;
  /** More facts this member reports about itself (SDK connection count, draining), set by the server. */
  extraInfo: () => Record<string, string | number | boolean> = () => ({});

  constructor(
    private readonly self: MemberAddress,
    private readonly config: Config,
    registry: Registry,
    hlc: HybridLogicalClock,
    private readonly clock: Clock,
    rootLog: Logger,
    version: string,
  ) {
    this.log = rootLog.child({ component: 'cluster' });
    this.bindHost = clusterBindHost(config.str('nomen.cluster.bind-host'), self.ip);
    const log = rootLog;
    this.members = new MemberManager(self, clock, (m) => this.probe(m), {
      reportIntervalMs: config.int('nomen.cluster.member.report-interval-ms'),
      unhealthyProbeIntervalMs: config.int('nomen.cluster.member.unhealthy-probe-interval-ms'),
      maxFailAccessCnt: config.int('nacos.core.member.fail-access-cnt'),
    }, () => ({ version, raftPort: String(self.port - 1000), readyToUpgrade: true, distroLoaded: this.distro.isLoaded(), ...this.extraInfo() }));
    this.view = this.members.view();
    // Fail closed: no member runs an unsigned cluster port (docs/security.md §2).
    const secret = config.str('nomen.cluster.secret');
    const secretProblem = clusterSecretProblem(secret);
    if (secretProblem !== null) throw new ConfigError(secretProblem);
    const tls = readClusterTls({
      cert: config.str('nomen.cluster.tls.cert'),
      key: config.str('nomen.cluster.tls.key'),
      ca: config.str('nomen.cluster.tls.ca'),
    });
    this.transport = new ClusterTransport({
      self,
      host: this.bindHost,
      port: self.port + 1001,
      secret,
      isMember: (a) => this.members.get(a) !== undefined,
      logger: log.child({ component: 'cluster-transport' }),
      clock,
      maxInboundBytes: config.int('nomen.cluster.max-inbound-message-size'),
      maxQueuePerPeer: config.int('nomen.cluster.max-in-flight-per-peer'),
      maxClockSkewMs: config.int('nomen.cluster.auth.max-skew-ms'),
      tls,
      stream: {
        chunkBytes: config.int('nomen.cluster.stream.chunk-bytes'),
        maxQueueFrames: config.int('nomen.cluster.stream.max-queue-frames'),
        maxQueueBytes: config.int('nomen.cluster.stream.max-queue-bytes'),
      },
    });
    const agent: DistroTransportAgent = {
      send: (target, req, timeoutMs, done) => {
        this.transport.request(target, DISTRO_REQUEST, req, timeoutMs).then(
          (body) => {
            const r = parseDistroResponse(body['distro']);
            done('error' in r && !('type' in r) ? { type: 'failed', reason: r.error } : (r as DistroOutcome));
          },
          (e: unknown) => done({ type: 'failed', reason: e instanceof Error ? e.message : String(e) }),
        );
      },
    };
    const dlog = log.child({ component: 'distro' });
    this.distro = new DistroProtocol({
      self: self.address,
      standalone: false,
      registry,
      hlc,
      clock,
      transport: agent,
      config: distroConfigFrom(config),
      log: { info: (o, m) => dlog.info(o, m), warn: (o, m) => dlog.warn(o, m), debug: (o, m) => dlog.debug(o, m) },
    });
    this.lookup = lookupFrom(config, clock, log.child({ component: 'member-lookup' }), self.port);

    this.transport.handle(DISTRO_REQUEST, (body, from) => {
      const req = parseDistroRequest(body);
      if ('error' in req) throw new NacosError(400, req.error);
      const res = this.distro.handle(req, from);
      if (res.type === 'error') throw new NacosError(500, res.message);
      return { distro: res };
    });
    this.transport.handle(MEMBER_REPORT, (body, from) => {
      this.members.onReportReceived(from, reportedInfo(body));
      return { node: { address: self.address, ...this.members.selfDescription() } };
    });
    this.members.onChange((v) => this.membersChanged(v));
  }

  /** The member lookup in use (`static`, `file`, `address-server`, `dns`). */
  get lookupKind(): MemberLookup['kind'] {
    return this.lookup.kind;
  }

  async start(): Promise<void> {
    try {
      await this.transport.start();
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(
        `cannot listen on the cluster port ${this.bindHost}:${this.self.port + 1001} (${why}); it listens on the advertised member address unless nomen.cluster.bind-host says otherwise`,
      );
    }
    await this.lookup.start((list) => this.members.applyLookup(list));
    if (!this.members.get(this.self.address)) throw new Error(`this member ${this.self.address} is not in its own member list`);
    if (this.members.peers().length === 0) this.log.warn('cluster mode with no other member in the list');
    this.distro.onMembersChanged(this.members.view().all);
    this.members.start();
    this.distro.start();
    this.statsTimer = this.clock.setInterval(() => this.log.info({ distro: this.distro.stats() }, 'distro stats'), 60_000);
  }

  async stop(): Promise<void> {
    this.statsTimer?.cancel();
    this.members.stop();
    this.lookup.stop();
    this.distro.stop();
    await this.transport.stop();
  }

  /** Members in the shape the HTTP core APIs report. */
  memberList(): readonly Member[] {
    return this.members.view().all;
  }

  state(): unknown {
    const v = this.members.view();
    return {
      self: this.self.address,
      loaded: this.distro.isLoaded(),
      members: v.all.map((m) => ({ address: m.address, state: m.state, failAccessCnt: m.failAccessCnt, lastRefreshTime: m.lastRefreshTime })),
      healthy: v.healthy,
      distro: this.distro.stats(),
      transport: this.transport.stats(),
    };
  }

  private membersChanged(v: MembershipView): void {
    if (v.seq < this.view.seq) return;
    const gone = this.view.all.filter((m) => !v.all.some((n) => n.address === m.address));
    this.view = v;
    for (const m of gone) this.transport.closePeer(m.address);
    this.distro.onMembersChanged(v.all);
    this.log.info({ members: v.all.map((m) => `${m.address}:${m.state}`) }, 'member list changed');
  }

  private async probe(m: Member): Promise<ProbeResult> {
    try {
      const reply = await this.transport.request(m.address, MEMBER_REPORT, { node: { address: this.self.address, ...this.members.selfDescription() } }, 3000);
      return { ok: true, info: reportedInfo(reply) };
    } catch (e) {
      return { ok: false, refused: e instanceof ClusterRequestError && e.reason === 'refused-connection' };
    }
  }
}

/**
 * The facts a peer reports about itself in a member report (`node`, request or reply): scalar
 * values only, bounded, its `address` excluded (the transport authenticated the sender).
 */
export function reportedInfo(body: unknown): Record<string, string | number | boolean> {
  const node = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['node'] : undefined;
  const out: Record<string, string | number | boolean> = {};
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return out;
  let n = 0;
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === 'address' || k.length > 64 || ++n > 32) continue;
    if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 256)) out[k] = v;
  }
  return out;
}
