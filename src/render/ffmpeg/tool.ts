import { execa, type Options } from 'execa';
import { watchChild } from './watchdog.js';

/**
 * Runs ffmpeg or ffprobe (an argument array, never a shell string) like `execa`, and hands the child
 * to this process's watchdog so it dies with us: a `kill -9` of `ugc` leaves no encoder behind.
 * Every ffmpeg and ffprobe spawn goes through here.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- execa's own default: no options
export function runTool<O extends Options = {}>(file: string, args: readonly string[], options?: O) {
  const child = execa(file, args, options);
  watchChild(child.pid, child);
  return child;
}
