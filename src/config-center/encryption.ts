/**
 * The config encryption hook for `cipher-<algorithm>-…` dataIds (docs/config-center.md
 * "Encryption"). Nacos' shape: a plugin per algorithm name, picked by the word after `cipher-`
 * (case-sensitive); a publish without an `encryptedDataKey` gets a fresh data key, the content is
 * encrypted with it and the data key is stored, itself encrypted, beside the content. Unlike
 * Nacos' AES plugin (whose data-key encryption is a no-op), the data key is encrypted with the
 * configured secret key, so the Raft log and snapshots hold ciphertext only.
 *
 * A config whose `encryptedDataKey` is not in a plugin's own format (a client that encrypted
 * itself, as Java's ConfigEncryptionFilter does) is passed through unchanged, as Nacos does.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { NacosError } from '../core/errors.js';
import { contentMd5 } from './config-keys.js';

export const CIPHER_PREFIX = 'cipher-';

/** One algorithm (Nacos' EncryptionPluginService, with its data-key wrapping made real). */
export interface EncryptionPlugin {
  /** The word after `cipher-` in a dataId. */
  readonly name: string;
  /** A fresh random data key (opaque text). */
  generateDataKey(): string;
  encrypt(dataKey: string, plaintext: string): string;
  /** Throws when the data key is wrong or the ciphertext was changed. */
  decrypt(dataKey: string, ciphertext: string): string;
  /** The data key encrypted with the configured secret key. */
  wrapDataKey(dataKey: string): string;
  /** Null when `wrapped` is not in this plugin's format (pass-through); throws on a wrong secret or a changed key. */
  unwrapDataKey(wrapped: string): string | null;
}

export interface Sealed {
  readonly content: string;
  readonly encryptedDataKey: string;
}

/** What a read serves of an encrypted config: the plaintext, its md5, and no data key. */
export interface Opened extends Sealed {
  readonly md5: string;
}

/** The algorithm name of a cipher dataId (`cipher-aes-db.yaml` → `aes`), as Nacos parses it; null otherwise. */
export function cipherAlgorithm(dataId: string): string | null {
  if (!dataId.startsWith(CIPHER_PREFIX) || dataId === CIPHER_PREFIX) return null;
  return dataId.split('-')[1] ?? null;
}

export interface EncryptedRow {
  readonly dataId: string;
  readonly content: string;
  readonly md5: string;
  readonly encryptedDataKey: string;
}

/** The enabled plugins, by name. With none (the default) `cipher-` configs are stored as sent. */
export class ConfigEncryption {
  private readonly plugins = new Map<string, EncryptionPlugin>();

  constructor(plugins: readonly EncryptionPlugin[] = []) {
    for (const p of plugins) this.plugins.set(p.name, p);
  }

  get enabled(): boolean {
    return this.plugins.size > 0;
  }

  private pluginFor(dataId: string): EncryptionPlugin | null {
    const name = cipherAlgorithm(dataId);
    return name === null ? null : (this.plugins.get(name) ?? null);
  }

  /** What a publish stores: encrypted with a fresh data key, or null when the dataId has no enabled plugin. */
  seal(dataId: string, content: string): Sealed | null {
    const p = this.pluginFor(dataId);
    if (!p) return null;
    const dataKey = p.generateDataKey();
    return { content: p.encrypt(dataKey, content), encryptedDataKey: p.wrapDataKey(dataKey) };
  }

