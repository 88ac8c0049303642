/**
 * Nacos shape tests: every case of test/fixtures/nacos3/*.json and test/fixtures/nacos2/*.json
 * (written from the Nacos sources, docs/protocol/nacos3.md and http.md) runs on a fresh in-process
 * member; status and body must match.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHttpContext } from './helpers/http-context.js';
import { fakeAdmin, loadFixtures, send, shapeDiff, withListening } from './helpers/nacos3-fixtures.js';

for (const f of loadFixtures()) {
  describe(`nacos3 fixtures: ${f.file}`, () => {
    for (const c of f.cases) {
      test(c.name, async () => {
        const admin = fakeAdmin(c.lookupType);
        const t = createHttpContext({ admin, ...(c.properties ? { properties: c.properties } : {}), ...(c.auth ? { auth: true } : {}), ...(c.metrics ? { metrics: true } : {}) });
        const app = c.listening ? withListening(t, admin) : t.app;
        for (const g of c.given ?? []) {
          const r = await send(app, g);
          assert.ok(r.statusCode >= 200 && r.statusCode < 300, `given ${g.method} ${g.path} answered ${r.statusCode}: ${r.body}`);
        }
        const r = await send(app, c.request);
        assert.equal(r.statusCode, c.status, `status (body: ${r.body})`);
        if (c.textMatches !== undefined) {
          for (const re of c.textMatches) assert.match(r.body, new RegExp(re, 'm'));
        } else if (c.text !== undefined) {
          assert.equal(r.body, c.text);
        } else {
          let body: unknown;
          try {
            body = JSON.parse(r.body);
          } catch {
            assert.fail(`not JSON: ${r.body}`);
          }
          assert.deepEqual(shapeDiff(c.body, body), [], r.body);
        }
      });
    }
  });
}
