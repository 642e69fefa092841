/**
 * Dynamic time warping of two feature sequences inside a band around the straight line from their first
 * frames to their last. Steps: diagonal (weight 2), or one frame of either sequence alone (weight 1), so a
 * word one speaker added or skipped is a horizontal or vertical run and the rest of the path is untouched.
 */

export interface Warp {
  /** For each frame i of `a`, the first frame of `b` the path pairs with it. */
  first: Int32Array;
}

/**
 * `a` is `n` x `dims` and `b` is `m` x `dims`, row-major. `band` is the half-width in frames; it is widened
 * where needed so that a path always exists.
 */
export function warp(a: Float32Array, n: number, b: Float32Array, m: number, dims: number, band: number, stepPenalty: number): Warp {
  if (n === 0 || m === 0) throw new RangeError('warp needs two non-empty sequences');
  const slope = n > 1 ? (m - 1) / (n - 1) : 0;
  const half = Math.max(band, Math.ceil(slope / 2) + 1);
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const offset = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const centre = n > 1 ? i * slope : 0;
    lo[i] = i === 0 ? 0 : Math.max(0, Math.floor(centre - half));
    hi[i] = i === n - 1 ? m - 1 : Math.min(m - 1, Math.ceil(centre + half));
    offset[i + 1] = (offset[i] ?? 0) + (hi[i] ?? 0) - (lo[i] ?? 0) + 1;
  }

  const cost = new Float32Array(offset[n] ?? 0);
  // 0: start, 1: diagonal, 2: from the previous frame of `a` (vertical), 3: from the previous frame of `b`.
  const step = new Uint8Array(cost.length);
  for (let i = 0; i < n; i++) {
    const rowLo = lo[i] ?? 0;
    const rowHi = hi[i] ?? 0;
    const rowAt = offset[i] ?? 0;
    const prevLo = i > 0 ? (lo[i - 1] ?? 0) : 0;
    const prevHi = i > 0 ? (hi[i - 1] ?? -1) : -1;
    const prevAt = i > 0 ? (offset[i - 1] ?? 0) : 0;
    for (let j = rowLo; j <= rowHi; j++) {
      let d = 0;
      for (let k = 0; k < dims; k++) {
        const diff = (a[i * dims + k] ?? 0) - (b[j * dims + k] ?? 0);
        d += diff * diff;
      }
      d = Math.sqrt(d);
      let best = Infinity;
      let from = 0;
      if (i === 0 && j === 0) best = d;
      if (i > 0 && j - 1 >= prevLo && j - 1 <= prevHi) {
        const c = (cost[prevAt + j - 1 - prevLo] ?? Infinity) + 2 * d;
        if (c < best) [best, from] = [c, 1];
      }
      if (i > 0 && j >= prevLo && j <= prevHi) {
        const c = (cost[prevAt + j - prevLo] ?? Infinity) + d + stepPenalty;
        if (c < best) [best, from] = [c, 2];
      }
      if (j > rowLo) {
        const c = (cost[rowAt + j - 1 - rowLo] ?? Infinity) + d + stepPenalty;
        if (c < best) [best, from] = [c, 3];
      }
      cost[rowAt + j - rowLo] = best;
      step[rowAt + j - rowLo] = from;
    }
  }

  const first = new Int32Array(n).fill(m);
  let i = n - 1;
  let j = m - 1;
  for (;;) {
    if (j < (first[i] ?? m)) first[i] = j;
    const from = step[(offset[i] ?? 0) + j - (lo[i] ?? 0)];
    if (from === 1) [i, j] = [i - 1, j - 1];
    else if (from === 2) i -= 1;
    else if (from === 3) j -= 1;
    else break;
  }
  return { first };
}