  /**
   * The plaintext of a stored content, its md5 (what clients hash: docs/config-center.md
   * "Encryption") and `encryptedDataKey` '' when a plugin encrypted it;
   * null when there is nothing to decrypt here (not a cipher dataId, no plugin, no data key, or a
   * data key in a foreign format). Throws a 500 NacosError when decryption fails.
   */
  open(dataId: string, content: string, encryptedDataKey: string): Opened | null {
    if (encryptedDataKey === '') return null;
    const p = this.pluginFor(dataId);
    if (!p) return null;
    try {
      const dataKey = p.unwrapDataKey(encryptedDataKey);
      if (dataKey === null) return null;
      const plain = p.decrypt(dataKey, content);
      return { content: plain, md5: contentMd5(plain), encryptedDataKey: '' };
    } catch (e) {
      throw new NacosError(500, `config decryption failed for dataId ${dataId}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** `open`, keeping the stored values when decryption fails (list views, history, exports of what cannot be read). */
  openOrKeep<T extends EncryptedRow>(row: T): T {
    try {
      const plain = this.open(row.dataId, row.content, row.encryptedDataKey);
      return plain ? { ...row, ...plain } : row;
    } catch {
      return row;
    }
  }
}

// ---- AES ----

const GCM_IV = 12;
const GCM_TAG = 16;
const WRAP_PREFIX = 'nomen-aes-gcm:v1:';
const WRAP_AAD = Buffer.from('nomen config data key');

/** Parses `nomen.config.encryption.aes.secret-key`: base64 of 16, 24 or 32 bytes; the reason when it is not. */
export function parseAesSecretKey(text: string): Buffer | string {
  const t = text.trim();
  if (t === '') return 'is required when the aes plugin is enabled (base64 of 16, 24 or 32 random bytes, e.g. openssl rand -base64 32)';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) return 'is not base64';
  const key = Buffer.from(t, 'base64');
  if (![16, 24, 32].includes(key.length)) return `decodes to ${key.length} bytes; AES needs 16, 24 or 32`;
  return key;
}

function gcmSeal(key: Buffer, plain: Buffer, aad?: Buffer): string {
  const iv = randomBytes(GCM_IV);
  const c = createCipheriv(`aes-${key.length * 8}-gcm`, key, iv) as CipherGCM;
  if (aad) c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64');
}

function gcmOpen(key: Buffer, sealed: string, aad?: Buffer): Buffer {
  const all = Buffer.from(sealed, 'base64');
  if (all.length < GCM_IV + GCM_TAG || all.toString('base64') !== sealed) throw new Error('malformed ciphertext');
  const d = createDecipheriv(`aes-${key.length * 8}-gcm`, key, all.subarray(0, GCM_IV)) as DecipherGCM;
  if (aad) d.setAAD(aad);
  d.setAuthTag(all.subarray(all.length - GCM_TAG));
  try {
    return Buffer.concat([d.update(all.subarray(GCM_IV, all.length - GCM_TAG)), d.final()]);
  } catch {
    throw new Error('wrong key or changed ciphertext');
  }
}

/**
 * AES-256-GCM content encryption under a random per-publish data key; the data key wrapped with
 * AES-GCM under the secret key, tagged with the secret's id so a wrong secret is named as such.
 */
export class AesEncryptionPlugin implements EncryptionPlugin {
  readonly name = 'aes';
  private readonly keyId: string;

  constructor(private readonly secret: Buffer) {
    this.keyId = createHash('sha256').update('nomen config secret key id').update(secret).digest('hex').slice(0, 8);
  }

  generateDataKey(): string {
    return randomBytes(32).toString('base64');
  }

  encrypt(dataKey: string, plaintext: string): string {
    return gcmSeal(dataKeyBytes(dataKey), Buffer.from(plaintext, 'utf8'));
  }

  decrypt(dataKey: string, ciphertext: string): string {
    return gcmOpen(dataKeyBytes(dataKey), ciphertext).toString('utf8');
  }

  wrapDataKey(dataKey: string): string {
    return `${WRAP_PREFIX}${this.keyId}:${gcmSeal(this.secret, dataKeyBytes(dataKey), WRAP_AAD)}`;
  }

  unwrapDataKey(wrapped: string): string | null {
    if (!wrapped.startsWith(WRAP_PREFIX)) return null;
    const [id, body] = wrapped.slice(WRAP_PREFIX.length).split(':');
    if (id !== this.keyId) throw new Error(`data key was encrypted with another secret key (id ${id ?? '?'}, configured ${this.keyId})`);
    return gcmOpen(this.secret, body ?? '', WRAP_AAD).toString('base64');
  }
}

function dataKeyBytes(dataKey: string): Buffer {
  const k = Buffer.from(dataKey, 'base64');
  if (k.length !== 32) throw new Error('malformed data key');
  return k;
}

/** The known plugins. */
export const ENCRYPTION_PLUGINS = ['aes'] as const;

/**
 * The encryption of `nomen.config.encryption.plugins` (comma list; empty: off) with its keys, or
 * the reason it cannot start (an unknown plugin, a missing or malformed secret key).
 */
export function buildEncryption(pluginList: string, aesSecretKey: string): ConfigEncryption | string {
  const names = pluginList.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const plugins: EncryptionPlugin[] = [];
  for (const n of new Set(names)) {
    if (n !== 'aes') return `nomen.config.encryption.plugins: unknown plugin '${n}' (known: ${ENCRYPTION_PLUGINS.join(', ')})`;
    const key = parseAesSecretKey(aesSecretKey);
    if (typeof key === 'string') return `nomen.config.encryption.aes.secret-key ${key}`;
    plugins.push(new AesEncryptionPlugin(key));
  }
  return new ConfigEncryption(plugins);
}
