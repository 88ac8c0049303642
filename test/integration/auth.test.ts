/**
 * Auth on, the real server: every endpoint of src/transport/http/auth-rules.ts (the list that
 * docs/auth.md is generated from) is called without credentials (refused unless open) and with an
 * admin token (success), and the real SDKs work with a user name and password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ENDPOINT_RULES, type RuleMethod } from '../../src/transport/http/auth-rules.js';
import { startConfigClient } from './helpers/config-client.js';
import { startNodeClient, inst } from './helpers/node-client.js';
import { RustClient, hostAddrs } from './helpers/rust-client.js';
import { addrs, jsonOf, sleep, TestServer, waitFor, type HttpResult, type QueryValue } from './helpers/server.js';

const ADMIN_PW = 'it-admin-pw';
const SECRET = Buffer.alloc(32, 5).toString('base64');
const IP = '127.0.0.1';
const SVC = 'auth-svc';
const CFG = 'auth-cfg';
const beat = (port: number) => JSON.stringify({ serviceName: `DEFAULT_GROUP@@${SVC}`, ip: IP, port, cluster: 'DEFAULT', weight: 1, metadata: {} });

interface Sample {
  /** Query parameters. */
  params?: Record<string, QueryValue>;
  /** Concrete URL when the route has a path parameter. */
  url?: string;
  /** Expected status with an admin token (default: 200). */
  status?: number;
}

