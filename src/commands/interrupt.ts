/**
 * Runs `fn` with a signal that fires on Ctrl-C (SIGINT) or SIGTERM (what `ugc cancel` sends to a render),
 * so the work can stop its child processes and clean up before the CLI exits.
 */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
