/**
 * Test harness (not used in production): runs one test body against a fresh
 * real PostgreSQL database and a fresh PGlite directory, cleaning both up
 * even when the test fails.
 */
import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { createTestDatabase } from '../../test/support/postgres.ts';
import { openDatabase, type Database } from './database.ts';
import { migrate } from './migrate.ts';

export type BackendKind = Database['kind'];
export const BACKENDS: readonly BackendKind[] = ['postgres', 'pglite'];

export interface TestBackend {
  kind: BackendKind;
  /** postgres: URL of the fresh database; pglite: null. */
  url: string | null;
  /** pglite keeps its files in `<dataDir>/pglite`. */
  dataDir: string;
  /** New handle on the same database. PGlite: close the previous handle first. */
  open(options?: { poolSize?: number }): Promise<Database>;
}

let template: Promise<string> | undefined;

/**
 * initdb of a new PGlite directory takes seconds; copying an initialised,
 * closed directory takes about one, so each test copies a per-process template.
 */
function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradeflow-pglite-template-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const pg = await PGlite.create(join(dir, 'pglite'));
    await pg.close();
    return dir;
  })();
  return template;
}

/** Creates a fresh backend whose databases and files are removed after the test. */
export async function createBackend(kind: BackendKind, t: TestContext): Promise<TestBackend> {
  const opened: Database[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  t.after(async () => {
    await Promise.allSettled(opened.map((db) => db.close()));
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'gradeflow-db-test-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  let url: string | null = null;
  if (kind === 'postgres') {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    url = database.url;
  } else {
    await cp(join(await pgliteTemplate(), 'pglite'), join(dataDir, 'pglite'), { recursive: true });
  }
  return {
    kind,
    url,
    dataDir,
    async open(options = {}) {
      const db = await openDatabase({ url, dataDir, poolSize: options.poolSize });
      opened.push(db);
      return db;
    },
  };
}

export interface BackendTestContext extends TestBackend {
  /** Opened (and migrated unless `migrated: false`) handle, closed after the test. */
  db: Database;
  t: TestContext;
}

/** Registers `name [postgres]` and `name [pglite]` running the same body. */
export function backendTest(
  name: string,
  body: (ctx: BackendTestContext) => Promise<void>,
  options: { migrated?: boolean; only?: BackendKind } = {},
): void {
  for (const kind of BACKENDS) {
    if (options.only !== undefined && options.only !== kind) continue;
    test(`${name} [${kind}]`, async (t) => {
      const backend = await createBackend(kind, t);
      const db = await backend.open();
      if (options.migrated !== false) await migrate(db);
      await body({ ...backend, db, t });
    });
  }
}
