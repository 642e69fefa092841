import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { UsageError } from '../core/errors.js';
import { withFileLock } from '../core/file-lock.js';
import { readJsonFile } from '../core/json-files.js';

/** One API key as stored: its hash only; the key itself is shown once, when it is made. */
export interface KeyRecord {
  id: string;
  name: string;
  sha256: string;
  createdAt: string;
  revokedAt: string | null;
}

const KEY_PREFIX = 'ugs_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const hashOf = (key: string) => createHash('sha256').update(key).digest();

/**
 * The API keys of a `ugc serve` data dir (`keys.json`, owner-only). Keys are 32 random bytes, so a plain
 * SHA-256 is a safe hash (no password stretching needed); lookups compare every record's hash in
 * constant time.
 */
export class KeyStore {
  private cache: { records: KeyRecord[]; at: string } | null = null;

  constructor(private readonly path: string) {}

  async list(): Promise<KeyRecord[]> {
    return (await readJsonFile<KeyRecord[]>(this.path)) ?? [];
  }

  /** Makes a key named `name`; returns the key itself, which is never stored. */
  async add(name: string): Promise<{ record: KeyRecord; key: string }> {
    if (!NAME.test(name)) throw new UsageError(`invalid key name "${name}"`, 'Use letters, digits, ".", "_" or "-" (up to 64).');
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: KeyRecord = { id: `key_${randomBytes(6).toString('hex')}`, name, sha256: hashOf(key).toString('hex'), createdAt: new Date().toISOString(), revokedAt: null };
    await this.change((records) => {
      if (records.some((r) => r.name === name && !r.revokedAt)) throw new UsageError(`a key named "${name}" already exists`, `Revoke it first (ugc serve keys revoke ${name}) or pick another name.`);
      return [...records, record];
    });
    return { record, key };
  }

  /** The active key named `nameOrId` (or with that id). */
  async find(nameOrId: string): Promise<KeyRecord> {
    const record = (await this.list()).find((r) => !r.revokedAt && (r.name === nameOrId || r.id === nameOrId));
    if (!record) throw new UsageError(`no active key "${nameOrId}"`, 'Run `ugc serve keys list` to see the keys.');
    return record;
  }

  /** Deactivates a key by name or id: its requests get 401 from then on; its jobs stay. */
  async revoke(nameOrId: string): Promise<KeyRecord> {
    let revoked: KeyRecord | undefined;
    await this.change((records) =>
      records.map((r) => {
        if (r.revokedAt || (r.name !== nameOrId && r.id !== nameOrId)) return r;
        revoked = { ...r, revokedAt: new Date().toISOString() };
        return revoked;
      }),
    );
    if (!revoked) throw new UsageError(`no active key "${nameOrId}"`, 'Run `ugc serve keys list` to see the keys.');
    return revoked;
  }

  /** The active key record whose hash matches `key`, or null. keys.json is re-read when it changed (a key added or revoked counts at once). */
  async authenticate(key: string): Promise<KeyRecord | null> {
    const info = await stat(this.path).catch(() => null);
    const changed = info ? `${info.mtimeMs}:${info.size}` : '';
    if (!this.cache || this.cache.at !== changed) this.cache = { records: await this.list(), at: changed };
    const hash = hashOf(key);
    let found: KeyRecord | null = null;
    for (const record of this.cache.records) {
      const stored = Buffer.from(record.sha256, 'hex');
      // Every record is compared, matching or not, so the time taken says nothing about which one matched.
      if (stored.length === hash.length && timingSafeEqual(stored, hash) && !record.revokedAt) found = record;
    }
    return found;
  }

  private async change(fn: (records: KeyRecord[]) => KeyRecord[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await withFileLock(`${this.path}.lock`, async () => {
      await writeFileAtomic(this.path, `${JSON.stringify(fn(await this.list()), null, 2)}\n`, 0o600);
      await chmod(this.path, 0o600);
    });
    this.cache = null;
  }
}
