// Shared fixtures for the courses tests (not itself a test file).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/support/temp-dir.ts';

// The two forms from the design brief, verbatim apart from indentation.
export const FULL = `slug: algo-2026
title: Algorithms 2026
gitlab:
  projectPath: "algo-2026/{assignment}/{student}"   # matched against project.path_with_namespace
  webhookSecret: \${ALGO_WEBHOOK_SECRET}              # optional; falls back to GITLAB_WEBHOOK_SECRET
assignments:
  - slug: hw1
    title: Sorting
    opens: 2026-11-20T00:00:00+03:00
    deadline: 2026-12-01T23:59:00+03:00
    exam: false
    branch: main
    counts: best
    late: { penaltyPercentPerDay: 10, cutoff: 2026-12-04T23:59:00+03:00 }
    attempts: { perHour: 10, max: 50 }
    check:
      executor: local
      tests: tests/hw1
      command: node --test --test-reporter=junit --test-reporter-destination=report.xml
      report: report.xml
      timeoutSeconds: 60
      memoryMb: 512
    scoring:
      maxScore: 100
      weights: { "sorts an empty array": 10, "sorts *": 30 }
      default: 1
`;

export const MINIMAL = `slug: algo-2026
title: Algorithms 2026
gitlab:
  projectPath: "algo-2026/{assignment}/{student}"
  webhookSecret: \${ALGO_WEBHOOK_SECRET}
assignments:
  - slug: hw1
    title: Sorting
    deadline: 2026-12-01T23:59:00+03:00
`;

/** A temp course directory holding tests/hw1; `file(name)` is a path inside it. */
export function courseDir(): { dir: string; file: (name: string) => string; write: (name: string, text: string) => string; cleanup: () => void } {
  const dir = tempDir('gradeflow-courses-');
  mkdirSync(join(dir, 'tests', 'hw1'), { recursive: true });
  const file = (name: string) => join(dir, name);
  const write = (name: string, text: string) => {
    writeFileSync(file(name), text);
    return file(name);
  };
  return { dir, file, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Replaces the first occurrence of `from`, failing loudly if the fixture drifted. */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
}
