/** Member addresses: `ip:port` where port is the member's main (HTTP) port. */

export interface MemberAddress {
  readonly ip: string;
  readonly port: number;
  readonly address: string;
}

/** Parses `ip[:port]` (IPv6 as `[addr]:port`); a missing port takes `defaultPort`. Null if malformed. */
export function parseMemberAddress(entry: string, defaultPort: number): MemberAddress | null {
  const e = entry.trim();
  if (e === '') return null;
  let ip: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  if (v6) {
    ip = v6[1]!;
    portText = v6[2];
  } else {
    const parts = e.split(':');
    if (parts.length > 2) return null;
    ip = parts[0]!;
    portText = parts[1];
  }
  if (ip === '' || /\s/.test(ip)) return null;
  const port = portText === undefined || portText === '' ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return { ip, port, address: `${host}:${port}` };
}

/**
 * cluster.conf format (Nacos EnvUtil.analyzeClusterConf): one or more comma-separated `ip[:port]`
 * entries per line; blank lines and lines starting with `#` ignored; text after `#` ignored.
 * Returns the valid addresses (deduplicated, sorted) and the entries that were not valid.
 */
export function parseMemberList(text: string, defaultPort: number): { members: MemberAddress[]; invalid: string[] } {
  const seen = new Map<string, MemberAddress>();
  const invalid: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.split('#')[0]!.trim();
    if (line === '') continue;
    for (const entry of line.split(',')) {
      if (entry.trim() === '') continue;
      const m = parseMemberAddress(entry, defaultPort);
      if (m) seen.set(m.address, m);
      else invalid.push(entry.trim());
    }
  }
  return { members: [...seen.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)), invalid };
}
