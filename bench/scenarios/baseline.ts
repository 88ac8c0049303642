/** Scenario "baseline": the bare gRPC echo and bare node:http servers that a–c are compared with. */
import { freePortPair, type ScriptProcess } from '../lib/proc.js';
import { SERVER_CPU, startScript, type Ctx } from '../lib/context.js';

export interface Baselines {
  echo?: { p: ScriptProcess; target: string };
  http?: { p: ScriptProcess; base: string };
}

export async function startBaselines(ctx: Ctx): Promise<Baselines> {
  const port = await freePortPair();
  const echo = await startScript(ctx, 'baselines/grpc-echo.ts', { port: port + 1000 }, SERVER_CPU, 30_000);
  const http = await startScript(ctx, 'baselines/http-bare.ts', { port }, SERVER_CPU, 30_000);
  ctx.raw.baselineBodyBytes = {
    grpcSmall: echo.ready.smallBytes,
    grpcQuery100: echo.ready.queryBytes,
    httpSmall: http.ready.smallBytes,
    httpList100: http.ready.listBytes,
  };
  return { echo: { p: echo.p, target: `127.0.0.1:${port + 1000}` }, http: { p: http.p, base: `http://127.0.0.1:${port}` } };
}
