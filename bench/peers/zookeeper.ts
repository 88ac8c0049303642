/**
 * ZooKeeper (Debian `zookeeper`, 3.8) as a benchmark peer, driven with the npm
 * `node-zookeeper-client` (pure JavaScript; nothing to build or download).
 *
 * Server: `java -Xmx1000m org.apache.zookeeper.server.ZooKeeperServerMain zoo.cfg` (1000 MB heap
 * as upstream's zkServer.sh; otherwise JVM defaults), standalone, default `forceSync=yes` (the
 * transaction log is fsynced on every commit, as shipped), `maxClientCnxns=0` (the default 60
 * connections per IP would refuse the 10,000-session fan-out), admin server off; ready = the first
 * `srvr` four-letter command answering `Mode: standalone`.
 *
 * Client: every connection is one ZooKeeper session (own TCP connection).
 *  - register: one `create` of an EPHEMERAL znode `<root>/<service>/<ip>:<port>` with the
 *    instance JSON as data (the service's persistent znode is created beforehand).
 *  - query: `getChildren` of the service znode, then `getData` of every child, all 100 sent at
 *    once on the session (101 requests, 2 round trips).
 *  - watch: `getChildren` with a child watch; the event (NodeChildrenChanged) carries no data and
 *    fires once: it is re-armed by another `getChildren` with watch. Latency counts the event's
 *    arrival, not the reads a real client would then make, so it is a lower bound.
 *  - batchRegister: one `multi` creating the service znode (persistent, first time only) and the
 *    instances (ephemeral, tied to this session).
 *  - configs: a persistent znode per config; setData (create when missing) / getData, and a data
 *    watch (getData with a watcher, re-armed after each NodeDataChanged; the event has no data).
 */
import { createConnection } from 'node:net';
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateMode, createClient, type Client, type Exception } from 'node-zookeeper-client';
import { instanceJson } from '../lib/bodies.js';
import { startProcess } from '../lib/proc.js';
import { CONFIG_ROOT, configPath, inParallel, instancePath, servicePath, ROOT_PATH, type PeerConnection, type PeerDriver, type PeerServer, type PeerStartOptions } from './common.js';

const CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';

/** Sends a four-letter command and returns the answer (bounded by `timeoutMs`). */
export function fourLetter(port: number, cmd: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => s.end(cmd));
    let out = '';
    s.setTimeout(timeoutMs, () => s.destroy(new Error('timeout')));
    s.on('data', (d: Buffer) => (out += d.toString('utf8')));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

