/**
 * The config encryption hook (docs/config-center.md "Encryption"): the AES plugin's round trip,
 * a wrong secret key, tampered ciphertexts and data keys, the start-up checks of the keys, and the
 * use cases over an in-memory store: what is stored (ciphertext and an encrypted data key only),
 * what reads serve (plaintext), client-encrypted configs passed through, and the plugin off.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { ConfigService } from '../../src/config-center/config-service.js';
import { ConfigState } from '../../src/config-center/config-state.js';
import { AesEncryptionPlugin, buildEncryption, cipherAlgorithm, ConfigEncryption } from '../../src/config-center/encryption.js';
import { contentMd5 } from '../../src/config-center/config-keys.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';

const secret = randomBytes(32);
const aes = () => new AesEncryptionPlugin(secret);
const who = { srcUser: 'nacos', srcIp: '127.0.0.1' };
const key = { tenant: 'public', group: 'DEFAULT_GROUP', dataId: 'cipher-aes-db.properties' };
const PLAIN = 'db.password=s3cr3t-ä✓';

function fixture(encryption: ConfigEncryption) {
  const store = new MemoryStore();
  const state = new ConfigState();
  state.load(store.entries());
  store.onApply((b) => state.apply(b));
  const service = new ConfigService({ store, state, clock: new ManualClock(), maxContent: 1000, maxGrayVersions: 10, maxConfigs: 100, encryption });
  return { store, service };
}

/** Every stored row as JSON text (what the Raft log and a snapshot hold). */
const storedText = (store: MemoryStore): string => JSON.stringify([...store.entries()]);

describe('AES plugin', () => {
  it('round-trips content through a fresh data key, wrapped with the secret key', () => {
    const p = aes();
    const dk = p.generateDataKey();
    assert.notEqual(dk, p.generateDataKey());
    const ct = p.encrypt(dk, PLAIN);
    assert.ok(!ct.includes('s3cr3t'));
    assert.notEqual(ct, p.encrypt(dk, PLAIN), 'a fresh IV per encryption');
    assert.equal(p.decrypt(dk, ct), PLAIN);
    const wrapped = p.wrapDataKey(dk);
    assert.ok(!wrapped.includes(dk));
    assert.equal(p.unwrapDataKey(wrapped), dk);
  });

  it('refuses a wrong secret key, naming it', () => {
    const wrapped = aes().wrapDataKey(aes().generateDataKey());
    assert.throws(() => new AesEncryptionPlugin(randomBytes(32)).unwrapDataKey(wrapped), /encrypted with another secret key/);
  });

  it('refuses a wrong data key and tampered ciphertexts and data keys', () => {
    const p = aes();
    const dk = p.generateDataKey();
    const ct = p.encrypt(dk, PLAIN);
    assert.throws(() => p.decrypt(p.generateDataKey(), ct), /wrong key or changed ciphertext/);
    const bytes = Buffer.from(ct, 'base64');
    bytes[14] = bytes[14]! ^ 1;
    assert.throws(() => p.decrypt(dk, bytes.toString('base64')), /wrong key or changed ciphertext/);
    assert.throws(() => p.decrypt(dk, 'not base64!'), /malformed ciphertext/);
    const wrapped = p.wrapDataKey(dk);
    const last = wrapped.at(-3) === 'A' ? 'B' : 'A';
    assert.throws(() => p.unwrapDataKey(`${wrapped.slice(0, -3)}${last}${wrapped.slice(-2)}`));
  });

  it('leaves data keys of other formats to the client (null)', () => {
    assert.equal(aes().unwrapDataKey('ZmE2ZmE1MjA3YjMyODZiMmZhNmZhNTIwN2IzMjg2YjI='), null);
  });
});

describe('plugin selection and start-up checks', () => {
  it('parses the algorithm as Nacos does (case-sensitive word after cipher-)', () => {
    assert.equal(cipherAlgorithm('cipher-aes-app.yaml'), 'aes');
    assert.equal(cipherAlgorithm('cipher-aes'), 'aes');
    assert.equal(cipherAlgorithm('cipher-AES-x'), 'AES');
    assert.equal(cipherAlgorithm('cipher-'), null);
    assert.equal(cipherAlgorithm('app-cipher-aes'), null);
    const enc = new ConfigEncryption([aes()]);
    assert.equal(enc.seal('cipher-AES-x', 'a'), null);
    assert.equal(enc.seal('plain.yaml', 'a'), null);
    assert.notEqual(enc.seal('cipher-aes-x', 'a'), null);
  });

  it('is off by default and checks the plugin list and the secret key', () => {
    const off = buildEncryption('', '');
    assert.ok(off instanceof ConfigEncryption && !off.enabled);
    const on = buildEncryption(' aes ', randomBytes(16).toString('base64'));
    assert.ok(on instanceof ConfigEncryption && on.enabled);
    assert.ok(buildEncryption('aes', randomBytes(24).toString('base64')) instanceof ConfigEncryption);
    assert.match(String(buildEncryption('des', '')), /unknown plugin 'des'/);
    assert.match(String(buildEncryption('aes', '')), /secret-key is required/);
    assert.match(String(buildEncryption('aes', randomBytes(20).toString('base64'))), /decodes to 20 bytes; AES needs 16, 24 or 32/);
    assert.match(String(buildEncryption('aes', 'not*base64')), /is not base64/);
  });
});

