/** Items across cursor-paginated pages (UnrealUGC, vidgen): `next` is null on the last page. */
export async function* cursorPages<T>(fetchPage: (cursor: string | null) => Promise<{ items: T[]; next: string | null }>): AsyncGenerator<T> {
  let cursor: string | null = null;
  const seen = new Set<string>();
  do {
    const page: { items: T[]; next: string | null } = await fetchPage(cursor);
    yield* page.items;
    // A provider that hands back a cursor it already gave would loop forever.
    if (page.next !== null && seen.has(page.next)) return;
    if (page.next !== null) seen.add(page.next);
    cursor = page.next;
  } while (cursor !== null);
}
