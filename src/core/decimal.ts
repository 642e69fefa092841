/** Plain decimal notation (`12`, `-0.5`, `.5`): `Number()` alone would also take `0x10`, `1e3`, `0b1`, `Infinity` and ``. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** The number a person wrote in decimal, or NaN for anything else (surrounding spaces allowed). */
export function parseDecimal(text: string): number {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
}
