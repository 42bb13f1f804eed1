// Turns YAML text into plain data plus a side table of source positions, so
// that errors found later (by zod or by cross-field checks) on a data path
// can be reported at the exact line and column the teacher typed.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node, Pair, Scalar, YAMLMap } from 'yaml';
import { interpolate } from './interpolate.ts';
import type { Env } from './types.ts';

export type PathSeg = string | number;
export interface Pos { readonly line: number; readonly column: number }
/** Where a value starts and, for mapping entries, where its key starts. */
export interface NodePos { readonly value: Pos; readonly key?: Pos }
export interface RawProblem { readonly path: readonly PathSeg[]; readonly pos: Pos; readonly message: string }

export interface YamlTree {
  /** undefined when the text has syntax errors. */
  readonly data: unknown;
  readonly positions: ReadonlyMap<string, NodePos>;
  /** pathKey -> variables that were unset there (the value became undefined). */
  readonly unsetVars: ReadonlyMap<string, readonly string[]>;
  /** pathKeys of values that came (at least partly) from the environment. */
  readonly interpolated: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
  readonly problems: readonly RawProblem[];
}

export const pathKey = (path: readonly PathSeg[]): string => JSON.stringify(path);

// Keys that are not plain words (test-name patterns like "sorts *") are
// bracketed so the path stays readable and unambiguous.
export function formatPath(path: readonly PathSeg[]): string {
  return path.reduce<string>((out, seg) => {
    if (typeof seg === 'number') return `${out}[${seg}]`;
    if (!/^[A-Za-z_][\w-]*$/.test(seg)) return `${out}[${JSON.stringify(seg)}]`;
    return out ? `${out}.${seg}` : seg;
  }, '');
}

// Guards against alias cycles and absurd nesting; real course files are ~5 deep.
const MAX_DEPTH = 64;

interface Walk {
  readonly doc: Document;
  readonly env: Env;
  readonly posAt: (offset: number) => Pos;
  readonly positions: Map<string, NodePos>;
  readonly unsetVars: Map<string, readonly string[]>;
  readonly interpolated: Set<string>;
  readonly secrets: Set<string>;
  readonly problems: RawProblem[];
}

export function readYaml(text: string, env: Env): YamlTree {
  const lineCounter = new LineCounter();
  // 'core' (YAML 1.2) keeps timestamps as strings, so dates.ts alone decides
  // what a valid date is, and `yes`/`no` stay strings instead of booleans.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, schema: 'core', uniqueKeys: true });
  const posAt = (offset: number): Pos => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  };
  const w: Walk = { doc, env, posAt, positions: new Map(), unsetVars: new Map(),
    interpolated: new Set(), secrets: new Set(), problems: [] };
  w.problems.push(...syntaxProblems(doc, text, posAt));
  const data = w.problems.length > 0 ? undefined : walk(doc.contents, [], w, 0);
  return { data, positions: w.positions, unsetVars: w.unsetVars,
    interpolated: w.interpolated, secrets: w.secrets, problems: w.problems };
}

// One problem per line: after the first error the parser reports cascades
// on the same line that only bury the real cause.
function syntaxProblems(doc: Document, text: string, posAt: (offset: number) => Pos): RawProblem[] {
  const out: RawProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (const err of doc.errors) {
    const pos = posAt(err.pos[0]);
    if (out.some((p) => p.pos.line === pos.line)) continue;
    // `{` starts a flow mapping in YAML, so an unquoted ${VAR} inside { } or [ ] breaks the line.
    const hint = lines[pos.line - 1]?.includes('${') ? '; hint: quote values with ${...} inside { } or [ ]' : '';
    out.push({ path: [], pos, message: `YAML syntax error: ${err.message}${hint}` });
  }
  return out;
}

function walk(node: Node | null, path: PathSeg[], w: Walk, depth: number): unknown {
  if (node === null) return null;
  if (depth > MAX_DEPTH) {
    w.problems.push({ path, pos: nodePos(node, w), message: 'nesting too deep (alias cycle?)' });
    return null;
  }
  const key = pathKey(path);
  if (!w.positions.has(key)) w.positions.set(key, { value: nodePos(node, w) });
  if (isAlias(node)) return walk(node.resolve(w.doc) ?? null, path, w, depth + 1);
  if (isMap(node)) return walkMap(node, path, w, depth);
  if (isSeq(node)) return node.items.map((item, i) => walk(item as Node | null, [...path, i], w, depth + 1));
  if (isScalar(node)) return walkScalar(node, path, w);
  return null;
}

function walkMap(node: YAMLMap, path: PathSeg[], w: Walk, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of node.items as Pair<Node | null, Node | null>[]) {
    if (!isScalar(pair.key)) {
      const at = pair.key ? nodePos(pair.key, w) : w.positions.get(pathKey(path))!.value;
      w.problems.push({ path, pos: at, message: 'mapping keys must be plain text' });
      continue;
    }
    const name = String(pair.key.value);
    const childPath = [...path, name];
    const keyPos = nodePos(pair.key, w);
    // An empty value (`title:`) has no node of its own; point at the key.
    const valuePos = pair.value ? nodePos(pair.value, w) : keyPos;
    w.positions.set(pathKey(childPath), { key: keyPos, value: valuePos });
    // defineProperty, because plain assignment of "__proto__" would swap the prototype.
    Object.defineProperty(out, name, { value: walk(pair.value, childPath, w, depth + 1),
      enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function walkScalar(node: Scalar, path: PathSeg[], w: Walk): unknown {
  if (typeof node.value !== 'string') return node.value;
  const key = pathKey(path);
  const r = interpolate(node.value, w.env);
  for (const message of r.errors) w.problems.push({ path, pos: w.positions.get(key)!.value, message });
  if (r.substituted.length > 0) w.interpolated.add(key);
  for (const s of r.substituted) w.secrets.add(s);
  if (r.unset.length > 0) w.unsetVars.set(key, r.unset);
  return r.value;
}

function nodePos(node: Node, w: Walk): Pos {
  return w.posAt(node.range?.[0] ?? 0);
}
