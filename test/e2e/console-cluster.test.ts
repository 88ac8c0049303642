/**
 * The console's live cluster view in a real browser against a real 3-member cluster: every member
 * shows its Distro figures (responsible clients, replicas, per-peer verify) without a reload, and a
 * member killed with SIGKILL turns DOWN on the page by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { TestCluster } from '../integration/helpers/cluster.js';
import { RustClient } from '../integration/helpers/rust-client.js';
import { jsonOf, waitFor } from '../integration/helpers/server.js';
import { ConsoleBrowser, screenshot } from './helpers/browser.js';
import { waitForAttr, waitForCount, waitForText } from './helpers/page.js';

interface Overview {
  self: string;
  mode: string;
  members: { address: string; state: string; reachable: boolean; distro: { responsible: number; replicas: number; peers: { address: string; lastVerifyAt: number | null }[] } | null; raft: unknown }[];
}

describe('web console: live cluster view (3 members)', { timeout: 90_000 }, () => {
  let cluster: TestCluster;
  let sdk: RustClient;
  let browser: ConsoleBrowser;
  let page: Page;

  before(async () => {
    [cluster, browser] = await Promise.all([
      TestCluster.start(3, {
        name: 'e2e-console-cluster',
        // Quick failure detection and verify rounds so the page has something to show within seconds.
        properties: {
          'nomen.cluster.member.report-interval-ms': 500,
          'nomen.cluster.member.unhealthy-probe-interval-ms': 1000,
          'nacos.core.protocol.distro.data.verify.intervalMs': 1000,
        },
      }),
      ConsoleBrowser.launch(),
    ]);
    page = await browser.page();
  });

  after(async () => {
    await browser?.close();
    await sdk?.kill();
    await cluster?.dispose();
  });

  const card = (address: string) => page.locator(`[data-testid=live-member][data-addr="${address}"]`);

  it('the overview endpoint aggregates every member', async () => {
    const a = cluster.member('A');
    // Right after start-up (and on a busy machine) a peer may miss the per-peer timeout once.
    const o = await waitFor(
      'every member reachable in the overview',
      async () => {
        const v = jsonOf<Overview>(await a.get('/nacos/v1/console/cluster/overview'));
        return v.members.every((m) => m.reachable && m.distro) ? v : undefined;
      },
      15_000,
      500,
    );
    assert.equal(o.self, a.address);
    assert.equal(o.mode, 'cluster');
    assert.deepEqual(o.members.map((m) => m.address), [...cluster.addresses].sort());
    for (const m of o.members) {
      assert.equal(m.reachable, true, `${m.address} reachable`);
      assert.ok(m.distro, `${m.address} has distro figures`);
      assert.deepEqual(m.distro.peers.map((p) => p.address).sort(), cluster.addresses.filter((x) => x !== m.address).sort());
    }
  });

  it('shows responsible clients and replicas, then a member killed with SIGKILL goes DOWN without a reload', async () => {
    const [a, , c] = cluster.members as [NonNullable<(typeof cluster.members)[0]>, unknown, NonNullable<(typeof cluster.members)[0]>];
    // One SDK connection on A: A is responsible for it, B and C hold replicas.
    sdk = await RustClient.start(a.port, { label: 'e2e-cluster' });
    await sdk.register('e2e-cluster-svc', { ip: '127.0.0.31', port: 9001 });

    await page.goto(`http://127.0.0.1:${a.port}/nacos/#/cluster`);
    await waitForCount('live member cards', page.getByTestId('live-member'), 3);
    await waitForCount('member rows', page.getByTestId('member-row'), 3);
    await waitForText('responsible clients on A', card(a.address).getByTestId('live-responsible'), /^[1-9]\d*$/, 15_000);
    for (const m of cluster.members.filter((x) => x !== a)) {
      await waitForText(`replicas on ${m.name}`, card(m.address).getByTestId('live-replicas'), /^[1-9]\d*$/, 15_000);
    }
    for (const m of cluster.members) {
      await waitForAttr(`${m.name} state`, card(m.address), 'data-state', 'UP');
      // Every member serves the replicated instance: 1 service / 1 instance at least.
      await waitForText(`${m.name} counts`, card(m.address).getByTestId('live-counts'), /^[1-9]\d* \/ [1-9]\d*$/);
    }
    // Verify rounds run every second here: A's view of its peers shows when each was last verified.
    for (const m of cluster.members.filter((x) => x !== a)) {
      await waitForText(`A's last verify of ${m.name}`, card(a.address).locator(`[data-testid=live-peer][data-addr="${m.address}"] td`).nth(1), /s ago/, 15_000);
    }
    // Raft figures: shown when the members serve /nacos/v1/ns/operator/raft/state, else a dash.
    const raft = await a.get('/nacos/v1/ns/operator/raft/state');
    if (raft.status === 200) {
      for (const m of cluster.members) {
        await waitForText(`${m.name} raft role`, card(m.address).getByTestId('live-raft-role'), /^(leader|follower|candidate|pre-?candidate|learner)$/i);
        await waitForText(`${m.name} raft term`, card(m.address).getByTestId('live-raft-term'), /^\d+$/);
      }
    } else {
      assert.equal(raft.status, 404);
      assert.equal((await card(a.address).getByTestId('live-raft-term').textContent())?.trim(), '—');
    }

    await c.kill9();
    await waitForAttr('the killed member card', card(c.address), 'data-state', 'DOWN', 20_000);
    await waitForText('the killed member row', page.locator(`[data-testid=member-row][data-addr="${c.address}"]`).getByTestId('member-state'), 'DOWN', 10_000);
    await waitForText('live indicator', page.getByTestId('live-indicator'), /live/);
    for (const m of cluster.members.filter((x) => x !== c)) await waitForAttr(`${m.name} state`, card(m.address), 'data-state', 'UP');
    await screenshot(page, 'cluster');
  });
});
