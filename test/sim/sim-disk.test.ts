import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from './prng.js';
import { SimDisk } from './sim-disk.js';

/** A disk whose slow operations run when `flush()` is called (no scheduler needed). */
function disk(seed: number, lies = false): { d: SimDisk; flush: () => Promise<void> } {
  const timers: (() => void)[] = [];
  const d = new SimDisk(new Rng(seed), (_ms, fn) => void timers.push(fn), 3, lies);
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((r) => setImmediate(r));
      for (const t of timers.splice(0)) t();
    }
  };
  return { d, flush };
}

async function synced<T>(p: Promise<T>, flush: () => Promise<void>): Promise<T> {
  let out: T | undefined;
  let done = false;
  void p.then((v) => {
    out = v;
    done = true;
  });
  await flush();
  assert.ok(done, 'operation completed');
  return out as T;
}

test('SimDisk: synced bytes survive a crash; of the unsynced ones only a torn prefix (maybe zeros or a garbled last byte)', async () => {
  const shapes = { kept: 0, zeros: 0, garbled: 0, lostAll: 0 };
  for (let seed = 1; seed <= 200; seed++) {
    const { d, flush } = disk(seed);
    await d.mkdir('/x');
    const f = await d.open('/x/a', 'create');
    await f.write(Buffer.from('durable|'), 0);
    await synced(f.sync(), flush);
    await synced(d.syncDir('/x'), flush);
    const tail = Buffer.from('pending-bytes');
    await f.write(tail, 8);
    d.crash();
    const got = await d.readFile('/x/a');
    assert.equal(got.subarray(0, 8).toString(), 'durable|', `seed ${seed}`);
    const rest = got.subarray(8);
    if (rest.length === 0) shapes.lostAll++;
    else if (rest.length <= tail.length && rest.subarray(0, -1).equals(tail.subarray(0, rest.length - 1))) {
      if (rest.at(-1) === tail[rest.length - 1]) shapes.kept++;
      else shapes.garbled++;
    } else {
      // A prefix followed by zeros.
      const k = rest.findIndex((b, i) => b !== tail[i]);
      assert.ok(k >= 0 && rest.subarray(k).every((b) => b === 0), `seed ${seed}: ${JSON.stringify(rest.toString())}`);
      shapes.zeros++;
    }
    // The stale handle is dead; after the crash everything is durable.
    let answered = false;
    void f.write(Buffer.from('late'), 0).then(() => (answered = true));
    await flush();
    assert.equal(answered, false);
    d.crash();
    assert.deepEqual(await d.readFile('/x/a'), got);
  }
  for (const [k, n] of Object.entries(shapes)) assert.ok(n > 5, `${k}: ${n} of 200`);
});

test('SimDisk: creations, renames and removals need a directory sync', async () => {
  const { d, flush } = disk(7);
  await d.mkdir('/x');
  const a = await d.open('/x/a', 'create');
  await a.write(Buffer.from('A'), 0);
  await synced(a.sync(), flush);
  d.crash();
  assert.deepEqual(await d.readdir('/x'), [], 'a synced file whose directory entry was never synced is lost');

  const b = await d.open('/x/b', 'create');
  await b.write(Buffer.from('B'), 0);
  await synced(b.sync(), flush);
  await synced(d.syncDir('/x'), flush);
  await d.rename('/x/b', '/x/c');
  d.crash();
  assert.deepEqual(await d.readdir('/x'), ['b'], 'an unsynced rename is undone');
  await d.unlink('/x/b');
  d.crash();
  assert.deepEqual(await d.readdir('/x'), ['b'], 'an unsynced removal is undone');
  await d.rename('/x/b', '/x/c');
  await synced(d.syncDir('/x'), flush);
  d.crash();
  assert.deepEqual(await d.readdir('/x'), ['c']);
  assert.equal((await d.readFile('/x/c')).toString(), 'B');
});

test('SimDisk: a lying disk acknowledges segment syncs without making them durable', async () => {
  const lost = { honest: 0, lying: 0 };
  for (const lies of [false, true]) {
    for (let seed = 1; seed <= 30; seed++) {
      const { d, flush } = disk(seed, lies);
      await d.mkdir('/x');
      const f = await d.open('/x/1.seg', 'create');
      await synced(d.syncDir('/x'), flush);
      await f.write(Buffer.from('acknowledged'), 0);
      await synced(f.sync(), flush);
      d.crash();
      if ((await d.readFile('/x/1.seg')).toString() !== 'acknowledged') lost[lies ? 'lying' : 'honest']++;
    }
  }
  assert.equal(lost.honest, 0);
  assert.ok(lost.lying > 10, `lying disk lost acknowledged bytes in ${lost.lying} of 30 crashes`);
});
