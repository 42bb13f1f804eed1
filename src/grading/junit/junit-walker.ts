// Turns the SAX events of one JUnit XML document into test cases. Knows the
// vocabulary of the formats (see the fixtures README) but nothing about saxes.

import { BoundedText, bound, firstLine, tidy } from './text.ts';
import { JEST_SUITE_FAILED, fullNameOf, makeReport } from './test-case.ts';
import { parseTimeSeconds } from './time.ts';
import type { TestCaseResult, TestReport, TestStatus } from './types.ts';

type Attributes = Readonly<Record<string, string>>;
type OutcomeKind = 'failure' | 'error' | 'skipped';
type Role = 'container' | 'case' | 'outcome' | 'suite-error' | 'other';

interface Outcome {
  message: string | null;
  type: string | null;
  body: BoundedText;
}

interface CaseDraft {
  suite: string;
  classname: string;
  name: string;
  timeSeconds: number | null;
  file: string | null;
  outcomes: Partial<Record<OutcomeKind, Outcome>>;
  /** flakyFailure/flakyError: an attempt failed, a later one passed (or was configured to fail). */
  sawFlaky: boolean;
  /** rerunFailure/rerunError: the retries failed as well. */
  sawRerun: boolean;
}

interface Frame {
  role: Role;
  capture: BoundedText | null;
  /** For containers: suite name and file attribute, inherited by the cases inside. */
  suite?: { name: string; file: string | null };
  suiteError?: Outcome;
}

const CONTAINERS = new Set(['testsuites', 'testsuite']);
const OUTCOMES = new Set<string>(['failure', 'error', 'skipped']);
const FLAKY = new Set(['flakyFailure', 'flakyError']);
const RERUN = new Set(['rerunFailure', 'rerunError']);
// GitLab's order: a case with both <failure> and <error> counts as failed.
const PRECEDENCE: ReadonlyArray<[OutcomeKind, TestStatus]> = [
  ['failure', 'failed'],
  ['error', 'error'],
  ['skipped', 'skipped'],
];

/** Thrown for documents that are well-formed XML but not something we may read. */
export class StructureError extends Error {}

export class JUnitWalker {
  readonly #maxDepth: number;
  readonly #maxText: number;
  readonly #stack: Frame[] = [];
  readonly #tests: TestCaseResult[] = [];
  readonly #suiteErrors: string[] = [];
  #draft: CaseDraft | null = null;

  constructor(maxDepth: number, maxTextChars: number) {
    this.#maxDepth = maxDepth;
    this.#maxText = maxTextChars;
  }

  open(name: string, attributes: Attributes): void {
    if (this.#stack.length >= this.#maxDepth) {
      throw new StructureError(`elements are nested deeper than the limit of ${this.#maxDepth}`);
    }
    if (this.#stack.length === 0 && !CONTAINERS.has(name)) {
      throw new StructureError(
        `not a JUnit report: the root element is <${name}>, expected <testsuites> or <testsuite>`,
      );
    }
    this.#stack.push(this.#frameFor(name, attributes));
  }

  close(): void {
    const frame = this.#stack.pop();
    if (frame?.role === 'case') this.#finishCase();
    if (frame?.suiteError !== undefined) this.#finishSuiteError(frame.suiteError);
  }

  text(piece: string): void {
    this.#stack.at(-1)?.capture?.append(piece);
  }

  report(): TestReport {
    return makeReport(this.#tests, this.#suiteErrors);
  }

  #frameFor(name: string, attributes: Attributes): Frame {
    const parent = this.#stack.at(-1);
    if (CONTAINERS.has(name) && (parent === undefined || parent.role === 'container')) {
      const file = nonEmpty(attributes['file']) ?? this.#suite()?.file ?? null;
      return { role: 'container', capture: null, suite: { name: attributes['name'] ?? '', file } };
    }
    if (parent?.role === 'container' && name === 'testcase') {
      this.#draft = this.#startCase(attributes);
      return { role: 'case', capture: null };
    }
    if (parent?.role === 'case') return this.#caseChild(name, attributes);
    if (parent?.role === 'container' && (name === 'failure' || name === 'error')) {
      const suiteError = this.#outcome(attributes);
      return { role: 'suite-error', capture: suiteError.body, suiteError };
    }
    return { role: 'other', capture: null };
  }

  #caseChild(name: string, attributes: Attributes): Frame {
    const draft = this.#draft;
    if (draft === null) return { role: 'other', capture: null };
    if (FLAKY.has(name)) draft.sawFlaky = true;
    if (RERUN.has(name)) draft.sawRerun = true;
    if (!OUTCOMES.has(name)) return { role: 'other', capture: null };
    const kind = name as OutcomeKind;
    // Only the first element of a kind decides; pytest writes some children twice.
    if (draft.outcomes[kind] !== undefined) return { role: 'other', capture: null };
    const outcome = this.#outcome(attributes);
    draft.outcomes[kind] = outcome;
    return { role: 'outcome', capture: outcome.body };
  }

  #outcome(attributes: Attributes): Outcome {
    const message = tidy(attributes['message'] ?? '');
    return {
      message: message === null ? null : bound(message, this.#maxText),
      type: nonEmpty(attributes['type']),
      body: new BoundedText(this.#maxText),
    };
  }

  #startCase(attributes: Attributes): CaseDraft {
    const suite = this.#suite();
    return {
      suite: suite?.name ?? '',
      classname: attributes['classname'] ?? attributes['class'] ?? '',
      name: attributes['name'] ?? '',
      timeSeconds: parseTimeSeconds(attributes['time']),
      file: nonEmpty(attributes['file']) ?? suite?.file ?? null,
      outcomes: {},
      sawFlaky: false,
      sawRerun: false,
    };
  }

  #finishCase(): void {
    const draft = this.#draft;
    this.#draft = null;
    if (draft === null) return;
    const [status, outcome] = decide(draft);
    const details = outcome?.body.value() ?? null;
    this.#tests.push({
      suite: draft.suite,
      classname: draft.classname,
      name: draft.name,
      fullName: fullNameOf(draft.suite, draft.classname, draft.name),
      status,
      timeSeconds: draft.timeSeconds,
      message: outcome === undefined ? null : (outcome.message ?? firstLine(details)),
      type: outcome?.type ?? null,
      details,
      // A rerun that ends in a pass differed between attempts; one that ends failed did not.
      flaky: draft.sawFlaky || (draft.sawRerun && status === 'passed'),
      file: draft.file,
    });
    if (draft.classname === JEST_SUITE_FAILED && status !== 'passed') {
      this.#suiteErrors.push(`${JEST_SUITE_FAILED}: ${draft.name}`);
    }
  }

  #finishSuiteError(outcome: Outcome): void {
    const reason = outcome.message ?? firstLine(outcome.body.value()) ?? outcome.type ?? 'error';
    const suite = this.#suite()?.name ?? '';
    this.#suiteErrors.push(suite === '' ? reason : `${suite}: ${reason}`);
  }

  /** The innermost enclosing suite. */
  #suite(): { name: string; file: string | null } | undefined {
    return this.#stack.findLast((frame) => frame.suite !== undefined)?.suite;
  }
}

function decide(draft: CaseDraft): [TestStatus, Outcome | undefined] {
  for (const [kind, status] of PRECEDENCE) {
    const outcome = draft.outcomes[kind];
    if (outcome !== undefined) return [status, outcome];
  }
  return ['passed', undefined];
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value;
}
