/**
 * JSON bodies the benchmark sends, shaped like the Rust SDK's (docs/protocol/grpc.md §4.4–4.8), and the
 * pre-encoded ServiceInfo the bare baselines answer with (docs/protocol/grpc.md §4.3, docs/protocol/http.md §1.5).
 */

export const GROUP = 'DEFAULT_GROUP';
export const NAMESPACE = 'public';

export function instanceJson(ip: string, port: number): string {
  return (
    `{"instanceId":null,"ip":"${ip}","port":${port},"weight":1,"healthy":true,"enabled":true,` +
    `"ephemeral":true,"clusterName":null,"serviceName":null,"metadata":{}}`
  );
}

function namingTail(service: string, requestId: number): string {
  return `"headers":{},"requestId":"${requestId}","namespace":"${NAMESPACE}","serviceName":"${service}","groupName":"${GROUP}"`;
}

export function registerBody(service: string, ip: string, port: number, requestId = 1): string {
  return `{"type":"registerInstance","instance":${instanceJson(ip, port)},${namingTail(service, requestId)}}`;
}

export function batchRegisterBody(service: string, hosts: readonly { ip: string; port: number }[], requestId = 1): string {
  return `{"type":"batchRegisterInstance","instances":[${hosts.map((h) => instanceJson(h.ip, h.port)).join(',')}],${namingTail(service, requestId)}}`;
}

export function queryBody(service: string, requestId = 1): string {
  return `{"cluster":"","healthyOnly":false,"udpPort":0,${namingTail(service, requestId)}}`;
}

export function subscribeBody(service: string, requestId = 1): string {
  return `{"subscribe":true,"clusters":"",${namingTail(service, requestId)}}`;
}

/** The i-th (0-based) loopback address of a block: 127.<block>.<hi>.<lo>, never .0 or .255 in the last octet. */
export function loopbackIp(block: number, i: number): string {
  const lo = (i % 250) + 1;
  const hi = Math.floor(i / 250) % 250;
  return `127.${block % 250}.${hi}.${lo}`;
}

export function hostsOf(block: number, n: number, basePort = 8000): { ip: string; port: number }[] {
  return Array.from({ length: n }, (_, i) => ({ ip: loopbackIp(block, i), port: basePort + (i % 1000) }));
}

/** A ServiceInfo JSON with `n` hosts, in the shape Nomen/Nacos serve it (hosts carry all the fields). */
export function serviceInfoJson(service: string, n: number, nameStyle: 'bare' | 'grouped'): string {
  const grouped = `${GROUP}@@${service}`;
  const hosts = hostsOf(7, n).map((h) => ({
    instanceId: `${h.ip}#${h.port}#DEFAULT#${grouped}`,
    ip: h.ip,
    port: h.port,
    weight: 1,
    healthy: true,
    enabled: true,
    ephemeral: true,
    clusterName: 'DEFAULT',
    serviceName: grouped,
    metadata: {},
    instanceHeartBeatInterval: 5000,
    instanceHeartBeatTimeOut: 15000,
    ipDeleteTimeout: 30000,
  }));
  return JSON.stringify({
    name: nameStyle === 'grouped' ? grouped : service,
    groupName: GROUP,
    clusters: '',
    cacheMillis: 10000,
    hosts,
    lastRefTime: Date.now(),
    checksum: '',
    allIPs: false,
    reachProtectionThreshold: false,
    valid: true,
  });
}

export function okResponseJson(extra = ''): string {
  return `{"resultCode":200,"errorCode":0,"message":null,"requestId":null,"success":true${extra}}`;
}

// Configuration center (docs/protocol/config.md §2.2, §2.3, §2.5).

function configTail(dataId: string, requestId: number): string {
  return `"headers":{},"requestId":"${requestId}","dataId":"${dataId}","group":"${GROUP}","tenant":""`;
}

export function configQueryBody(dataId: string, requestId = 1): string {
  return `{"tag":null,${configTail(dataId, requestId)}}`;
}

export function configPublishBody(dataId: string, content: string, requestId = 1): string {
  return `{"content":${JSON.stringify(content)},"casMd5":null,"additionMap":{"type":"text"},${configTail(dataId, requestId)}}`;
}

export function configListenBody(dataId: string, md5: string, requestId = 1): string {
  return `{"listen":true,"configListenContexts":[{"dataId":"${dataId}","group":"${GROUP}","tenant":"","md5":"${md5}"}],"headers":{},"requestId":"${requestId}","tenant":null,"dataId":null,"group":null}`;
}

/**
 * A config content of exactly `bytes` ASCII bytes that starts with `marker` (a round number or a
 * config's name, so every change is a real change and a watcher can tell which one it saw).
 */
export function configContent(marker: string, bytes: number): string {
  const head = `v=${marker};`;
  if (head.length >= bytes) return head.slice(0, bytes);
  return head + 'x'.repeat(bytes - head.length);
}

/** The marker `configContent` put at the start of `content`, or null. */
export function configMarker(content: string | Buffer): string | null {
  const s = typeof content === 'string' ? content.slice(0, 64) : content.toString('latin1', 0, Math.min(content.length, 64));
  const m = /^v=([^;]*);/.exec(s);
  return m ? m[1]! : null;
}

/** The v1 long-poll `Listening-Configs` value for one key (docs/protocol/config.md §3.4): `dataId ^B group ^B md5 ^A`. */
export function listeningConfigs(dataId: string, md5: string): string {
  return `${dataId}\u0002${GROUP}\u0002${md5}\u0001`;
}
