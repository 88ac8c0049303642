/**
 * etcd (Debian `etcd-server`, 3.4) as a benchmark peer, driven with the npm `etcd3` client.
 *
 * Server: one member, default settings (WAL fsync on every commit, as shipped), data dir under the
 * bench's tmp dir, client URL on 127.0.0.1:<port>, peer URL on <port + 1000>; ready = the first
 * `GET /health` answering `"health":"true"`.
 *
 * Client: every connection is its own `Etcd3` instance. grpc-js shares one TCP connection between
 * channels with equal options (global subchannel pool), so each connection gets a distinct user
 * agent: N connections are N TCP connections, like Nomen's N gRPC connections.
 *  - register: LeaseGrant (TTL 3600 s) then Put of `<root>/<service>/<ip>:<port>` with that lease.
 *  - query: one Range over the service's prefix (keys and values).
 *  - watch: one Watch on the service's prefix; each Put event carries the key and value. The
 *    change watched for is a Put with the changer's lease (granted beforehand): one round trip.
 *  - batchRegister: one Txn of Puts, all attached to this connection's lease (granted once).
 *  - configs: Put / Range of one key (no lease), Watch on that key (events carry the value).
 */
import { performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { instanceJson } from '../lib/bodies.js';
import { httpGet, startProcess } from '../lib/proc.js';
import { configPath, instancePath, servicePath, type Host, type PeerConnection, type PeerDriver, type PeerServer, type PeerStartOptions } from './common.js';

const LEASE_TTL_SEC = 3600;

/** The exclusive end of a prefix range: the prefix with its last byte plus one. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]!++;
  return end;
}

const key = (service: string, h: Host): Buffer => Buffer.from(instancePath(service, h));
const value = (h: Host): Buffer => Buffer.from(instanceJson(h.ip, h.port));
const prefixOf = (service: string): Buffer => Buffer.from(servicePath(service) + '/');

async function start(o: PeerStartOptions): Promise<PeerServer> {
  const client = `http://127.0.0.1:${o.port}`;
  const peer = `http://127.0.0.1:${o.port + 1000}`;
  const p = await startProcess({
    name: 'etcd',
    cmd: 'etcd',
    args: [
      '--name=bench',
      `--data-dir=${o.dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=bench=${peer}`,
      '--logger=zap',
      '--log-level=warn',
    ],
    logFile: o.logFile,
    cpu: o.cpu,
    ready: async () => (await httpGet(`${client}/health`, 500)).body.includes('"health":"true"'),
  });
  return { ...p, name: 'etcd', endpoint: `127.0.0.1:${o.port}` };
}

async function connect(endpoint: string, id: number): Promise<PeerConnection> {
  const client = new Etcd3({ hosts: endpoint, grpcOptions: { 'grpc.primary_user_agent': `nomen-bench-${id}` } });
  let lease: string | undefined;
  const connLease = async (): Promise<string> => (lease ??= (await client.leaseClient.leaseGrant({ TTL: LEASE_TTL_SEC })).ID);
  const conn: PeerConnection = {
    async register(service, h) {
      const { ID } = await client.leaseClient.leaseGrant({ TTL: LEASE_TTL_SEC });
      await client.kv.put({ key: key(service, h), value: value(h), lease: ID });
    },
    async change(service, h) {
      await client.kv.put({ key: key(service, h), value: value(h), lease: await connLease() });
    },
    async prepareServices() {
      // Keys need no parent.
    },
    async fill(service, hosts) {
      const p = prefixOf(service);
      await client.kv.deleteRange({ key: p, range_end: prefixEnd(p) });
      await client.kv.txn({ success: hosts.map((h) => ({ request_put: { key: key(service, h), value: value(h) } })) });
    },
    async query(service) {
      const p = prefixOf(service);
      const r = await client.kv.range({ key: p, range_end: prefixEnd(p) });
      return r.kvs.length;
    },
    async watch(service, onChange) {
      const w = await client.watch().prefix(prefixOf(service).toString()).create();
      w.on('put', (kv) => onChange(kv.key.toString(), performance.now()));
    },
    async batchRegister(service, hosts) {
      const l = await connLease();
      await client.kv.txn({ success: hosts.map((h) => ({ request_put: { key: key(service, h), value: value(h), lease: l } })) });
    },
    async putConfig(dataId, content) {
      await client.kv.put({ key: Buffer.from(configPath(dataId)), value: content });
    },
    async getConfig(dataId) {
      const r = await client.kv.range({ key: Buffer.from(configPath(dataId)) });
      return r.kvs[0]?.value.length ?? -1;
    },
    async watchConfig(dataId, onChange) {
      const w = await client.watch().key(configPath(dataId)).create();
      w.on('put', (kv) => onChange(kv.value, performance.now()));
    },
    async close() {
      client.close();
    },
  };
  // Fail early when the server is not there.
  await client.kv.range({ key: Buffer.from('/') });
  return conn;
}

export const etcd: PeerDriver = {
  name: 'etcd',
  describe:
    'register = LeaseGrant (TTL 3600 s) + Put with that lease (2 round trips); query = one Range over the service prefix (100 keys with values); ' +
    'watch = one Watch on the service prefix (Put events carry key and value)',
  start,
  connect,
};