async function start(o: PeerStartOptions): Promise<PeerServer> {
  const cfg = join(o.dataDir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      'tickTime=2000',
      `dataDir=${join(o.dataDir, 'data')}`,
      `clientPort=${o.port}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      'globalOutstandingLimit=10000',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,ruok',
      '',
    ].join('\n'),
  );
  const p = await startProcess({
    name: 'zookeeper',
    cmd: 'java',
    args: ['-Xmx1000m', '-cp', CLASSPATH, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg],
    logFile: o.logFile,
    cpu: o.cpu,
    ready: async () => (await fourLetter(o.port, 'srvr')).includes('Mode: standalone'),
  });
  return { ...p, name: 'zookeeper', endpoint: `127.0.0.1:${o.port}` };
}

async function connect(endpoint: string): Promise<PeerConnection> {
  const client: Client = createClient(endpoint, { sessionTimeout: 30_000, spinDelay: 200, retries: 0 });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      client.close();
      reject(new Error(`zookeeper session to ${endpoint} not established within 30 s`));
    }, 30_000);
    client.once('connected', () => {
      clearTimeout(t);
      resolve();
    });
    client.connect();
  });
  // node-zookeeper-client's Exception is not an Error: keep its code readable.
  const call = <T>(f: (cb: (e: Error | Exception | null, r: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => f((e, r) => (e ? reject(e) : resolve(r))));
  const mkdirp = (path: string): Promise<string> => call<string>((cb) => client.mkdirp(path, cb));
  // A ZooKeeper watch fires once: `read` sets one, and it is set again after every event.
  const watchAlways = async <T>(read: (watcher: () => void, cb: (e: Error | Exception | null, r: T) => void) => void, fired: (at: number) => void): Promise<void> => {
    const arm = (): Promise<T> =>
      call<T>((cb) =>
        read(() => {
          fired(performance.now());
          arm().catch(() => undefined);
        }, cb),
      );
    await arm();
  };
  const known = new Set<string>();
  const ephemeral = (service: string, h: { ip: string; port: number }): [string, Buffer] => [instancePath(service, h), Buffer.from(instanceJson(h.ip, h.port))];

  const conn: PeerConnection = {
    async register(service, h) {
      const [path, data] = ephemeral(service, h);
      await call<string>((cb) => client.create(path, data, CreateMode.EPHEMERAL, cb));
    },
    async change(service, h) {
      await conn.register(service, h);
    },
    async prepareServices(services) {
      await mkdirp(ROOT_PATH);
      await inParallel(services, 64, async (s) => {
        await mkdirp(servicePath(s));
      });
    },
    async fill(service, hosts) {
      const dir = servicePath(service);
      await mkdirp(dir);
      const children = await call<string[]>((cb) => client.getChildren(dir, cb));
      await Promise.all(children.map((c) => call<void>((cb) => client.remove(`${dir}/${c}`, -1, cb))));
      await Promise.all(
        hosts.map((h) => {
          const [path, data] = ephemeral(service, h);
          return call<string>((cb) => client.create(path, data, CreateMode.PERSISTENT, cb));
        }),
      );
    },
    async query(service) {
      const dir = servicePath(service);
      const children = await call<string[]>((cb) => client.getChildren(dir, cb));
      const data = await Promise.all(children.map((c) => call<Buffer>((cb) => client.getData(`${dir}/${c}`, cb))));
      return data.length;
    },
    async watch(service, onChange) {
      const dir = servicePath(service);
      await watchAlways<string[]>((w, cb) => client.getChildren(dir, w, cb), (at) => onChange(null, at));
    },
    async batchRegister(service, hosts) {
      const dir = servicePath(service);
      const tx = client.transaction();
      if (!known.has(dir)) tx.create(dir, CreateMode.PERSISTENT);
      for (const h of hosts) {
        const [path, data] = ephemeral(service, h);
        tx.create(path, data, CreateMode.EPHEMERAL);
      }
      try {
        await call<unknown>((cb) => tx.commit(cb));
      } catch (e) {
        if (known.has(dir)) throw e;
        // The service znode already existed (another connection made it): plain multi.
        known.add(dir);
        return conn.batchRegister(service, hosts);
      }
      known.add(dir);
    },
    async putConfig(dataId, content) {
      const path = configPath(dataId);
      try {
        await call<unknown>((cb) => client.setData(path, content, -1, cb));
      } catch {
        await mkdirp(CONFIG_ROOT);
        await call<string>((cb) => client.create(path, content, CreateMode.PERSISTENT, cb)).catch(() => call<unknown>((cb) => client.setData(path, content, -1, cb)));
      }
    },
    async getConfig(dataId) {
      const data = await call<Buffer | undefined>((cb) => client.getData(configPath(dataId), cb));
      return data?.length ?? 0;
    },
    async watchConfig(dataId, onChange) {
      const path = configPath(dataId);
      await watchAlways<Buffer | undefined>((w, cb) => client.getData(path, w, cb), (at) => onChange(null, at));
    },
    async close() {
      // Wait (bounded) for the closeSession to go out, or the session and its ephemeral znodes
      // would outlive this process by the session timeout.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        client.once('disconnected', () => {
          clearTimeout(t);
          resolve();
        });
        client.close();
      });
    },
  };
  return conn;
}

export const zookeeper: PeerDriver = {
  name: 'zookeeper',
  describe:
    'register = create of an EPHEMERAL znode with the instance JSON (1 round trip); query = getChildren + getData of each of the 100 children, pipelined on the session (101 requests); ' +
    'watch = getChildren with a child watch, re-armed after every event (the event carries no data)',
  start,
  connect: (endpoint) => connect(endpoint),
};
