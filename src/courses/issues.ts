// Translates zod issues into teacher-facing problems placed at YAML positions.
// Messages never quote the offending value: it may have come from a secret.
import type * as z from 'zod';
import { KNOWN_KEYS } from './schema.ts';
import { pathKey } from './yaml-tree.ts';
import type { PathSeg, Pos, RawProblem, YamlTree } from './yaml-tree.ts';

/** Per-parse zod error map: "what is wrong, what was expected", in YAML terms. */
export function describeIssue(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? 'required key is missing'
        : `expected ${noun(iss.expected)}, got ${kindOf(iss.input)}`;
    case 'too_small':
      return bound('at least', iss.origin, iss.minimum, iss.inclusive, '>');
    case 'too_big':
      return bound('at most', iss.origin, iss.maximum, iss.inclusive, '<');
    case 'invalid_value':
      return `expected one of: ${iss.values.map(String).join(', ')}`;
    case 'invalid_union':
      return 'options' in iss && Array.isArray(iss.options)
        ? `expected one of: ${iss.options.map(String).join(', ')}` : undefined;
    default:
      return undefined;
  }
}

function bound(word: string, origin: string, limit: unknown, inclusive: boolean | undefined, op: string): string {
  const n = Number(limit);
  if (origin === 'string' && word === 'at least' && n === 1) return 'must not be empty';
  if (origin === 'array') return `expected ${word} ${n} item${n === 1 ? '' : 's'}`;
  return inclusive === false ? `expected a number ${op} ${n}` : `expected a number ${op}= ${n}`;
}

function noun(expected: string): string {
  const nouns: Record<string, string> = { string: 'text', number: 'a number', int: 'a whole number',
    boolean: 'true or false', object: 'a mapping (key: value)', array: 'a list' };
  return nouns[expected] ?? expected;
}

function kindOf(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  const kinds: Record<string, string> = { string: 'text', number: 'a number', boolean: 'a boolean', object: 'a mapping' };
  return kinds[typeof input] ?? typeof input;
}

export function issueToProblems(issue: z.core.$ZodIssue, tree: YamlTree): RawProblem[] {
  const path = issue.path as PathSeg[];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const at = tree.positions.get(pathKey([...path, key]));
      return { path: [...path, key], pos: at?.key ?? locate(path, tree),
        message: unknownKeyMessage(key, path, tree.data) };
    });
  }
  if (issue.code === 'invalid_key') {
    const at = tree.positions.get(pathKey(path));
    return [{ path, pos: at?.key ?? locate(path, tree), message: issue.issues[0]?.message ?? 'invalid key' }];
  }
  const unset = tree.unsetVars.get(pathKey(path));
  if (unset) {
    return [{ path, pos: locate(path, tree),
      message: `environment variable ${unset.join(', ')} is not set and has no default ` +
        '(use ${NAME:-default} for one); this field is required' }];
  }
  if (path.length > 0 && !tree.positions.has(pathKey(path)) && issue.code === 'invalid_type') {
    return [{ path, pos: locate(path, tree), message: `missing required key '${String(path.at(-1))}'` }];
  }
  return [{ path, pos: locate(path, tree), message: issue.message }];
}

/** Position of the path, or of its nearest ancestor that exists in the file. */
export function locate(path: readonly PathSeg[], tree: YamlTree): Pos {
  for (let i = path.length; i >= 0; i--) {
    const at = tree.positions.get(pathKey(path.slice(0, i)));
    if (at) return at.value;
  }
  return { line: 1, column: 1 };
}

function unknownKeyMessage(key: string, path: readonly PathSeg[], data: unknown): string {
  const last = path.at(-1);
  if (last === 'check') {
    const ci = (valueAt(data, path) as { executor?: unknown } | undefined)?.executor === 'gitlab-ci';
    const other = ci ? KNOWN_KEYS.localCheck : KNOWN_KEYS.ciCheck;
    if (other.includes(key)) return `'${key}' is only used with executor: ${ci ? 'local' : 'gitlab-ci'}`;
    return withHint(key, ci ? KNOWN_KEYS.ciCheck : KNOWN_KEYS.localCheck);
  }
  const table: Record<string, readonly string[]> = KNOWN_KEYS;
  const known = path.length === 0 ? KNOWN_KEYS.course
    : typeof last === 'number' ? KNOWN_KEYS.assignment : table[String(last)] ?? [];
  return withHint(key, known);
}

function withHint(key: string, known: readonly string[]): string {
  const best = closest(key, known);
  const expected = `expected one of: ${known.join(', ')}`;
  return best ? `unknown key '${key}'; did you mean '${best}'?` : `unknown key '${key}'; ${expected}`;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3; // near misses only: typos, not different words
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}

export function valueAt(data: unknown, path: readonly PathSeg[]): unknown {
  let v = data;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PathSeg, unknown>)[seg];
  }
  return v;
}
