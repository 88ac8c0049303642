/**
 * Helpers around the `nacos-naming` Node SDK (HTTP v1 + UDP push): a capturing logger (its
 * messages are evidence, e.g. "[PushReceiver] received push data"), and a recording wrapper of
 * the SDK's own HTTP client (urllib) so tests can see which requests the SDK really sent.
 */
import { Console } from 'node:console';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { NacosNamingClient } from 'nacos-naming';
import { artifactPath, endLog, safeWrite } from './server.js';

/** What the SDK's proxy passes to `httpclient.request` (urllib 2.x options it uses). */
interface UrllibOptions {
  method: string;
  headers: Record<string, string>;
  data: Record<string, string>;
  dataType: string;
  dataAsQueryString: boolean;
}

interface UrllibResult {
  status: number;
  data: unknown;
}

interface Urllib {
  request(url: string, opts: UrllibOptions): Promise<UrllibResult>;
}

/** The SDK's instance parameter type. */
export type SdkInstance = Parameters<NacosNamingClient['registerInstance']>[1];

/**
 * An instance argument for the SDK. Its d.ts demands `instanceId`, `healthy` and `enabled` and
 * lacks `metadata`, while the code (lib/naming/instance.js) defaults the first three and reads
 * `metadata`: pass what the code really takes.
 */
export function inst(fields: { ip: string; port: number; metadata?: Record<string, string>; clusterName?: string; ephemeral?: boolean }): SdkInstance {
  return fields as unknown as SdkInstance;
}

/** One request the SDK sent, with the answer's status. */
export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  params: Record<string, string>;
  status: number | null;
}

/** The SDK's public surface used here; `close()` comes from sdk-base and is not in its d.ts. */
export type NodeNamingClient = NacosNamingClient & { close(): Promise<void> };

export interface NodeClientHandle {
  client: NodeNamingClient;
  /** Every formatted log line the SDK wrote, in order. */
  logLines: string[];
  /** Every HTTP request the SDK sent, in order. */
  requests: RecordedRequest[];
  /** close() the SDK client (idempotent) and the log file. */
  close(): Promise<void>;
}

// The urllib instance nacos-naming itself would use (resolved from its own location).
const requireFromSdk = createRequire(createRequire(import.meta.url).resolve('nacos-naming'));
const urllib = requireFromSdk('urllib') as Urllib;

/**
 * Builds a nacos-naming client against 127.0.0.1:port and waits for `ready()` (UDP socket bound).
 * With `credentials` the SDK appends `username` and `password` to every request (docs/protocol/http.md §5.2).
 */
export async function startNodeClient(port: number, label: string, credentials?: { username: string; password: string }): Promise<NodeClientHandle> {
  const logLines: string[] = [];
  const requests: RecordedRequest[] = [];
  const file: WriteStream = createWriteStream(artifactPath(`node-sdk-${label}-${Date.now()}-${process.pid}.log`), { flags: 'a' });
  let pendingLine = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      safeWrite(file, chunk);
      pendingLine += chunk.toString('utf8');
      let nl: number;
      while ((nl = pendingLine.indexOf('\n')) >= 0) {
        logLines.push(pendingLine.slice(0, nl));
        pendingLine = pendingLine.slice(nl + 1);
      }
      cb();
    },
  });
  const logger = new Console({ stdout: sink, stderr: sink });

  const httpclient: Urllib = {
    async request(url: string, opts: UrllibOptions): Promise<UrllibResult> {
      const rec: RecordedRequest = { at: Date.now(), method: opts.method, path: new URL(url).pathname, params: { ...opts.data }, status: null };
      requests.push(rec);
      const res = await urllib.request(url, opts);
      rec.status = res.status;
      return res;
    },
  };

  // `httpclient` is a documented-in-source option (proxy.js defaultOptions) missing from the d.ts.
  const options = { logger, serverList: `127.0.0.1:${port}`, namespace: 'public', httpclient, ...(credentials ?? {}) };
  const client = new NacosNamingClient(options) as NodeNamingClient;
  await client.ready();
  let closed = false;
  return {
    client,
    logLines,
    requests,
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      await endLog(file);
    },
  };
}
