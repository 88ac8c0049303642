/** The one resolver of a request's service (src/core/service-key.ts, docs/auth.md). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NacosError } from '../../src/core/errors.js';
import { resolveServiceKey, type NameStyle } from '../../src/core/service-key.js';

const key = (namespace: string, group: string, name: string) => ({ namespace, group, name });
const fails = (f: () => unknown, message: RegExp, v2Code: number) =>
  assert.throws(f, (e: unknown) => e instanceof NacosError && e.status === 400 && e.v2Code === v2Code && message.test(e.message));

test('grouped: plain + groupName, G@@name alone, G@@name with the same groupName', () => {
  assert.deepEqual(resolveServiceKey({ serviceName: 'svc' }, 'grouped'), key('public', 'DEFAULT_GROUP', 'svc'));
  assert.deepEqual(resolveServiceKey({ namespace: 'dev', groupName: 'G', serviceName: 'svc' }, 'grouped'), key('dev', 'G', 'svc'));
  assert.deepEqual(resolveServiceKey({ serviceName: 'G@@svc' }, 'grouped'), key('public', 'G', 'svc'));
  assert.deepEqual(resolveServiceKey({ groupName: 'G', serviceName: 'G@@svc' }, 'grouped'), key('public', 'G', 'svc'));
  // Blank and padded values (gRPC bodies are not trimmed by Params).
  assert.deepEqual(resolveServiceKey({ namespace: ' ', groupName: ' ', serviceName: ' G@@svc ' }, 'grouped'), key('public', 'G', 'svc'));
  assert.deepEqual(resolveServiceKey({ namespace: null, groupName: ' G ', serviceName: 'G@@svc' }, 'grouped'), key('public', 'G', 'svc'));
});

test('grouped: a groupName naming another group is refused (20009), malformed names as Nacos does (21000)', () => {
  fails(() => resolveServiceKey({ groupName: 'DEFAULT_GROUP', serviceName: 'SECRET@@paysvc' }, 'grouped'), /its group 'SECRET' differs from groupName 'DEFAULT_GROUP'/, 20009);
  fails(() => resolveServiceKey({ groupName: 'secret', serviceName: 'SECRET@@paysvc' }, 'grouped'), /differs/, 20009);
  fails(() => resolveServiceKey({ serviceName: '@@svc' }, 'grouped'), /groupName can't be empty/, 21000);
  fails(() => resolveServiceKey({ serviceName: 'svc@@' }, 'grouped'), /should be format as 'groupName@@serviceName'/, 21000);
});

test('bare: no @@ at all, whatever groupName says', () => {
  assert.deepEqual(resolveServiceKey({ groupName: 'G', serviceName: 'svc' }, 'bare'), key('public', 'G', 'svc'));
  for (const groupName of [undefined, 'G', 'SECRET']) fails(() => resolveServiceKey({ groupName, serviceName: 'G@@svc' }, 'bare'), /illegal characters/, 21000);
});

test('where both styles accept an input they name the same key', () => {
  const parts = ['', ' ', 'G', 'H', 'svc', '@@', 'G@@', '@@svc', 'a:b', '*'];
  const attempt = (style: NameStyle, ref: { namespace: string; groupName: string; serviceName: string }) => {
    try {
      return resolveServiceKey(ref, style);
    } catch (e) {
      assert.ok(e instanceof NacosError && e.status === 400, String(e));
      return null;
    }
  };
  let both = 0;
  for (const namespace of ['', 'dev']) {
    for (const groupName of parts) {
      for (const a of parts) {
        for (const b of parts) {
          const ref = { namespace, groupName, serviceName: a + b };
          if (ref.serviceName.trim() === '') continue;
          const grouped = attempt('grouped', ref);
          const bare = attempt('bare', ref);
          if (bare) {
            assert.deepEqual(grouped, bare, JSON.stringify(ref));
            both++;
          }
        }
      }
    }
  }
  assert.ok(both > 100);
});
