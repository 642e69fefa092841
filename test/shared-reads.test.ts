import { describe, expect, it } from 'vitest';
import { sharedRead, withSharedReads } from '../src/core/shared-reads.js';

describe('shared reads', () => {
  it('reads each key once inside withSharedReads (nested too), and afresh outside it', async () => {
    let reads = 0;
    const read = () => sharedRead('catalog', async () => ++reads);
    expect([await read(), await read()]).toEqual([1, 2]);
    const inside = await withSharedReads(async () => {
      const first = await Promise.all([read(), read(), read()]);
      const nested = await withSharedReads(read);
      const other = await sharedRead('another', async () => 'other');
      return [...first, nested, other];
    });
    expect(inside).toEqual([3, 3, 3, 3, 'other']);
    expect(await read()).toBe(4);
  });

  it('ends its sharing when the work fails, and shares a failed read as that failure', async () => {
    let reads = 0;
    const failing = () => sharedRead('broken', async () => Promise.reject(new Error(`bad read ${++reads}`)));
    await expect(
      withSharedReads(async () => {
        await expect(failing()).rejects.toThrow('bad read 1');
        await expect(failing()).rejects.toThrow('bad read 1');
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    await expect(failing()).rejects.toThrow('bad read 2');
  });
});
