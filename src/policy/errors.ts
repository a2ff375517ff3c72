import type { z } from 'zod';
import { issueText, show } from './issue-text.js';

/** One thing wrong with a configuration, in words a user can act on. */
export interface PolicyIssue {
  /** Dotted path of the offending key, e.g. `policy.categories.client.retention`. */
  key: string;
  /** What is wrong and how to fix it. */
  message: string;
  /** The value found there (undefined when the key is missing). */
  value?: unknown;
  /** What is allowed there, when the choice is a fixed list. */
  allowed?: readonly string[];
  /** The nearest valid key, for a misspelt one. */
  suggestion?: string;
}

/**
 * Thrown at construction for an invalid policy or option, never at request time. The message names
 * every bad key with the fix; `issues` carries the same as data.
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly issues: readonly PolicyIssue[];
  /** The first bad key, for the common single-mistake case. */
  readonly key: string;

  constructor(issues: readonly PolicyIssue[]) {
    const lines = issues.map((i) => `${i.key}: ${i.message}`);
    super(
      issues.length === 1
        ? `Invalid configuration: ${lines[0]}`
        : `Invalid configuration (${issues.length} problems):\n  ${lines.join('\n  ')}`,
    );
    this.issues = issues;
    this.key = issues[0]?.key ?? '';
  }
}

/** Levenshtein distance, small inputs only (option keys). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The allowed key nearest to a misspelt one, if it is near enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

type AnySchema = z.core.$ZodType;

/** Strip optional/default/prefault wrappers to reach the schema that has a shape or options. */
function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let current = schema;
  for (let i = 0; current && i < 8; i++) {
    const def = current._zod.def as { innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) current = def.innerType;
    else if (def.in) current = def.in;
    else break;
  }
  return current;
}

function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let current: AnySchema | undefined = root;
  for (const part of path) {
    const def = unwrap(current)?._zod.def as { shape?: Record<string, AnySchema> } | undefined;
    current = def?.shape?.[String(part)];
  }
  return unwrap(current);
}

function keysOf(root: AnySchema, path: readonly PropertyKey[]): string[] {
  const def = schemaAt(root, path)?._zod.def as { shape?: Record<string, unknown> } | undefined;
  return def?.shape ? Object.keys(def.shape) : [];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Object.hasOwn(current, part)
      ? (current as Record<PropertyKey, unknown>)[part]
      : undefined;
  }
  return current;
}

function join(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter(Boolean).join('.');
}

/** Turn zod's issues into {@link PolicyIssue}s that name the key, the value and the fix. @internal */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: AnySchema,
  input: unknown,
  prefix: string,
): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysOf(schema, issue.path);
      for (const key of issue.keys) {
        const suggestion = nearest(key, allowed);
        out.push({
          key: join(prefix, [...issue.path, key]),
          message:
            `unknown key${suggestion ? `; did you mean "${suggestion}"?` : '.'}` +
            ` Allowed keys: ${allowed.join(', ')}`,
          value: valueAt(input, [...issue.path, key]),
          allowed,
          ...(suggestion ? { suggestion } : {}),
        });
      }
      continue;
    }
    const value = valueAt(input, issue.path);
    const key = join(prefix, issue.path);
    if (issue.code === 'invalid_value') {
      const allowed = issue.values.map(String);
      out.push({
        key,
        value,
        allowed,
        message: `${value === undefined ? 'missing' : `${show(value)} is not allowed`}; use one of: ${allowed.join(', ')}`,
      });
      continue;
    }
    out.push({ key, value, message: issueText(issue, value, schemaAt(schema, issue.path)) });
  }
  return out;
}