describe('config use cases with encryption', () => {
  it('stores ciphertext and an encrypted data key only; reads serve the plaintext', async () => {
    const { store, service } = fixture(new ConfigEncryption([aes()]));
    await service.publish({ ...key, content: PLAIN, ...who });
    await service.publish({ ...key, content: `${PLAIN}\nv=2`, ...who });
    await service.publish({ ...key, content: 'beta-secret', betaIps: '127.0.0.2', ...who });
    const text = storedText(store);
    assert.ok(!text.includes('s3cr3t') && !text.includes('beta-secret'), 'no plaintext in any stored row');
    const stored = [...store.entries()].find((e) => e.table === 'config')!.value as { content: string; md5: string; encryptedDataKey: string };
    assert.match(stored.encryptedDataKey, /^nomen-aes-gcm:v1:/);
    assert.equal(stored.md5, contentMd5(stored.content), 'the md5 is the stored content\'s, as Nacos');

    const view = service.get(key)!;
    assert.equal(view.content, `${PLAIN}\nv=2`);
    assert.equal(view.encryptedDataKey, '');
    assert.equal(view.md5, contentMd5(`${PLAIN}\nv=2`), 'clients are served the md5 of what they receive');
    assert.equal(service.md5(key), view.md5, 'listens compare with the served md5');
    assert.equal(service.md5(key, { clientIp: '127.0.0.2' }), contentMd5('beta-secret'));
    assert.equal(service.get(key, { clientIp: '127.0.0.2' })!.content, 'beta-secret');
    assert.equal(service.beta(key)!.content, 'beta-secret');
    assert.equal(service.record(key)!.content, `${PLAIN}\nv=2`);
    assert.equal(service.list('public')[0]!.content, `${PLAIN}\nv=2`);
    assert.equal(service.search({ tenant: 'public', mode: 'blur', dataId: 'cipher-*', pageNo: 1, pageSize: 10 }).pageItems[0]!.content, `${PLAIN}\nv=2`);
    const history = service.historyPage(key, 1, 10).pageItems;
    assert.deepEqual(history.map((h) => h.content), ['beta-secret', PLAIN, PLAIN]);
    assert.equal(service.historyPrevious(history[1]!.id)!.content, PLAIN);
    assert.equal(service.historyEntry(history[1]!.id)!.encryptedDataKey, '');
  });

  it('CAS accepts the served (plaintext) md5 and the stored one', async () => {
    const { store, service } = fixture(new ConfigEncryption([aes()]));
    await service.publish({ ...key, content: 'v1', ...who });
    await assert.rejects(service.publish({ ...key, content: 'v2', casMd5: contentMd5('other'), ...who }), /Cas publish fail/);
    await service.publish({ ...key, content: 'v2', casMd5: contentMd5('v1'), ...who });
    const stored = [...store.entries()].find((e) => e.table === 'config')!.value as { md5: string };
    await service.publish({ ...key, content: 'v3', casMd5: stored.md5, ...who });
    assert.equal(service.get(key)!.content, 'v3');
  });

  it('a publish with a data key is stored as sent (client-side encryption) and read back unchanged', async () => {
    const { service } = fixture(new ConfigEncryption([aes()]));
    await service.publish({ ...key, content: 'c0ffee', encryptedDataKey: 'client-key', ...who });
    const v = service.get(key)!;
    assert.equal(v.content, 'c0ffee');
    assert.equal(v.encryptedDataKey, 'client-key');
  });

  it('a config that cannot be decrypted is a 500 on get, shown as stored elsewhere', async () => {
    const s1 = fixture(new ConfigEncryption([aes()]));
    await s1.service.publish({ ...key, content: PLAIN, ...who });
    // The same rows read by a member configured with another secret key.
    const state = new ConfigState();
    state.load(s1.store.entries());
    const other = new ConfigService({ store: s1.store, state, clock: new ManualClock(), maxContent: 1000, maxGrayVersions: 10, maxConfigs: 100, encryption: new ConfigEncryption([new AesEncryptionPlugin(randomBytes(32))]) });
    assert.throws(() => other.get(key), (e: unknown) => e instanceof NacosError && e.status === 500 && /decryption failed.*another secret key/.test(e.message));
    assert.match(other.record(key)!.encryptedDataKey, /^nomen-aes-gcm:v1:/);
  });

  it('with the plugin off, cipher- configs are stored and served as sent', async () => {
    const { store, service } = fixture(new ConfigEncryption());
    await service.publish({ ...key, content: PLAIN, ...who });
    assert.ok(storedText(store).includes('s3cr3t'));
    assert.equal(service.get(key)!.content, PLAIN);
    assert.equal(service.get(key)!.encryptedDataKey, '');
  });
});