/** One request per listed `METHOD path` that must succeed for an admin. */
const SAMPLES: Record<string, Sample> = {
  'POST /nacos/v1/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7101 } },
  'DELETE /nacos/v1/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7101 } },
  'PUT /nacos/v1/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7001, weight: 2 } },
  'PATCH /nacos/v1/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7001, weight: 3 } },
  'GET /nacos/v1/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7001 } },
  'GET /nacos/v1/ns/instance/list': { params: { serviceName: SVC } },
  'PUT /nacos/v1/ns/instance/beat': { params: { serviceName: `DEFAULT_GROUP@@${SVC}`, beat: beat(7001) } },
  'ANY /nacos/v1/ns/instance/statuses': { params: { key: `DEFAULT_GROUP@@${SVC}` } },
  'PUT /nacos/v1/ns/instance/metadata/batch': { params: { serviceName: SVC, instances: JSON.stringify([{ ip: IP, port: 7001, clusterName: 'DEFAULT' }]), metadata: '{"k":"v"}' } },
  'DELETE /nacos/v1/ns/instance/metadata/batch': { params: { serviceName: SVC, instances: JSON.stringify([{ ip: IP, port: 7001, clusterName: 'DEFAULT' }]), metadata: '{"k":"v"}' } },
  'POST /nacos/v1/ns/service': { params: { serviceName: 'auth-svc-v1' } },
  'DELETE /nacos/v1/ns/service': { params: { serviceName: 'auth-svc-v1' } },
  'PUT /nacos/v1/ns/service': { params: { serviceName: SVC, protectThreshold: 0 } },
  'GET /nacos/v1/ns/service': { params: { serviceName: SVC } },
  'GET /nacos/v1/ns/service/list': { params: { pageNo: 1, pageSize: 10 } },
  'GET /nacos/v1/ns/service/subscribers': { params: { serviceName: SVC } },
  'GET /nacos/v1/ns/catalog/service': { params: { serviceName: SVC } },
  'ANY /nacos/v1/ns/catalog/instances': { params: { serviceName: SVC, clusterName: 'DEFAULT', pageNo: 1, pageSize: 10 } },
  'PUT /nacos/v1/ns/cluster': { params: { serviceName: SVC, clusterName: 'DEFAULT', checkPort: 80, useInstancePort4Check: true, healthChecker: '{"type":"TCP"}' } },
  'PUT /nacos/v1/ns/operator/switches': { params: { entry: 'clientBeatInterval', value: 5000 } },
  'PUT /nacos/v1/ns/ops/switches': { params: { entry: 'clientBeatInterval', value: 5000 } },
  'GET /nacos/v1/ns/operator/distro/client': { params: { ip: IP, port: '7001' } },
  'GET /nacos/v1/ns/ops/distro/client': { params: { ip: IP, port: '7001' } },
  'PUT /nacos/v1/ns/operator/log': { params: { logName: 'naming-server', logLevel: 'info' } },
  'PUT /nacos/v1/ns/ops/log': { params: { logName: 'naming-server', logLevel: 'info' } },
  'PUT /nacos/v1/ns/health': { params: { serviceName: 'auth-persist', ip: IP, port: 7501, healthy: true } },
  'PUT /nacos/v1/ns/health/instance': { params: { serviceName: 'auth-persist', ip: IP, port: 7501, healthy: true } },

  'POST /nacos/v2/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7201 } },
  'DELETE /nacos/v2/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7201 } },
  'PUT /nacos/v2/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7001, weight: 2 } },
  'PATCH /nacos/v2/ns/instance': { params: { serviceName: `DEFAULT_GROUP@@${SVC}`, ip: IP, port: 7001, weight: 2 } },
  'GET /nacos/v2/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7001 } },
  'PUT /nacos/v2/ns/instance/metadata/batch': { params: { serviceName: SVC, instances: JSON.stringify([{ ip: IP, port: 7001, clusterName: 'DEFAULT' }]), metadata: '{"k":"v"}' } },
  'DELETE /nacos/v2/ns/instance/metadata/batch': { params: { serviceName: SVC, instances: JSON.stringify([{ ip: IP, port: 7001, clusterName: 'DEFAULT' }]), metadata: '{"k":"v"}' } },
  'GET /nacos/v2/ns/instance/list': { params: { serviceName: SVC } },
  'PUT /nacos/v2/ns/instance/beat': { params: { serviceName: `DEFAULT_GROUP@@${SVC}`, ip: IP, port: 7001, beat: beat(7001) } },
  'ANY /nacos/v2/ns/instance/statuses/:key': { url: `/nacos/v2/ns/instance/statuses/${encodeURIComponent(`DEFAULT_GROUP@@${SVC}`)}` },
  'POST /nacos/v2/ns/service': { params: { serviceName: 'auth-svc-v2' } },
  'PUT /nacos/v2/ns/service': { params: { serviceName: 'auth-svc-v2', protectThreshold: 0.1 } },
  'DELETE /nacos/v2/ns/service': { params: { serviceName: 'auth-svc-v2' } },
  'GET /nacos/v2/ns/service': { params: { serviceName: SVC } },
  'ANY /nacos/v2/ns/catalog/instances': { params: { serviceName: `DEFAULT_GROUP@@${SVC}`, pageNo: 1, pageSize: 10 } },
  'GET /nacos/v2/ns/client': { params: { clientId: `${IP}:7001#true` } },
  'GET /nacos/v2/ns/client/publish/list': { params: { clientId: `${IP}:7001#true` } },
  'GET /nacos/v2/ns/client/subscribe/list': { params: { clientId: `${IP}:7001#true` } },
  'GET /nacos/v2/ns/client/service/publisher/list': { params: { serviceName: SVC } },
  'GET /nacos/v2/ns/client/service/subscriber/list': { params: { serviceName: SVC } },
  'PUT /nacos/v2/ns/health': { params: { serviceName: 'auth-persist', ip: IP, port: 7501, healthy: true } },
  'PUT /nacos/v2/ns/health/instance': { params: { serviceName: 'auth-persist', ip: IP, port: 7501, healthy: true } },
  'PUT /nacos/v2/ns/operator/switches': { params: { entry: 'clientBeatInterval', value: 5000 } },
  'PUT /nacos/v2/ns/ops/switches': { params: { entry: 'clientBeatInterval', value: 5000 } },

  // Config listening: a short poll (no Long-Pulling-Timeout header) answers at once.
  'POST /nacos/v1/cs/configs/listener': { params: { 'Listening-Configs': 'auth.cfg\u0002DEFAULT_GROUP\u0002\u0001' } },
  'GET /nacos/v1/cs/configs/listener': { params: { dataId: 'auth.cfg', group: 'DEFAULT_GROUP' } },
  'GET /nacos/v3/admin/cs/config/listener': { params: { dataId: 'auth.cfg', groupName: 'DEFAULT_GROUP' } },
  'GET /nacos/v1/cs/listener': { params: { ip: IP } },
  'GET /nacos/v3/admin/cs/listener': { params: { ip: IP } },
  'GET /nacos/v3/admin/cs/metrics/ip': { params: { ip: IP, dataId: CFG, groupName: 'DEFAULT_GROUP' } },
  'GET /nacos/v3/admin/cs/metrics/cluster': { params: { ip: IP, dataId: CFG, groupName: 'DEFAULT_GROUP' } },

  'POST /nacos/v3/client/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7301 } },
  'DELETE /nacos/v3/client/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7301 } },
  'GET /nacos/v3/client/ns/instance/list': { params: { serviceName: SVC } },

  'GET /nacos/v3/console/ns/service': { params: { serviceName: SVC } },
  'POST /nacos/v3/console/ns/service': { params: { serviceName: 'auth-svc-v3c' } },
  'PUT /nacos/v3/console/ns/service': { params: { serviceName: 'auth-svc-v3c', protectThreshold: 0.1 } },
  'DELETE /nacos/v3/console/ns/service': { params: { serviceName: 'auth-svc-v3c' } },
  'GET /nacos/v3/console/ns/service/subscribers': { params: { serviceName: SVC } },
  'PUT /nacos/v3/console/ns/service/cluster': { params: { serviceName: SVC, clusterName: 'DEFAULT', checkPort: 80, useInstancePort4Check: true, healthChecker: '{"type":"TCP"}' } },
  'ANY /nacos/v3/console/ns/instance/list': { params: { serviceName: SVC } },
  'PUT /nacos/v3/console/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7001, weight: 2, ephemeral: true } },
  'GET /nacos/v3/console/core/namespace': { params: { namespaceId: 'public' } },
  'POST /nacos/v3/console/core/namespace': { params: { customNamespaceId: 'authns3', namespaceName: 'authns3' } },
  'PUT /nacos/v3/console/core/namespace': { params: { namespaceId: 'authns3', namespaceName: 'authns3b' } },
  'DELETE /nacos/v3/console/core/namespace': { params: { namespaceId: 'authns3' } },
  // ---- config (fixture `auth-cfg` in DEFAULT_GROUP; `nid`/`id` samples are filled in by before())
  'GET /nacos/v1/cs/configs': { params: { dataId: CFG, group: 'DEFAULT_GROUP' } },
  'POST /nacos/v1/cs/configs': { params: { dataId: 'auth-cfg-v1', group: 'DEFAULT_GROUP', content: 'x' } },
  'DELETE /nacos/v1/cs/configs': { params: { dataId: 'auth-cfg-v1', group: 'DEFAULT_GROUP' } },
  'GET /nacos/v1/cs/configs/catalog': { params: { dataId: CFG, group: 'DEFAULT_GROUP' } },
  'GET /nacos/v1/cs/history': { params: { search: 'accurate', dataId: CFG, group: 'DEFAULT_GROUP' } },
  'GET /nacos/v1/cs/history/previous': { params: { id: '0', dataId: CFG, group: 'DEFAULT_GROUP' } },
  'GET /nacos/v1/cs/history/configs': { params: { tenant: 'public' } },
  'GET /nacos/v2/cs/config': { params: { dataId: CFG, group: 'DEFAULT_GROUP' } },
  'POST /nacos/v2/cs/config': { params: { dataId: 'auth-cfg-v2', group: 'DEFAULT_GROUP', content: 'x' } },
  'DELETE /nacos/v2/cs/config': { params: { dataId: 'auth-cfg-v2', group: 'DEFAULT_GROUP' } },
  'GET /nacos/v2/cs/config/searchDetail': { params: { search: 'blur', dataId: 'auth-*', group: 'DEFAULT_GROUP', config_detail: '', pageNo: 1, pageSize: 10 } },
  'GET /nacos/v2/cs/history/list': { params: { dataId: CFG, group: 'DEFAULT_GROUP' } },
  'GET /nacos/v2/cs/history/configs': { params: { namespaceId: 'public' } },
  'GET /nacos/v3/client/cs/config': { params: { dataId: CFG, groupName: 'DEFAULT_GROUP' } },
  ...Object.fromEntries(
    ['/nacos/v3/admin/cs', '/nacos/v3/console/cs'].flatMap((b): Array<[string, Sample]> => [
      [`GET ${b}/config`, { params: { dataId: CFG, groupName: 'DEFAULT_GROUP' } }],
      [`POST ${b}/config`, { params: { dataId: 'auth-cfg-v3', groupName: 'DEFAULT_GROUP', content: 'x' } }],
      [`DELETE ${b}/config`, { params: { dataId: 'auth-cfg-v3', groupName: 'DEFAULT_GROUP' } }],
      [`DELETE ${b}/config/${b.includes('admin') ? 'batch' : 'batchDelete'}`, { params: { ids: '999999' } }],
      [`GET ${b}/config/beta`, { params: { dataId: CFG, groupName: 'DEFAULT_GROUP' }, status: 404 }],
      [`DELETE ${b}/config/beta`, { params: { dataId: CFG, groupName: 'DEFAULT_GROUP' } }],
      // No JSON body: the admin passes the filter and gets the handler's 400.
      [`POST ${b}/config/clone`, { params: { namespaceId: 'public', targetNamespaceId: 'public' }, status: 400 }],
      [`GET ${b}/history/list`, { params: { dataId: CFG, groupName: 'DEFAULT_GROUP' } }],
      [`GET ${b}/history/configs`, { params: { namespaceId: 'public' } }],
    ]),
  ),

  'POST /nacos/v1/console/namespaces': { params: { customNamespaceId: 'authns', namespaceName: 'authns' } },
  'PUT /nacos/v1/console/namespaces': { params: { namespace: 'authns', namespaceShowName: 'authns2' } },
  'DELETE /nacos/v1/console/namespaces': { params: { namespaceId: 'authns' } },
  'GET /nacos/v3/admin/core/namespace': { params: { namespaceId: 'public' } },

  'POST /nacos/v1/auth/login': { params: { username: 'nacos', password: ADMIN_PW } },
  'POST /nacos/v1/auth/users/login': { params: { username: 'nacos', password: ADMIN_PW } },
  'POST /nacos/v3/auth/user/login': { params: { username: 'nacos', password: ADMIN_PW } },
  // v3 naming admin API
  'POST /nacos/v3/admin/ns/service': { params: { serviceName: 'auth-svc-v3' } },
  'PUT /nacos/v3/admin/ns/service': { params: { serviceName: 'auth-svc-v3', protectThreshold: 0 } },
  'DELETE /nacos/v3/admin/ns/service': { params: { serviceName: 'auth-svc-v3' } },
  'GET /nacos/v3/admin/ns/service': { params: { serviceName: SVC } },
  'GET /nacos/v3/admin/ns/service/subscribers': { params: { serviceName: SVC } },
  'POST /nacos/v3/admin/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7301 } },
  'DELETE /nacos/v3/admin/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7301 } },
  'PUT /nacos/v3/admin/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7001, weight: 2 } },
  'GET /nacos/v3/admin/ns/instance': { params: { serviceName: SVC, ip: IP, port: 7001 } },
  'PUT /nacos/v3/admin/ns/instance/partial': { params: { serviceName: SVC, ip: IP, port: 7001, weight: 3 } },
  'PUT /nacos/v3/admin/ns/instance/metadata/batch': { params: { serviceName: SVC, metadata: '{"k":"v"}' } },
  'DELETE /nacos/v3/admin/ns/instance/metadata/batch': { params: { serviceName: SVC, metadata: '{"k":"v"}' } },
  'GET /nacos/v3/admin/ns/instance/list': { params: { serviceName: SVC } },
  'PUT /nacos/v3/admin/ns/cluster': { params: { serviceName: SVC, clusterName: 'DEFAULT', checkPort: 80, useInstancePort4Check: true, healthChecker: '{"type":"TCP"}' } },
  'PUT /nacos/v3/admin/ns/health/instance': { params: { serviceName: 'auth-persist', ip: IP, port: 7501, healthy: true } },
  'PUT /nacos/v3/admin/ns/ops/switches': { params: { entry: 'clientBeatInterval', value: 5000 } },
  'PUT /nacos/v3/admin/ns/ops/log': { params: { logName: 'naming-server', logLevel: 'info' } },
  'GET /nacos/v3/admin/ns/client': { params: { clientId: `${IP}:7001#true` } },
  'GET /nacos/v3/admin/ns/client/publish/list': { params: { clientId: `${IP}:7001#true` } },
  'GET /nacos/v3/admin/ns/client/subscribe/list': { params: { clientId: `${IP}:7001#true` } },
  'GET /nacos/v3/admin/ns/client/service/publisher/list': { params: { serviceName: SVC } },
  'GET /nacos/v3/admin/ns/client/service/subscriber/list': { params: { serviceName: SVC } },
  'GET /nacos/v3/admin/ns/client/distro': { params: { ip: IP, port: 7001 } },
  // v3 core admin API (and the v2 console namespace / core loader paths)
  'PUT /nacos/v3/admin/core/cluster/node/list': { status: 400 },
  'PUT /nacos/v3/admin/core/cluster/lookup': { params: { type: 'address-server' }, status: 501 },
  'POST /nacos/v3/admin/core/namespace': { params: { namespaceId: 'it-ns3', namespaceName: 'ns3' } },
  'PUT /nacos/v3/admin/core/namespace': { params: { namespaceId: 'it-ns3', namespaceName: 'ns3b' } },
  'DELETE /nacos/v3/admin/core/namespace': { params: { namespaceId: 'it-ns3' } },
  'GET /nacos/v3/admin/core/namespace/check': { params: { namespaceId: 'public' } },
  'GET /nacos/v2/console/namespace': { params: { namespaceId: 'public' } },
  'POST /nacos/v2/console/namespace': { params: { namespaceId: 'it-ns2', namespaceName: 'ns2' } },
  'PUT /nacos/v2/console/namespace': { params: { namespaceId: 'it-ns2', namespaceName: 'ns2b' } },
  'DELETE /nacos/v2/console/namespace': { params: { namespaceId: 'it-ns2' } },
  'POST /nacos/v3/admin/core/ops/raft': { params: { command: 'doSnapshot', value: '127.0.0.1:7848' }, status: 501 },
  'POST /nacos/v1/core/ops/raft': { params: { command: 'doSnapshot', value: '127.0.0.1:7848' }, status: 501 },
  'PUT /nacos/v3/admin/core/ops/log': { params: { logName: 'core', logLevel: 'info' } },
  'POST /nacos/v1/core/cluster/switch/lookup': { params: { type: 'dns' } },
  'PUT /nacos/v2/core/cluster/lookup': { params: { type: 'address-server' }, status: 501 },
  'POST /nacos/v2/core/ops/raft': { params: { command: 'doSnapshot', value: '127.0.0.1:7848' }, status: 501 },
  'PUT /nacos/v1/core/ops/log': { params: { logName: 'core', logLevel: 'info' } },
  'PUT /nacos/v2/core/ops/log': { params: { logName: 'core', logLevel: 'info' } },
  'POST /nacos/v3/admin/core/loader/reloadCurrent': { params: { count: 100000 } },
  'POST /nacos/v3/admin/core/loader/reloadClient': { params: { connectionId: 'none' } },
  'GET /nacos/v2/core/loader/reloadCurrent': { params: { count: 100000 } },
  'GET /nacos/v2/core/loader/reloadClient': { params: { connectionId: 'none' } },
  'POST /nacos/v1/auth/users/admin': { params: { password: 'x' }, status: 409 },
  'POST /nacos/v3/auth/user/admin': { params: { password: 'x' }, status: 409 },
  'POST /nacos/v1/auth/users': { params: { username: 'it-u1', password: 'pw' } },
  'DELETE /nacos/v1/auth/users': { params: { username: 'it-u1' } },
  'PUT /nacos/v1/auth/users': { params: { username: 'nacos', newPassword: ADMIN_PW } },
  'POST /nacos/v1/auth/roles': { params: { role: 'it-r1', username: 'it-user' } },
  'DELETE /nacos/v1/auth/roles': { params: { role: 'it-r1', username: 'it-user' } },
  'POST /nacos/v1/auth/permissions': { params: { role: 'it-role', resource: 'it1:*:*', action: 'r' } },
  'DELETE /nacos/v1/auth/permissions': { params: { role: 'it-role', resource: 'it1:*:*', action: 'r' } },
  'POST /nacos/v3/auth/user': { params: { username: 'it-u3', password: 'pw' } },
  'DELETE /nacos/v3/auth/user': { params: { username: 'it-u3' } },
  'PUT /nacos/v3/auth/user': { params: { username: 'nacos', newPassword: ADMIN_PW } },
  'POST /nacos/v3/auth/role': { params: { role: 'it-r3', username: 'it-user' } },
  'DELETE /nacos/v3/auth/role': { params: { role: 'it-r3', username: 'it-user' } },
  'POST /nacos/v3/auth/permission': { params: { role: 'it-role', resource: 'it3:*:*', action: 'rw' } },
  'DELETE /nacos/v3/auth/permission': { params: { role: 'it-role', resource: 'it3:*:*', action: 'rw' } },
};

