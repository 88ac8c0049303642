/**
 * In-process CPU cost of one gRPC ConfigQueryRequest as the SDK server spends it past the
 * transport: the JSON body parse, the handler (body check, parameter checker, the read) and the
 * reply's Payload encoding (docs/benchmarks.md "Configuration center"). No sockets, no grpc-js:
 * it isolates the config path from the transport, so two builds can be compared on a busy machine.
 *
 *   node bench/tools/config-query-cost.mjs [distDir=dist] [queries=200000]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = pathToFileURL(resolve(process.argv[2] ?? 'dist')).href;
const n = Number(process.argv[3] ?? 200_000);
const load = (m) => import(`${dist}/${m}`);
const { ConfigService } = await load('config-center/config-service.js');
const { ConfigState } = await load('config-center/config-state.js');
const { MemoryStore } = await load('persistence/memory-store.js');
const { ManualClock } = await load('core/clock.js');
const { configHandlers } = await load('transport/grpc/config-handlers.js');
const codec = await load('wire/codec.js');
const { encodePayload } = await load('wire/protobuf.js');

const store = new MemoryStore();
const state = new ConfigState();
store.onApply((b) => state.apply(b));
const center = new ConfigService({ store, state, clock: new ManualClock(), maxContent: 100_000, maxGrayVersions: 10, maxConfigs: 100 });
await center.publish({ tenant: 'public', group: 'DEFAULT_GROUP', dataId: 'bench-cfg-read', content: 'x'.repeat(1024), srcUser: 'u', srcIp: '127.0.0.1' });
const query = configHandlers(center, true)['ConfigQueryRequest'];
const connection = { id: 'c', remoteIp: '127.0.0.1', remotePort: 1, clientIp: '127.0.0.1', clientVersion: '', labels: {}, namespace: null, appName: '-', hasAbilityTable: false, createdAt: 0, lastActive: 0, registered: true };
const rc = { connection, headers: {}, clientIp: '127.0.0.1' };
const BODY = '{"headers":{},"requestId":"1","module":"config","dataId":"bench-cfg-read","group":"DEFAULT_GROUP","tenant":"","tag":null}';

/** As `SdkGrpcServer.encodeReply`: fixed replies are encoded once. */
function encodeReply(reply) {
  const slot = codec.fixedReplySlot(reply);
  const encode = () => encodePayload(reply.type, codec.bodyJson(codec.withResponseDefaults(reply.body)));
  if (!slot) return encode();
  slot.bytes ??= encode();
  return slot.bytes;
}

let bytes = 0;
const run = (count) => {
  for (let i = 0; i < count; i++) bytes += encodeReply(query(JSON.parse(BODY), rc)).length;
};
run(20_000);
const t0 = process.cpuUsage();
run(n);
const t = process.cpuUsage(t0);
process.stdout.write(`${dist}: ${(((t.user + t.system) * 1000) / n).toFixed(0)} ns CPU per query (${n} queries, ${bytes} reply bytes)\n`);
