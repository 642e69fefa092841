/**
 * One read of each catalog (creators, voices, profiles) for a piece of work that would read it once per
 * item, such as checking a batch's 100,000 rows: while `withSharedReads` runs, `sharedRead` gives every
 * caller of a key the first caller's result. Otherwise each call reads afresh, so a long-running process
 * still sees a creator or voice added meanwhile. (Module state rather than AsyncLocalStorage, whose
 * promise hooks cost more than the reads they save.)
 */
let shared: Map<string, Promise<unknown>> | null = null;
let depth = 0;

export async function withSharedReads<T>(work: () => Promise<T>): Promise<T> {
  if (depth++ === 0) shared = new Map();
  try {
    return await work();
  } finally {
    if (--depth === 0) shared = null;
  }
}

export function sharedRead<T>(key: string, read: () => Promise<T>): Promise<T> {
  if (!shared) return read();
  let result = shared.get(key) as Promise<T> | undefined;
  if (!result) {
    result = read();
    shared.set(key, result);
  }
  return result;
}
