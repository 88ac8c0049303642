/**
 * Bad-input smoke test over real HTTP and a raw gRPC client: errors come back in the documented
 * shape and the server keeps serving afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawGrpcClient, type RawMessage } from './helpers/raw-grpc.js';
import { jsonOf, TestServer, type HttpServiceInfo } from './helpers/server.js';

describe('bad input over HTTP and gRPC', { timeout: 60_000 }, () => {
  let server: TestServer;
  const grpcClients: RawGrpcClient[] = [];

  function raw(): RawGrpcClient {
    const c = new RawGrpcClient(server.grpcPort);
    grpcClients.push(c);
    return c;
  }

  before(async () => {
    server = await TestServer.start({ name: 'bad-input' });
  });

  after(async () => {
    for (const c of grpcClients) c.close();
    await server?.dispose();
  });

  it('HTTP: out-of-range port, missing ip, missing serviceName → 400 plain text; nothing registered', async () => {
    const bigPort = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'it-bad', ip: '127.0.0.51', port: 70000 } });
    assert.equal(bigPort.status, 400, bigPort.text);
    assert.match(bigPort.contentType, /^text\/plain/);
    assert.match(bigPort.text, /port/i);

    const noIp = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'it-bad', port: 80 } });
    assert.equal(noIp.status, 400, noIp.text);
    assert.match(noIp.text, /ip/);

    const noName = await server.get('/nacos/v1/ns/instance/list');
    assert.equal(noName.status, 400, noName.text);

    const badWeight = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'it-bad', ip: '127.0.0.51', port: 80, weight: 20000 } });
    assert.equal(badWeight.status, 400, badWeight.text);

    const list = jsonOf<HttpServiceInfo>(await server.get('/nacos/v1/ns/instance/list', { serviceName: 'it-bad' }));
    assert.deepEqual(list.hosts, []);
  });

  it('HTTP: an unknown service lists as 200 with no hosts', async () => {
    const r = await server.get('/nacos/v1/ns/instance/list', { serviceName: 'DEFAULT_GROUP@@it-never-registered' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(jsonOf<HttpServiceInfo>(r).hosts, []);
  });

  it('gRPC: unknown request type → ErrorResponse 302, even before connection setup', async () => {
    const c = raw();
    const r = await c.request('NoSuchThingRequest', { headers: {}, requestId: '1' });
    assert.equal(r.type, 'ErrorResponse');
    assert.equal(r.body.errorCode, 302);
    assert.notEqual(r.body.resultCode, 200);
  });

  it('gRPC: ServerCheck works unregistered; naming requests need ConnectionSetup first (301)', async () => {
    const c = raw();
    const check = await c.request('ServerCheckRequest', { headers: {}, requestId: '1' });
    assert.equal(check.type, 'ServerCheckResponse');
    assert.equal(check.body.resultCode, 200);
    assert.equal(typeof check.body.connectionId, 'string');

    const early = await c.request('InstanceRequest', {
      type: 'registerInstance',
      instance: { ip: '127.0.0.52', port: 80 },
      headers: {},
      namespace: 'public',
      serviceName: 'it-bad-grpc',
      groupName: 'DEFAULT_GROUP',
    });
    assert.equal(early.type, 'ErrorResponse');
    assert.equal(early.body.errorCode, 301);
  });

  it('gRPC: after setup, bad bodies get typed failures / ErrorResponse and the connection keeps working', async () => {
    const c = raw();
    // Registration happens when the setup message arrives: wait until it answers HealthCheck.
    await c.setupAndWait();
    const base = { headers: {}, namespace: 'public', serviceName: 'it-bad-grpc', groupName: 'DEFAULT_GROUP' };

    const badPort: RawMessage = await c.request('InstanceRequest', { ...base, type: 'registerInstance', instance: { ip: '127.0.0.53', port: 70000 } });
    assert.notEqual(badPort.body.resultCode, 200, JSON.stringify(badPort));
    assert.equal(badPort.body.errorCode, 400, JSON.stringify(badPort));

    const badType = await c.request('InstanceRequest', { ...base, type: 'frobnicate', instance: { ip: '127.0.0.53', port: 80 } });
    assert.notEqual(badType.body.resultCode, 200, JSON.stringify(badType));
    assert.equal(badType.body.errorCode, 400, JSON.stringify(badType));

    const notJson = await c.request('InstanceRequest', '{not json');
    assert.equal(notJson.type, 'ErrorResponse');
    assert.equal(notJson.body.errorCode, 502, JSON.stringify(notJson));

    // Still serving: a valid registration on the same connection succeeds and is visible.
    const okReg = await c.request('InstanceRequest', { ...base, type: 'registerInstance', instance: { ip: '127.0.0.54', port: 8080 } });
    assert.equal(okReg.type, 'InstanceResponse', JSON.stringify(okReg));
    assert.equal(okReg.body.resultCode, 200);
    const list = jsonOf<HttpServiceInfo>(await server.get('/nacos/v1/ns/instance/list', { serviceName: 'DEFAULT_GROUP@@it-bad-grpc' }));
    assert.deepEqual(
      list.hosts.map((h) => `${h.ip}:${h.port}`),
      ['127.0.0.54:8080'],
    );
  });
});
