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
//           {"type": "event", "subId": "s1", "service": "svc", "group": "G",
//            "error": null | "...", "hosts": [...]}             a subscribe() listener fired
// Usage: node rust-child.mjs <serverAddr> [<JSON of extra ClientOptions, e.g. username/password>]
//        (HOME should point at a scratch directory)
import { createRequire } from 'node:module';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { setImmediate } from 'node:timers';

const require = createRequire(import.meta.url);
const { NacosNamingClient } = require('nacos-sdk-rust-binding-node');

const serverAddr = process.argv[2];
const extraOptions = process.argv[3] ? JSON.parse(process.argv[3]) : {};

function send(msg) {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function errText(e) {
  return e instanceof Error ? e.message : String(e);
}

let client;
try {
  client = new NacosNamingClient({ serverAddr, namespace: '', ...extraOptions });
} catch (e) {
  send({ type: 'fatal', error: errText(e) });
  process.exit(1);
}

const handlers = {
  register: (a) => client.registerInstance(a.service, a.group, a.instance),
  deregister: (a) => client.deregisterInstance(a.service, a.group, a.instance),
  batchRegister: (a) => client.batchRegisterInstance(a.service, a.group, a.instances),
  getAllInstances: (a) => client.getAllInstances(a.service, a.group, a.clusters ?? null, a.subscribe ?? true),
  selectInstances: (a) => client.selectInstances(a.service, a.group, a.clusters ?? null, a.subscribe ?? true, a.healthy ?? true),
  subscribe: (a) =>
    client.subscribe(a.service, a.group, a.clusters ?? null, (err, hosts) => {
      send({ type: 'event', subId: a.subId, service: a.service, group: a.group, error: err ? errText(err) : null, hosts: hosts ?? [] });
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
  if (!h) {
    send({ type: 'result', id: msg.id, ok: false, error: `unknown command ${msg.cmd}` });
    return;
  }
  Promise.resolve()
    .then(() => h(msg.args ?? {}))
    .then(
      (value) => send({ type: 'result', id: msg.id, ok: true, value: value ?? null }),
      (e) => send({ type: 'result', id: msg.id, ok: false, error: errText(e) }),
    );
});
// The parent went away: do not linger.
rl.on('close', () => process.exit(0));

send({ type: 'ready' });
