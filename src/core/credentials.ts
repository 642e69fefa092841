import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { withFileLock } from './file-lock.js';
import { readJsonFile } from './json-files.js';

interface StoredKey {
  key: string;
  savedAt: string;
}
type CredentialFile = Record<string, Record<string, StoredKey>>;

const OWNER_ONLY = 0o600;
const fileOf = (configDir: string) => join(configDir, 'credentials.json');

/**
 * API keys per profile and provider, in one file only its owner can read (mode 0600), written atomically
 * under a lock. Keys never pass through any other file, log or output.
 */
export async function readKey(configDir: string, profile: string, provider: string): Promise<string | null> {
  return (await load(configDir))[profile]?.[provider]?.key ?? null;
}

export async function saveKey(configDir: string, profile: string, provider: string, key: string): Promise<void> {
  await update(configDir, (all) => ({ ...all, [profile]: { ...all[profile], [provider]: { key, savedAt: new Date().toISOString() } } }));
}

/** Returns whether a key was stored. */
export async function removeKey(configDir: string, profile: string, provider: string): Promise<boolean> {
  let removed = false;
  await update(configDir, (all) => {
    const keys = { ...all[profile] };
    removed = provider in keys;
    delete keys[provider];
    return { ...all, [profile]: keys };
  });
  return removed;
}

async function load(configDir: string): Promise<CredentialFile> {
  const path = fileOf(configDir);
  return (await readJsonFile<CredentialFile>(path, `Fix it by hand, or move it away and run \`ugc login\` again: ${path}`)) ?? {};
}

async function update(configDir: string, change: (all: CredentialFile) => CredentialFile): Promise<void> {
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const path = fileOf(configDir);
  await withFileLock(`${path}.lock`, async () => {
    await writeFileAtomic(path, `${JSON.stringify(change(await load(configDir)), null, 2)}\n`, OWNER_ONLY);
    await chmod(path, OWNER_ONLY);
  });
}
