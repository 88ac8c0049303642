/**
 * The layer rules of eslint.config.js (docs/architecture.md "Layer rules") catch what they must and
 * let the allowed imports through. `npm run lint` applies them to the sources; this test checks the
 * rules themselves, on import lines placed at paths of each layer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

// The sample files do not exist, so they are outside every tsconfig project: switch the type-aware
// rules (and their project lookup) off; the layer rules need no types.
const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  overrideConfig: [
    {
      languageOptions: { parserOptions: { project: null, projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
    },
  ],
});

/** The no-restricted-imports messages for `code` as if it were the file `path`. */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(`${code}\nexport const used = 1;\n`, { filePath: path });
  return (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

async function refused(path: string, code: string, why: RegExp): Promise<void> {
  const errors = await layerErrors(path, code);
  assert.equal(errors.length, 1, `${path}: ${code} should be refused`);
  assert.match(errors[0]!, why);
}

async function allowed(path: string, code: string): Promise<void> {
  assert.deepEqual(await layerErrors(path, code), [], `${path}: ${code} should be allowed`);
}

test('core imports nothing from other src folders and no Node built-ins', async () => {
  await allowed('src/core/x.ts', "import type { Instance } from './instance.js';");
  await refused('src/core/x.ts', "import type { Logger } from '../observability/logger.js';", /src\/core imports nothing/);
  await refused('src/core/x.ts', "import { readFileSync } from 'node:fs';", /no I\/O/);
});

test('distro and raft import only core', async () => {
  await allowed('src/distro/x.ts', "import type { Clock } from '../core/clock.js';");
  await allowed('src/distro/x.ts', "import { DistroHlc } from './hlc.js';");
  await refused('src/distro/x.ts', "import type { NamingService } from '../naming/naming-service.js';", /src\/distro imports only src\/core/);
  await allowed('src/raft/x.ts', "import type { Clock } from '../core/clock.js';");
  await refused('src/raft/x.ts', "import type { Logger } from '../observability/logger.js';", /src\/raft imports only src\/core/);
  await allowed('src/raft/disk/x.ts', "import type { Entry } from '../types.js';");
  await allowed('src/raft/disk/x.ts', "import type { Clock } from '../../core/clock.js';");
  await refused('src/raft/disk/x.ts', "import type { StoreWrite } from '../../persistence/persistent-store.js';", /src\/raft imports only src\/core/);
});

test('transport reads naming state through the catalog, never the registry or the metadata index', async () => {
  await allowed('src/transport/http/x.ts', "import type { ServiceFacts } from '../../naming/catalog.js';");
  await allowed('src/transport/http/x.ts', "import type { Selector } from '../../core/metadata.js';");
  await refused('src/transport/http/x.ts', "import type { ServiceState } from '../../core/registry.js';", /never the registry/);
  await refused('src/transport/http/routes/x.ts', "import { Registry } from '../../../core/registry.js';", /never the registry/);
  await refused('src/transport/grpc/x.ts', "import { type Selector, MetadataIndex } from '../../core/metadata.js';", /never the metadata index/);
});

test('the cluster code never imports the SDK or HTTP transports; the shared codec is src/wire', async () => {
  await allowed('src/cluster/transport/x.ts', "import { decodePayload } from '../../wire/codec.js';");
  await allowed('src/cluster/x.ts', "import { ClusterTransport } from './transport/cluster-transport.js';");
  await refused('src/cluster/transport/x.ts', "import { decodePayload } from '../../transport/grpc/codec.js';", /does not import the SDK\/HTTP transports/);
  await refused('src/cluster/x.ts', "import type { HttpDeps } from '../transport/http/kit.js';", /does not import the SDK\/HTTP transports/);
});
