import type { z } from 'zod';

/**
 * Sentences for the schema's issues, in the library's words: what the value is, what is allowed
 * and what to write instead. zod's own texts (`Too small: expected number to be >=1`) describe the
 * validator, not the option; they are replaced here. A message the schema itself wrote (a refine,
 * or `{ message }` on a check) is already ours and is kept.
 */

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/** zod's default texts all start this way; the schema's own messages never do. */
const ZOD_DEFAULT = /^(Too (small|big)|Invalid |Number must|String must|Expected |Unrecognized )/;

/** True when `message` is zod's generic text rather than one the schema wrote. */
export function isZodDefault(message: string): boolean {
  return ZOD_DEFAULT.test(message);
}

/** A value as a message shows it: strings quoted, objects and functions by kind. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

const KINDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  function: 'a function',
  bigint: 'a bigint',
  date: 'a date',
};

/** "a whole number", "a string": what the schema expects, as words. */
export function kindOf(expected: string): string {
  return KINDS[expected] ?? expected;
}

/** The bounds a number or string schema declares, to state the whole allowed range at once. */
function bounds(schema: AnySchema | undefined): { min?: number; max?: number; int?: boolean } {
  const s = schema as
    | {
        minValue?: number | null;
        maxValue?: number | null;
        isInt?: boolean;
        minLength?: number | null;
        maxLength?: number | null;
      }
    | undefined;
  if (s === undefined) return {};
  const finite = (n: number | null | undefined) =>
    typeof n === 'number' && Number.isFinite(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER
      ? n
      : undefined;
  const min = finite(s.minValue) ?? finite(s.minLength);
  const max = finite(s.maxValue) ?? finite(s.maxLength);
  return {
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    ...(s.isInt ? { int: true } : {}),
  };
}

/** "from 1 to 100 000", "at least 1", "at most 500". */
function range(min: number | undefined, max: number | undefined): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (min !== undefined && max !== undefined) return `from ${n(min)} to ${n(max)}`;
  if (min !== undefined) return `at least ${n(min)}`;
  if (max !== undefined) return `at most ${n(max)}`;
  return '';
}

type SizeIssue = Extract<Issue, { code: 'too_small' | 'too_big' }>;

function sizeText(issue: SizeIssue, value: unknown, schema: AnySchema | undefined) {
  const tooSmall = issue.code === 'too_small';
  const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  const declared = bounds(schema);
  const min = declared.min ?? (tooSmall ? Number(limit) : undefined);
  const max = declared.max ?? (tooSmall ? undefined : Number(limit));
  const allowed = range(min, max);
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint':
      return `${show(value)} is ${tooSmall ? 'too small' : 'too large'}; use ${declared.int ? 'a whole number' : 'a number'} ${allowed}`;
    case 'string':
      if (tooSmall && min === 1 && typeof value === 'string' && value.trim() === '') {
        return 'is empty; write a value, or leave the key out';
      }
      return `${show(value)} is too ${tooSmall ? 'short' : 'long'}; use ${allowed} characters`;
    case 'array':
    case 'set': {
      const count = Array.isArray(value) ? value.length : undefined;
      const has = count === undefined ? '' : ` (it has ${count})`;
      return `has too ${tooSmall ? 'few' : 'many'} entries${has}; give ${allowed}`;
    }
    default:
      return `${show(value)} is too ${tooSmall ? 'small' : 'large'}; allowed: ${allowed}`;
  }
}

/** The expected kinds of a union whose every branch refused the value's type. */
function unionKinds(issue: Extract<Issue, { code: 'invalid_union' }>): string[] {
  const kinds = new Set<string>();
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first?.code === 'invalid_type' && first.path.length === 0)
      kinds.add(kindOf(first.expected));
    else if (first?.code === 'invalid_value' && first.path.length === 0) {
      for (const v of first.values) kinds.add(show(v));
    }
  }
  return [...kinds];
}

/**
 * What is wrong with `value`, for an issue of any kind but `unrecognized_keys` and `invalid_value`
 * (which list keys and choices and are worded by the caller). `schema` is the schema at the
 * issue's path, when it can be found, for the whole allowed range.
 */
export function issueText(issue: Issue, value: unknown, schema: AnySchema | undefined): string {
  if (issue.code === 'custom' || !isZodDefault(issue.message)) {
    return value === undefined ? issue.message : `${show(value)}: ${issue.message}`;
  }
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `is required: give ${kindOf(issue.expected)}`;
      return `must be ${kindOf(issue.expected)}, not ${show(value)}`;
    case 'too_small':
    case 'too_big':
      return sizeText(issue, value, schema);
    case 'not_multiple_of':
      return `${show(value)} is not a multiple of ${String(issue.divisor)}; use one that is`;
    case 'invalid_format': {
      const pattern = (issue as { pattern?: string }).pattern;
      return issue.format === 'regex' && pattern !== undefined
        ? `${show(value)} does not have the accepted form ${pattern}; write one that matches it`
        : `${show(value)} is not a valid ${issue.format}; write one that is`;
    }
    case 'invalid_union': {
      const kinds = unionKinds(issue);
      return kinds.length > 0
        ? `must be ${kinds.join(' or ')}, not ${show(value)}`
        : `${show(value)} matches none of the accepted forms; see the documentation of this key`;
    }
    case 'invalid_key':
      return 'has a key that is not accepted here; check the spelling of its keys';
    case 'invalid_element':
      return 'has an entry that is not accepted here; check its entries';
    default:
      return `${show(value)} is not accepted here; see the documentation of this key`;
  }
}
