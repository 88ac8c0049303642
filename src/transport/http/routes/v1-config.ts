/**
 * v1 config Open API (`/nacos/v1/cs/...`, docs/config-center.md "HTTP APIs", docs/protocol/config.md §3):
 * `/configs` read, publish, delete and, selected by a flag parameter as Nacos' controller does,
 * detail (`show=all`), search (`search=accurate|blur`), beta (`beta=true`), export, import and
 * clone; `/configs/catalog`; `/history`. Answers are plain text or JSON; a use-case failure is
 * plain text `caused: <message>;` with its status, as Nacos' config exception handler writes it.
 * The long-polling listener routes live in their own module.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NacosError } from '../../../core/errors.js';
import type { ConfigCenter } from '../../../config-center/types.js';
import { checkConfigParams, configCenterOf, configKeyOf, mimeOf, servedView, setConfigHeaders, tenantOf, V1_NAMES } from '../config-edge.js';
import { configBodyLimit, historyDetail, idParam, pagingOf, previousHistory, publishInputOf, removeInputOf, searchQueryOf, V1_PUBLISH } from '../config-ops.js';
import { betaJson, configAdvanceJson, configAllInfoJson, configInfoJson, configWrapperJson, historyJson, pageJson } from '../config-views.js';
import { MissingParamError } from '../errors.js';
import { sendSpringError } from '../auth-filter.js';
import { paramsOf, sendJson, sendRawJson, sendText, type HttpDeps } from '../kit.js';
import type { Params } from '../params.js';
import { cloneConfigs, exportConfigs, importConfigs, type TransferNames } from './config-transfer.js';

const CS = '/nacos/v1/cs';

/** Runs a use case; a NacosError it throws becomes Nacos' v1 config text `caused: <message>;`. */
async function caused<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof NacosError && !(e instanceof MissingParamError)) throw new NacosError(e.status, `caused: ${e.message};`, e.v2Code);
    throw e;
  }
}

/** Legacy RestResult `{"code":…,"message":…,"data":…}`. */
function sendRest(reply: FastifyReply, code: number, message: string | null, data: unknown): FastifyReply {
  return sendJson(reply, { code, message, data });
}

const flag = (p: Params, name: string): boolean => p.get(name)?.toLowerCase() === 'true';

const TRANSFER: TransferNames = { family: 'v1', names: V1_NAMES };

export function v1ConfigRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const cc = (): ConfigCenter => configCenterOf(deps);
  const springMissing = (req: FastifyRequest, reply: FastifyReply, name: string, type: string, blank: boolean): FastifyReply =>
    sendSpringError(reply, req, deps.ctx, 400, `Required request parameter '${name}' for method parameter type ${type} is ${blank ? 'present but converted to null' : 'not present'}`);

  app.get(`${CS}/configs`, async (req, reply) => {
    const p = paramsOf(req);
    if (flag(p, 'export') || flag(p, 'exportV2')) return exportConfigs(deps, req, reply, p, TRANSFER, flag(p, 'exportV2'));
    const search = p.get('search');
    if (search !== 'blur') checkConfigParams(deps, p, V1_NAMES);
    if (search === 'accurate' || search === 'blur') {
      const q = searchQueryOf(deps, p, search, V1_NAMES, 'config_tags');
      const page = await caused(() => cc().search(q));
      return sendJson(reply, pageJson(page, configInfoJson));
    }
    const key = configKeyOf(p, V1_NAMES);
    if (flag(p, 'beta')) {
      const beta = cc().beta(key);
      return sendRest(reply, 200, 'query beta ok', beta ? betaJson(cc().record(key), beta) : null);
    }
    if (p.get('show') === 'all') {
      const r = cc().record(key);
      return r ? sendJson(reply, configAllInfoJson(r)) : sendRawJson(reply, '');
    }
    const view = servedView(cc(), key, req, p);
    if (!view) return sendText(reply, 'config data not exist\n', 404);
    setConfigHeaders(reply, view);
    return reply.code(200).type(mimeOf(view.type)).send(view.content);
  });

  app.post(`${CS}/configs`, { bodyLimit: configBodyLimit(deps) }, async (req, reply) => {
    const p = paramsOf(req);
    if (flag(p, 'import')) return importConfigs(deps, req, reply, p, TRANSFER);
    if (flag(p, 'clone')) return cloneConfigs(deps, req, reply, p, TRANSFER);
    checkConfigParams(deps, p, V1_NAMES);
    const input = publishInputOf(req, p, V1_NAMES, V1_PUBLISH);
    try {
      await cc().publish(input);
    } catch (e) {
      // Validation → 400 `caused: …;`; a failure while publishing (CAS conflict, gray limits) → its status, body `false`.
      if (e instanceof NacosError && e.status !== 400) return sendRawJson(reply, 'false', e.status);
      return caused(() => {
        throw e;
      });
    }
    return sendRawJson(reply, 'true');
  });

  app.delete(`${CS}/configs`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V1_NAMES);
    if (flag(p, 'beta')) {
      const input = removeInputOf(req, p, V1_NAMES);
      try {
        await cc().stopBeta(input, input);
      } catch (e) {
        deps.ctx.log.warn({ err: e }, 'stop beta failed');
        return sendRest(reply, 500, 'remove beta data error', false);
      }
      return sendRest(reply, 200, 'stop beta ok', true);
    }
    if (p.get('delType') !== undefined) throw new NacosError(400, 'caused: delete by ids is not supported, delete each config by dataId and group;', 20002);
    const input = removeInputOf(req, p, V1_NAMES);
    await caused(() => cc().remove(input));
    return sendRawJson(reply, 'true');
  });

  app.get(`${CS}/configs/catalog`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V1_NAMES);
    const r = cc().record(configKeyOf(p, V1_NAMES));
    return sendRest(reply, 200, null, r ? configAdvanceJson(r) : null);
  });

  // ---- history
  app.get(`${CS}/history`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V1_NAMES);
    const key = configKeyOf(p, V1_NAMES);
    if (p.get('nid') !== undefined) {
      const h = await caused(() => historyDetail(cc(), idParam(p, 'nid'), key));
      return h ? sendJson(reply, historyJson(h, true)) : sendRawJson(reply, '');
    }
    const { pageNo, pageSize } = pagingOf(deps, p, { pageNo: 1, pageSize: 100 });
    return sendJson(reply, pageJson(cc().historyPage(key, pageNo, pageSize), (h) => historyJson(h, false)));
  });

  // `@RequestParam("id") Long id` / `@RequestParam("tenant")`: no config exception handler covers a
  // missing one, so Nacos answers Spring Boot's 400 error JSON (docs/protocol/http.md §0.4).
  app.get(`${CS}/history/previous`, async (req, reply) => {
    const p = paramsOf(req);
    const id = p.raw('id');
    if (id === undefined || id.trim() === '') return springMissing(req, reply, 'id', 'Long', id !== undefined);
    checkConfigParams(deps, p, V1_NAMES);
    const key = configKeyOf(p, V1_NAMES);
    const h = previousHistory(deps, cc(), idParam(p, 'id'), key);
    return h ? sendJson(reply, historyJson(h, true)) : sendRawJson(reply, '');
  });

  app.get(`${CS}/history/configs`, async (req, reply) => {
    const p = paramsOf(req);
    if (p.raw('tenant') === undefined) return springMissing(req, reply, 'tenant', 'String', false);
    checkConfigParams(deps, p, V1_NAMES);
    return sendJson(reply, cc().list(tenantOf(p, V1_NAMES)).map(configWrapperJson));
  });
}
