import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { withFileLock } from './file-lock.js';
import { readJsonFile } from './json-files.js';

const fileOf = (configDir: string) => join(configDir, 'webhook-secrets.json');

/**
 * The signing secret `ugc` uses for a provider's events: made by `create` (in the format of the
 * provider's scheme) on first use, then the same on every run, kept in a file only the owner can read.
 */
export async function storedSecret(configDir: string, provider: string, create: () => string): Promise<string> {
  const path = fileOf(configDir);
  const existing = (await load(path))[provider];
  if (existing) return existing;
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  return withFileLock(`${path}.lock`, async () => {
    const all = await load(path);
    const secret = all[provider] ?? create();
    if (!all[provider]) {
      await writeFileAtomic(path, `${JSON.stringify({ ...all, [provider]: secret }, null, 2)}\n`, 0o600);
      await chmod(path, 0o600);
    }
    return secret;
  });
}

async function load(path: string): Promise<Record<string, string>> {
  return (await readJsonFile<Record<string, string>>(path)) ?? {};
}
