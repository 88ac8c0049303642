/** Who this member is: the address it advertises to SDKs and peers, and its main port. */
import { networkInterfaces } from 'node:os';
import type { MemberIdentity } from '../app-context.js';
import type { Config } from '../config/config.js';

export function memberIdentity(config: Config): MemberIdentity {
  const port = config.int('nacos.server.main.port');
  const ip = advertisedIp(config.str('nacos.inetutils.ip-address'), config.str('nomen.server.host'));
  return { ip, port, address: `${ip}:${port}` };
}

/** The configured address; else the bind host unless it is a wildcard; else the first external IPv4. */
export function advertisedIp(configured: string, host: string): string {
  if (configured !== '') return configured;
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
