// Child process driving one Nacos Rust SDK client (nacos-sdk-rust-binding-node).
//
// Why a child: the binding's constructor blocks the Node event loop until the server answers a
// health check, so it can never run inside the test process.
//
// Protocol (JSON lines):
//   stdin:  {"id": 1, "cmd": "register", "args": {...}}
//   stdout: {"type": "ready"}                                  once the constructor returned
//           {"type": "fatal", "error": "..."}                  the constructor threw (then exit 1)
//           {"type": "result", "id": 1, "ok": true, "value": ...}
//           {"type": "result", "id": 1, "ok": false, "error": "..."}
//           {"type": "event", "client": 0, "subId": "s1", "service": "svc", "group": "G",
//            "error": null | "...", "hosts": [...]}             a subscribe() listener fired
// Usage: node rust-child.mjs <serverAddr> [count] [<JSON of extra ClientOptions, e.g. username/password>]
// RUST_CHILD_KIND=config builds NacosConfigClient instead of NacosNamingClient (commands getConfig,
// getConfigResp, publishConfig, removeConfig, addListener: its invocations are "event" lines with
// service = dataId, hosts = [] and "config": the NacosConfigResponse).
// (HOME should point at a scratch directory). serverAddr may list several servers (`a:p1,b:p2`).
// With count > 1 the process hosts that many independent SDK clients (one gRPC connection each),
// built one after another because each constructor blocks the event loop; a command's optional
// "client" field (default 0) picks one.
import { createRequire } from 'node:module';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { setImmediate } from 'node:timers';

const require = createRequire(import.meta.url);
const { NacosNamingClient, NacosConfigClient } = require('nacos-sdk-rust-binding-node');
const ClientClass = process.env.RUST_CHILD_KIND === 'config' ? NacosConfigClient : NacosNamingClient;

const serverAddr = process.argv[2];
const count = Math.max(1, Number(process.argv[3] ?? '1') || 1);
const extraOptions = process.argv[4] ? JSON.parse(process.argv[4]) : {};

function send(msg) {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function errText(e) {
  return e instanceof Error ? e.message : String(e);
}

// A constructor can fail when the server it happens to pick first is down (then it is retried,
// up to `attempts` times per client, 500 ms apart).
const attempts = Math.max(1, Number(process.env.RUST_CHILD_CONNECT_ATTEMPTS ?? '1') || 1);
const clients = [];
for (let i = 0; i < count; i++) {
  for (let a = 1; ; a++) {
    try {
      clients.push(new ClientClass({ serverAddr, namespace: '', ...extraOptions }));
      break;
    } catch (e) {
      if (a >= attempts) {
        send({ type: 'fatal', error: `client ${i}: ${errText(e)}` });
        process.exit(1);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const handlers = {
  register: (c, a) => c.registerInstance(a.service, a.group, a.instance),
  deregister: (c, a) => c.deregisterInstance(a.service, a.group, a.instance),
  batchRegister: (c, a) => c.batchRegisterInstance(a.service, a.group, a.instances),
  getAllInstances: (c, a) => c.getAllInstances(a.service, a.group, a.clusters ?? null, a.subscribe ?? true),
  selectInstances: (c, a) => c.selectInstances(a.service, a.group, a.clusters ?? null, a.subscribe ?? true, a.healthy ?? true),
  subscribe: (c, a, i) =>
    c.subscribe(a.service, a.group, a.clusters ?? null, (err, hosts) => {
      send({ type: 'event', client: i, subId: a.subId, service: a.service, group: a.group, error: err ? errText(err) : null, hosts: hosts ?? [] });
    }),
  getConfig: (c, a) => c.getConfig(a.dataId, a.group),
  getConfigResp: (c, a) => c.getConfigResp(a.dataId, a.group),
  publishConfig: (c, a) => c.publishConfig(a.dataId, a.group, a.content),
  removeConfig: (c, a) => c.removeConfig(a.dataId, a.group),
  addListener: (c, a, i) =>
    c.addListener(a.dataId, a.group, (err, resp) => {
      send({ type: 'event', client: i, subId: a.subId, service: a.dataId, group: a.group, error: err ? errText(err) : null, hosts: [], config: resp ?? null });
    }),
  ping: async () => 'pong',
  exit: async () => {
    setImmediate(() => process.exit(0));
    return null;
  },
};

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    send({ type: 'result', id: null, ok: false, error: `bad command line: ${errText(e)}` });
    return;
  }
  const h = handlers[msg.cmd];
  const i = msg.client ?? 0;
  if (!h || !clients[i]) {
    send({ type: 'result', id: msg.id, ok: false, error: h ? `no client ${i}` : `unknown command ${msg.cmd}` });
    return;
  }
  Promise.resolve()
    .then(() => h(clients[i], msg.args ?? {}, i))
    .then(
      (value) => send({ type: 'result', id: msg.id, ok: true, value: value ?? null }),
      (e) => send({ type: 'result', id: msg.id, ok: false, error: errText(e) }),
    );
});
// The parent went away: do not linger.
rl.on('close', () => process.exit(0));

send({ type: 'ready' });
