/**
 * Browser privacy signals. A header sent twice reaches Node joined with ", ", so each part is
 * checked: `Sec-GPC: 0, 1` is a GPC signal; `1` must match exactly (W3C GPC), so `true`, `yes`,
 * ` 1x` and empty values are not.
 */
function hasExactOne(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'string') return value.some(hasExactOne);
  if (value === '1') return true;
  if (value.length > 64 || !value.includes('1')) return false;
  for (const part of value.split(',')) if (part.trim() === '1') return true;
  return false;
}

/** True when the request carries Global Privacy Control (`Sec-GPC: 1`). */
export function hasGpc(value: string | string[] | undefined): boolean {
  return hasExactOne(value);
}

/** True when the request carries Do Not Track (`DNT: 1`). */
export function hasDnt(value: string | string[] | undefined): boolean {
  return hasExactOne(value);
}
