import { readFile } from 'node:fs/promises';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { parseMemberAddress, parseMemberList, type MemberAddress } from './member-address.js';

/**
 * Where the member list comes from (docs/protocol/distro.md §5.2). Each lookup calls `onList` with the
 * full list whenever it (re)reads it; MemberManager.applyLookup ignores empty lists and no-ops.
 */
export interface MemberLookup {
  readonly kind: 'standalone' | 'static' | 'file' | 'address-server' | 'dns';
  start(onList: (list: MemberAddress[]) => void): Promise<void>;
  stop(): void;
}

export class StandaloneLookup implements MemberLookup {
  readonly kind = 'standalone' as const;
  constructor(private readonly self: MemberAddress) {}
  async start(onList: (list: MemberAddress[]) => void): Promise<void> {
    onList([this.self]);
  }
  stop(): void {}
}

/** `--members` / `nacos.member.list`. */
export class StaticLookup implements MemberLookup {
  readonly kind = 'static' as const;
  constructor(
    private readonly list: string,
    private readonly defaultPort: number,
  ) {}
  async start(onList: (list: MemberAddress[]) => void): Promise<void> {
    const { members, invalid } = parseMemberList(this.list.replace(/;/g, ','), this.defaultPort);
    if (invalid.length) throw new Error(`invalid member address(es) in nacos.member.list: ${invalid.join(', ')}`);
    onList(members);
  }
  stop(): void {}
}

/** Re-reads a text source periodically and reports the parsed list when its text changed. */
abstract class PollingLookup implements MemberLookup {
  abstract readonly kind: MemberLookup['kind'];
  private timer: TimerHandle | null = null;
  private lastText: string | null = null;
  failures = 0;

  constructor(
    protected readonly clock: Clock,
    protected readonly log: Logger,
    protected readonly intervalMs: number,
    protected readonly defaultPort: number,
  ) {}

  protected abstract read(): Promise<string>;

  async start(onList: (list: MemberAddress[]) => void): Promise<void> {
    await this.poll(onList, true);
    this.timer = this.clock.setInterval(() => void this.poll(onList, false), this.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private async poll(onList: (list: MemberAddress[]) => void, first: boolean): Promise<void> {
    let text: string;
    try {
      text = await this.read();
      this.failures = 0;
    } catch (e) {
      this.failures++;
      if (first) throw e;
      this.log.warn({ err: e, lookup: this.kind, failures: this.failures }, 'member lookup failed; keeping the current list');
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    const { members, invalid } = parseMemberList(text, this.defaultPort);
    if (invalid.length) this.log.warn({ lookup: this.kind, invalid }, 'ignoring invalid member entries');
    onList(members);
  }
}

/** cluster.conf, re-read when it changes (polled: works on every filesystem and in containers). */
export class FileLookup extends PollingLookup {
  readonly kind = 'file' as const;
  constructor(
    private readonly path: string,
    clock: Clock,
    log: Logger,
    intervalMs: number,
    defaultPort: number,
  ) {
    super(clock, log, intervalMs, defaultPort);
  }
  protected read(): Promise<string> {
    return readFile(this.path, 'utf8');
  }
}

/** Nacos address server: GET a cluster.conf-format list (`http://host:port/nacos/serverlist`). */
export class AddressServerLookup extends PollingLookup {
  readonly kind = 'address-server' as const;
  constructor(
    private readonly url: string,
    private readonly fetchText: (url: string) => Promise<string>,
    clock: Clock,
    log: Logger,
    intervalMs: number,
    defaultPort: number,
  ) {
    super(clock, log, intervalMs, defaultPort);
  }
  protected read(): Promise<string> {
    return this.fetchText(this.url);
  }
}

/**
 * Beyond Nacos: a DNS name (e.g. a Kubernetes headless service) resolved periodically; every address
 * the injected resolver returns is a member on `port` (production passes `resolve4`: A records only).
 */
export class DnsLookup extends PollingLookup {
  readonly kind = 'dns' as const;
  constructor(
    private readonly name: string,
    private readonly port: number,
    private readonly resolve: (name: string) => Promise<string[]>,
    clock: Clock,
    log: Logger,
    intervalMs: number,
  ) {
    super(clock, log, intervalMs, port);
  }
  protected async read(): Promise<string> {
    const ips = await this.resolve(this.name);
    return ips
      .map((ip) => parseMemberAddress(ip.includes(':') ? `[${ip}]:${this.port}` : `${ip}:${this.port}`, this.port)?.address ?? '')
      .filter(Boolean)
      .sort()
      .join('\n');
  }
}

/** Fetches text over HTTP with a timeout; non-200 is an error. */
export async function fetchText(url: string, timeoutMs = 3000): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status}`);
  return r.text();
}