const ALL_METHODS: readonly RuleMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

function sampleFor(method: RuleMethod, path: string, anyMethod: boolean): Sample {
  return SAMPLES[`${method} ${path}`] ?? (anyMethod ? SAMPLES[`ANY ${path}`] : undefined) ?? {};
}

describe('auth on: the real server', () => {
  let server: TestServer;
  let token: string;

  const call = (method: string, path: string, s: Sample, extra: Record<string, QueryValue> = {}): Promise<HttpResult> => {
    const query = { ...(s.params ?? {}), ...extra };
    return server.request(method, s.url ?? path, Object.keys(query).length > 0 ? { query } : {});
  };
  const admin = async (method: string, path: string, params: Record<string, QueryValue>): Promise<void> => {
    const r = await server.request(method, path, { query: { ...params, accessToken: token } });
    assert.equal(r.status, 200, `${method} ${path}: ${r.text}`);
  };

  before(async () => {
    server = await TestServer.start({
      name: 'auth',
      properties: {
        'nacos.core.auth.enabled': true,
        'nacos.core.auth.plugin.nacos.token.secret.key': SECRET,
        'nomen.auth.admin.initial-password': ADMIN_PW,
      },
    });
    const r = await server.request('POST', '/nacos/v1/auth/login', { query: { username: 'nacos', password: ADMIN_PW } });
    assert.equal(r.status, 200, r.text);
    token = jsonOf<{ accessToken: string }>(r).accessToken;
    // Fixtures the samples refer to.
    await admin('POST', '/nacos/v1/ns/instance', { serviceName: SVC, ip: IP, port: 7001 });
    await admin('POST', '/nacos/v1/ns/service', { serviceName: 'auth-persist', ephemeral: false });
    await admin('POST', '/nacos/v1/ns/instance', { serviceName: 'auth-persist', ip: IP, port: 7501, ephemeral: false });
    await admin('PUT', '/nacos/v1/ns/cluster', { serviceName: 'auth-persist', clusterName: 'DEFAULT', checkPort: 80, useInstancePort4Check: true, healthChecker: '{"type":"NONE"}' });
    await admin('POST', '/nacos/v1/auth/users', { username: 'it-user', password: 'pw' });
    await admin('POST', '/nacos/v1/auth/roles', { role: 'it-role', username: 'it-user' });
    await admin('POST', '/nacos/v1/cs/configs', { dataId: CFG, group: 'DEFAULT_GROUP', content: 'c=1' });
    const cfg = jsonOf<{ id: string }>(await server.get('/nacos/v1/cs/configs', { show: 'all', dataId: CFG, group: 'DEFAULT_GROUP', accessToken: token }));
    const hist = jsonOf<{ pageItems: Array<{ id: string }> }>(await server.get('/nacos/v1/cs/history', { search: 'accurate', dataId: CFG, group: 'DEFAULT_GROUP', accessToken: token }));
    const nid = hist.pageItems[0]!.id;
    const v2 = { dataId: CFG, group: 'DEFAULT_GROUP' };
    const v3 = { dataId: CFG, groupName: 'DEFAULT_GROUP' };
    SAMPLES['GET /nacos/v2/cs/history'] = { params: { ...v2, nid } };
    SAMPLES['GET /nacos/v2/cs/history/detail'] = { params: { ...v2, nid } };
    SAMPLES['GET /nacos/v2/cs/history/previous'] = { params: { ...v2, id: cfg.id } };
    for (const b of ['/nacos/v3/admin/cs', '/nacos/v3/console/cs']) {
      SAMPLES[`GET ${b}/history`] = { params: { ...v3, nid } };
      SAMPLES[`GET ${b}/history/previous`] = { params: { ...v3, id: cfg.id } };
    }
  });

  after(async () => {
    await server?.dispose();
  });

  it('refuses every protected endpoint without credentials, and serves every endpoint to an admin', async () => {
    const failures: string[] = [];
    let calls = 0;
    for (const rule of ENDPOINT_RULES) {
      const anyMethod = rule.methods.length === ALL_METHODS.length;
      for (const method of rule.methods) {
        const s = sampleFor(method, rule.path, anyMethod);
        const what = `${method} ${rule.path} (${rule.access})`;
        // A route registered only in some set-ups (`when`) may be absent from this one.
        if (rule.when && (await call(method, rule.path, s, { accessToken: token })).status === 404) continue;
        const bare = await call(method, rule.path, s);
        if (rule.access === 'open') {
          if (bare.status === 403) failures.push(`${what}: open but refused: ${bare.text}`);
        } else {
          let message = '';
          try {
            message = jsonOf<{ message: string }>(bare).message;
          } catch {
            // reported below
          }
          // `user not found!`, or the bad-credentials text where the sample itself carries username/password.
          if (bare.status !== 403 || !message.startsWith('Code: 401, Message: ')) failures.push(`${what}: without credentials got ${bare.status} ${bare.text.slice(0, 200)}`);
        }
        const authed = await call(method, rule.path, s, { accessToken: token });
        const want = s.status ?? 200;
        if (authed.status !== want) failures.push(`${what}: with a token got ${authed.status} (want ${want}) ${authed.text.slice(0, 200)}`);
        calls++;
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(calls > 100, `only ${calls} endpoint calls`);
  });

  it('a user with rw on public:DEFAULT_GROUP:* reaches no other group through any endpoint (issue 11)', async () => {
    // Every service route of the list, with the sample's service moved into group SECRET:
    // `SECRET@@svc` alone is checked on SECRET (403); with groupName=DEFAULT_GROUP the request
    // names two groups and is refused (400), for the admin too. Nothing in SECRET changes.
    await admin('POST', '/nacos/v1/ns/instance', { serviceName: `SECRET@@${SVC}`, ip: IP, port: 7601, metadata: 'k=v' });
    await admin('POST', '/nacos/v1/auth/users', { username: 'it-grp', password: 'pw' });
    await admin('POST', '/nacos/v1/auth/roles', { role: 'it-grp-role', username: 'it-grp' });
    await admin('POST', '/nacos/v1/auth/permissions', { role: 'it-grp-role', resource: 'public:DEFAULT_GROUP:*', action: 'rw' });
    const grp = { username: 'it-grp', password: 'pw' };
    const secretState = async (): Promise<string> => {
      const list = await server.get('/nacos/v1/ns/instance/list', { serviceName: `SECRET@@${SVC}`, accessToken: token });
      const services = await server.get('/nacos/v1/ns/service/list', { groupName: 'SECRET', pageNo: 1, pageSize: 100, accessToken: token });
      const detail = await server.get('/nacos/v1/ns/service', { serviceName: `SECRET@@${SVC}`, accessToken: token });
      return JSON.stringify([jsonOf<{ hosts: unknown[] }>(list).hosts, services.text, detail.text]);
    };
    const before = await secretState();
    assert.ok(before.includes('7601'), before);
    const failures: string[] = [];
    const expect = async (what: string, r: Promise<HttpResult>, status: number) => {
      const got = await r;
      if (got.status !== status) failures.push(`${what}: got ${got.status} (want ${status}) ${got.text.slice(0, 160)}`);
    };
    let calls = 0;
    for (const rule of ENDPOINT_RULES) {
      if (rule.access !== 'read' && rule.access !== 'write') continue;
      const anyMethod = rule.methods.length === ALL_METHODS.length;
      for (const method of rule.methods) {
        const s = sampleFor(method, rule.path, anyMethod);
        const what = `${method} ${rule.path}`;
        const scope = rule.scope ?? 'service';
        if (scope === 'group') {
          await expect(`${what} groupName=SECRET`, call(method, rule.path, s, { groupName: 'SECRET', ...grp }), 403);
          calls++;
          continue;
        }
        if (scope === 'config') {
          // Its group moved to SECRET (or, naming none, the whole namespace): refused.
          const params: Record<string, QueryValue> = { ...(s.params ?? {}) };
          for (const g of ['group', 'groupName']) if (g in params) params[g] = 'SECRET';
          await expect(`${what} group SECRET as it-grp`, call(method, rule.path, { ...s, params }, grp), 403);
          calls++;
          continue;
        }
        if (scope !== 'service') continue;
        const name = String(s.params?.['serviceName'] ?? '');
        assert.notEqual(name, '', `${what}: the sample names no service`);
        const bare = name.includes('@@') ? name.split('@@')[1] : name;
        const secret = { ...s, params: { ...s.params, serviceName: `SECRET@@${bare}` } };
        await expect(`${what} SECRET@@ as it-grp`, call(method, rule.path, secret, grp), 403);
        await expect(`${what} SECRET@@ + groupName as it-grp`, call(method, rule.path, secret, { groupName: 'DEFAULT_GROUP', ...grp }), 400);
        await expect(`${what} SECRET@@ + groupName as admin`, call(method, rule.path, secret, { groupName: 'DEFAULT_GROUP', accessToken: token }), 400);
        calls++;
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(calls > 35, `only ${calls} routes`);
    assert.equal(await secretState(), before, 'nothing in SECRET changed');
  });

  it('a user with r on public reads but cannot write', async () => {
    await admin('POST', '/nacos/v1/auth/permissions', { role: 'it-role', resource: 'public:*:*', action: 'r' });
    const list = await server.get('/nacos/v1/ns/instance/list', { serviceName: SVC, username: 'it-user', password: 'pw' });
    assert.equal(list.status, 200, list.text);
    const reg = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: SVC, ip: IP, port: 7901, username: 'it-user', password: 'pw' } });
    assert.equal(reg.status, 403);
    assert.equal(jsonOf<{ message: string }>(reg).message, 'Code: 403, Message: authorization failed!.');
  });

  it('the server state tells a console that auth is on', async () => {
    const state = jsonOf<Record<string, string>>(await server.get('/nacos/v1/console/server/state'));
    assert.equal(state['auth_enabled'], 'true');
    assert.equal(state['auth_admin_request'], 'false');
  });

  it('nacos-naming with username/password: register, getAllInstances, subscribe', async () => {
    const a = await startNodeClient(server.port, 'auth', { username: 'nacos', password: ADMIN_PW });
    const b = await startNodeClient(server.port, 'auth-anon');
    try {
      const svc = 'auth-node-svc';
      await a.client.registerInstance(svc, inst({ ip: '127.0.0.11', port: 8080 }));
      assert.ok(a.requests.every((r) => r.params['username'] === 'nacos'), 'the SDK sent the user name on every request');
      const all = await a.client.getAllInstances(svc, 'DEFAULT_GROUP', '', false);
      assert.deepEqual(addrs(all), ['127.0.0.11:8080']);
      const seen: string[][] = [];
      a.client.subscribe({ serviceName: svc }, (hosts) => seen.push(addrs(hosts)));
      await waitFor('the subscribe listener', () => (seen.some((h) => h.includes('127.0.0.11:8080')) ? true : undefined), 10_000);
      await a.client.registerInstance(svc, inst({ ip: '127.0.0.12', port: 8080 }));
      await waitFor('a push with the second instance', () => (seen.some((h) => h.length === 2) ? true : undefined), 10_000);
      // Without credentials the same SDK is refused.
      await assert.rejects(b.client.registerInstance(svc, inst({ ip: '127.0.0.13', port: 8080 })), /failed to req API/);
      assert.equal(b.requests.find((r) => r.path === '/nacos/v1/ns/instance')?.status, 403);
      const after = jsonOf<{ hosts: { ip: string; port: number }[] }>(await server.get('/nacos/v1/ns/instance/list', { serviceName: svc, accessToken: token }));
      assert.deepEqual(addrs(after.hosts), ['127.0.0.11:8080', '127.0.0.12:8080']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('nacos-config with username/password (plain parameters on every request): publishSingle, getConfig, remove', async () => {
    const a = await startConfigClient(server.port, 'auth-config', { username: 'nacos', password: ADMIN_PW });
    const anon = await startConfigClient(server.port, 'auth-config-anon', { requestTimeout: 1500 });
    try {
      const dataId = 'auth.node.config';
      assert.equal(await a.publishSingle(dataId, 'DEFAULT_GROUP', 'k=v'), true);
      assert.equal(await a.getConfig(dataId, 'DEFAULT_GROUP', {}), 'k=v');
      // Without credentials the same SDK is refused (it retries until its timeout, then rejects).
      await assert.rejects(anon.publishSingle(dataId, 'DEFAULT_GROUP', 'stolen'), /Server Error Status: 403/);
      await assert.rejects(anon.getConfig(dataId, 'DEFAULT_GROUP', {}), /Server Error Status: 403/);
      assert.equal((await server.get('/nacos/v1/cs/configs', { dataId, group: 'DEFAULT_GROUP', accessToken: token })).text, 'k=v');
      assert.equal(await a.remove(dataId, 'DEFAULT_GROUP', {}), true);
      assert.equal((await server.get('/nacos/v1/cs/configs', { dataId, group: 'DEFAULT_GROUP', accessToken: token })).status, 404);
    } finally {
      a.close();
      anon.close();
    }
  });

  it('the Rust SDK with username/password registers and queries over gRPC', async () => {
    const rust = await RustClient.start(server.port, { label: 'auth', username: 'nacos', password: ADMIN_PW });
    const anon = await RustClient.start(server.port, { label: 'auth-anon' });
    try {
      const svc = 'auth-rust-svc';
      await rust.register(svc, { ip: '127.0.0.21', port: 9090 });
      await waitFor('the registration', async () => {
        const hosts = await rust.getAllInstances(svc, { subscribe: false });
        return hostAddrs(hosts).includes('127.0.0.21:9090') ? true : undefined;
      }, 10_000);
      await assert.rejects(anon.register(svc, { ip: '127.0.0.22', port: 9090 }), /403/);
      await sleep(200);
      const list = jsonOf<{ hosts: { ip: string; port: number }[] }>(await server.get('/nacos/v1/ns/instance/list', { serviceName: svc, accessToken: token }));
      assert.deepEqual(addrs(list.hosts), ['127.0.0.21:9090']);
    } finally {
      await rust.close();
      await anon.close();
    }
  });
});

describe('auth on without a configured token key', () => {
  it('generates one at the first login and keeps it (and the users) across a restart', async () => {
    const server = await TestServer.start({ name: 'auth-genkey', properties: { 'nacos.core.auth.enabled': true } });
    try {
      const state = () => server.get('/nacos/v1/console/server/state').then((r) => jsonOf<Record<string, string>>(r)['auth_admin_request']);
      assert.equal(await state(), 'true');
      const init = await server.request('POST', '/nacos/v3/auth/user/admin', { form: { password: 'first-pw' } });
      assert.equal(init.status, 200, init.text);
      assert.equal(await state(), 'false');
      const login = await server.request('POST', '/nacos/v3/auth/user/login', { query: { username: 'nacos' }, form: { password: 'first-pw' } });
      assert.equal(login.status, 200, login.text);
      const token = jsonOf<{ accessToken: string }>(login).accessToken;
      await server.restart();
      const list = await server.get('/nacos/v1/ns/instance/list', { serviceName: 'x', accessToken: token });
      assert.equal(list.status, 200, list.text);
      const again = await server.request('POST', '/nacos/v3/auth/user/admin', { form: { password: 'takeover' } });
      assert.equal(again.status, 409);
    } finally {
      await server.dispose();
    }
  });
});
