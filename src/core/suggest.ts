/** Edit distance (Damerau: a swap of two neighbours counts once), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The known names closest to `word` (as commander suggests commands and flags): the nearest, within a third of its length, at most three. */
export function closest(word: string, known: readonly string[]): string[] {
  const target = word.toLowerCase();
  const limit = Math.max(1, Math.floor(target.length / 3));
  const near = [...new Set(known)].map((name) => ({ name, d: distance(target, name.toLowerCase()) })).filter(({ d }) => d <= limit);
  const best = Math.min(...near.map(({ d }) => d));
  return near.filter(({ d }) => d === best).map(({ name }) => name).sort().slice(0, 3);
}

/** ` (did you mean "max"?)` to follow an "unknown …" message, or '' when nothing is close. */
export function didYouMean(word: string, known: readonly string[]): string {
  const names = closest(word, known).map((n) => `"${n}"`);
  if (names.length === 0) return '';
  return ` (did you mean ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`}?)`;
}
