import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `UGC_CONFIG_DIR`, else the platform's config dir — the same place `conf` (env-paths) uses for a project
 * named "ugc" with no suffix. Computed here rather than by loading `conf`, to keep start-up fast.
 */
export function configDirFrom(env: Record<string, string | undefined>, cwd: string): string {
  if (env.UGC_CONFIG_DIR) return resolve(cwd, env.UGC_CONFIG_DIR);
  const home = env.HOME ?? homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Preferences', 'ugc');
  if (process.platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'ugc', 'Config');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'ugc');
}
