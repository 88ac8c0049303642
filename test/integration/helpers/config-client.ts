/**
 * The `nacos-config` Node SDK (HTTP v1) for tests. Its `NacosConfigClient` wraps `DataClient` in
 * cluster-client, which elects a leader among processes over a fixed local port (7777): parallel
 * test files would then share one leader and one server address. `DataClient` is the client that
 * leader runs and sends the same requests, so tests use it directly. Snapshots (the SDK's
 * fallback on errors) go to a fresh directory under test-artifacts, never the home directory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataClient } from 'nacos-config';
import { artifactPath } from './server.js';

export interface ConfigClientOptions {
  namespace?: string;
  username?: string;
  password?: string;
  /** The SDK retries a failed request without delay until this elapses (default 6000 ms). */
  requestTimeout?: number;
  appName?: string;
}

export async function startConfigClient(port: number, label: string, opts: ConfigClientOptions = {}): Promise<DataClient> {
  const cacheDir = artifactPath(join('nacos-config-cache', `${label}-${Date.now()}-${process.pid}`));
  mkdirSync(cacheDir, { recursive: true });
  const client = new DataClient({
    serverAddr: `127.0.0.1:${port}`,
    namespace: opts.namespace ?? '',
    requestTimeout: opts.requestTimeout ?? 6000,
    cacheDir,
    ...(opts.appName ? { appName: opts.appName } : {}),
    ...(opts.username ? { username: opts.username, password: opts.password ?? '' } : {}),
  });
  await client.ready();
  return client;
}
