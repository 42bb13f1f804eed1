// SQL only with parameters: a static check of src/. Every template literal that reads as SQL
// (an upper-case SQL keyword in its text) may interpolate only fragments audited below: column
// lists that are constant strings, and clauses built of fixed column names and $n placeholders.
// Anything else (a value spliced into SELECT … WHERE, VALUES, SET) fails with file:line, as
// does SQL built with `+`. A new interpolation needs a look and a line here, not a work-around.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** file -> expression -> why it cannot carry a value. Constants are also checked below. */
const AUDITED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'db/checks.ts': {
    CHECK_COLUMNS: 'constant column list',
    column: 'picked from a fixed map of status -> time column',
    stamp: 'built from `column` and $3 only',
  },
  'db/grades.ts': {
    GRADE_COLUMNS: 'constant column list',
    SUBMISSION_FOR_GRADING: 'constant column list',
    "prefixedColumns(CHECK_COLUMNS, 'c', 'c_')": 'a constant column list (checks.ts), each column as alias.column AS prefix_column',
    "prefixedColumns(GRADE_COLUMNS, 'g', 'g_')": 'a constant column list, each column as alias.column AS prefix_column',
    "tuples.join(', ')": 'tuples of $n placeholders only',
  },
  'db/notifications.ts': {
    QUEUE_POSITION_COLUMN: 'constant scalar subquery of fixed columns',
    ahead: 'QUEUE_POSITION_COLUMN or nothing',
  },
  'db/submissions.ts': {
    COLUMNS: 'constant column list',
    "conditions.join(' AND ')": 'fixed column names and $n placeholders (whereClause)',
    'where.sql': 'whereClause() output: see conditions',
    'where.params.length + 1': 'a number: the index of the LIMIT placeholder',
  },
  'pipeline/ci-queries.ts': { SELECT: 'constant SELECT … FROM … JOIN … WHERE head' },
};

const SQL_WORDS = /\b(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WHERE|VALUES|SET|AND|OR|COALESCE|LIMIT|ORDER\s+BY|RETURNING)\b/;

interface Template {
  readonly line: number;
  /** The literal text, each interpolation as `${}`. */
  readonly text: string;
  readonly expressions: readonly string[];
}

/** Skips a quoted string starting at `i`; returns the index after it. */
function skipQuoted(source: string, i: number): number {
  const quote = source[i];
  let j = i + 1;
  while (j < source.length && source[j] !== quote) j += source[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Reads the template literal starting at `start` (a backtick), nested ones included. */
function readTemplate(source: string, start: number, out: Template[]): number {
  let j = start + 1;
  let text = '';
  const expressions: string[] = [];
  while (j < source.length && source[j] !== '`') {
    if (source[j] === '\\') { text += source.slice(j, j + 2); j += 2; continue; }
    if (source[j] !== '$' || source[j + 1] !== '{') { text += source[j]; j += 1; continue; }
    let depth = 1;
    let k = j + 2;
    while (depth > 0 && k < source.length) {
      const c = source[k];
      if (c === '`') { k = readTemplate(source, k, out); continue; }
      if (c === "'" || c === '"') { k = skipQuoted(source, k); continue; }
      depth += c === '{' ? 1 : c === '}' ? -1 : 0;
      k += 1;
    }
    expressions.push(source.slice(j + 2, k - 1).trim());
    text += '${}';
    j = k;
  }
  out.push({ line: source.slice(0, start).split('\n').length, text, expressions });
  return j + 1;
}

/** Every template literal of a TypeScript source (comments and quoted strings skipped). */
function templates(source: string): Template[] {
  const out: Template[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '/' && source[i + 1] === '/') i = source.indexOf('\n', i) < 0 ? source.length : source.indexOf('\n', i);
    else if (c === '/' && source[i + 1] === '*') i = source.indexOf('*/', i) + 2;
    else if (c === "'" || c === '"') i = skipQuoted(source, i);
    else if (c === '`') i = readTemplate(source, i, out);
    else i += 1;
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** Interpolations in SQL templates that are not audited, as "file:line: ${expr} in …". */
function unauditedInterpolations(file: string, source: string): string[] {
  const audited = AUDITED[file] ?? {};
  return templates(source)
    .filter((t) => t.expressions.length > 0 && SQL_WORDS.test(t.text))
    .flatMap((t) => t.expressions.filter((e) => !(e in audited)).map((e) => `${file}:${t.line}: \${${e}} in \`${t.text.replace(/\s+/g, ' ').slice(0, 80)}\``));
}

/** SQL glued with `+` (a quoted string holding a SQL keyword next to a +). */
function concatenatedSql(file: string, source: string): string[] {
  return source.split('\n').flatMap((line, i) =>
    /(['"`][^'"`]*\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|WHERE|VALUES)\b[^'"`]*['"`]\s*\+|\+\s*['"`][^'"`]*\b(WHERE|VALUES|AND|OR|SET)\b)/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []);
}

const files = sourceFiles(SRC).map((full) => ({ file: path.relative(SRC, full).split(path.sep).join('/'), source: readFileSync(full, 'utf8') }));

test('SQL templates in src/ interpolate only audited fragments, never values', () => {
  assert.deepEqual(files.flatMap(({ file, source }) => unauditedInterpolations(file, source)), []);
});

test('no SQL is built by concatenation', () => {
  assert.deepEqual(files.flatMap(({ file, source }) => concatenatedSql(file, source)), []);
});

test('audited constants are plain strings: no interpolation hides in them', () => {
  for (const [file, expressions] of Object.entries(AUDITED)) {
    const source = files.find((f) => f.file === file)?.source ?? '';
    for (const name of Object.keys(expressions).filter((e) => /^[A-Z_]+$/.test(e))) {
      const definition = new RegExp(`const ${name} = (\`[^\`]*\`|'[^']*');`).exec(source);
      assert.ok(definition, `${file}: ${name} is a string constant`);
      assert.equal(definition[1]?.includes('${'), false, `${file}: ${name} interpolates`);
    }
  }
});

test('the check finds values spliced into SQL, and audited names elsewhere do not pass', () => {
  const bad = "const q = await db.query(`SELECT * FROM s WHERE student = '${student}'`);\nconst n = 'SELECT 1 WHERE a = ' + value;";
  assert.deepEqual(unauditedInterpolations('db/checks.ts', bad), ["db/checks.ts:1: ${student} in `SELECT * FROM s WHERE student = '${}'`"]);
  assert.equal(concatenatedSql('x.ts', bad).length, 1);
  assert.equal(unauditedInterpolations('web/x.ts', 'db.query(`SELECT ${COLUMNS} FROM t`)').length, 1, 'whitelists are per file');
  assert.deepEqual(unauditedInterpolations('runner/x.ts', 'const cmd = `exec ${fd}>&- && sh -c "$1"`;'), [], 'shell text is not SQL');
});
