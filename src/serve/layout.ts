import { join } from 'node:path';

/**
 * Where `ugc serve` keeps its state, all under one data dir (`--data-dir`, default `<config dir>/serve`):
 *
 *   keys.json              API keys: name, id, SHA-256 of the key (never the key), created, revoked
 *   webhook-secrets.json   the secret that signs webhook deliveries (owner-only)
 *   jobs/<jobId>.json      one record per job: the job store, the queue on disk
 *   uploads/<jobId>/       the job's image and audio, kept until the job ends
 *   uploads/.incoming-*    an upload still streaming in (removed when refused)
 *   outputs/<jobId>.mp4    the finished video (and <jobId>.jpg, its thumbnail)
 *   serve.pid              the process serving this dir (one at a time)
 */
export interface DataLayout {
  root: string;
  keys: string;
  uploads: string;
  outputs: string;
  pidFile: string;
}

export function dataLayout(root: string): DataLayout {
  return { root, keys: join(root, 'keys.json'), uploads: join(root, 'uploads'), outputs: join(root, 'outputs'), pidFile: join(root, 'serve.pid') };
}

export const defaultDataDir = (configDir: string): string => join(configDir, 'serve');

