// Public shapes of a loaded course. These are written out by hand (not
// z.infer'd) so the contract other modules code against stays stable and
// readable even when the schema's internals change.

export type CountsPolicy = 'best' | 'last' | 'lastBeforeDeadline';

export interface LatePolicy {
  readonly penaltyPercentPerDay: number;
  /** Pushes after this instant are not graded at all. */
  readonly cutoff: Date;
}

export interface AttemptLimits {
  /** null = unlimited */
  readonly perHour: number | null;
  /** null = unlimited */
  readonly max: number | null;
}

export interface LocalCheck {
  readonly executor: 'local';
  /** Absolute path of the hidden tests directory (resolved against the course file's directory). */
  readonly tests: string;
  readonly command: string;
  /** JUnit XML file(s), relative to the work dir; glob allowed. */
  readonly report: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface GitlabCiCheck {
  readonly executor: 'gitlab-ci';
  /** Central grading project (path or numeric id); null = the student's own project. */
  readonly project: string | number | null;
  /** null = the branch of the pushed commit. */
  readonly ref: string | null;
  readonly variables: Readonly<Record<string, string>>;
  /** JUnit XML artifact path(s) produced by the CI job; glob allowed. */
  readonly report: string;
  readonly timeoutSeconds: number;
}

export type CheckConfig = LocalCheck | GitlabCiCheck;

export interface Scoring {
  readonly maxScore: number;
  /** Test-name pattern ('*' wildcard) -> points. Note: JS orders integer-like keys first. */
  readonly weights: Readonly<Record<string, number>>;
  /** Points of a test that no pattern names. */
  readonly default: number;
}

export interface Assignment {
  readonly slug: string;
  readonly title: string;
  /** null = open immediately */
  readonly opens: Date | null;
  readonly deadline: Date;
  /** Exam work is checked before practice work. */
  readonly exam: boolean;
  /** Only pushes to this branch are submissions; null = the project's default branch. */
  readonly branch: string | null;
  readonly counts: CountsPolicy;
  /** null = pushes after the deadline are not graded. */
  readonly late: LatePolicy | null;
  readonly attempts: AttemptLimits;
  /** null = submissions are recorded but not checked. */
  readonly check: CheckConfig | null;
  readonly scoring: Scoring;
}

export interface GitlabSettings {
  /** Template matched against project.path_with_namespace, e.g. "algo-2026/{assignment}/{student}". */
  readonly projectPath: string;
  /**
   * Non-enumerable, so JSON.stringify / console.log never print it.
   * null = use the global GITLAB_WEBHOOK_SECRET.
   */
  readonly webhookSecret: string | null;
}

/** E-mail to the student about each grade, over the course's SMTP server. */
export interface EmailNotify {
  readonly from: string;
  /** Address template: "{student}" is replaced by the student's slug. */
  readonly to: string;
  /** smtp(s)://user:password@host:port. Non-enumerable, like webhookSecret. */
  readonly smtpUrl: string;
}

/** A JSON POST about each grade (a chat or LMS hook). */
export interface WebhookNotify {
  /** Non-enumerable: chat webhook URLs (Slack, Mattermost, Teams) carry their token in the path. */
  readonly url: string;
  /** Signs the body (X-Gradeflow-Signature: sha256=HMAC). Non-enumerable; null = unsigned. */
  readonly secret: string | null;
}

/** Channels besides GitLab; null = not used by this course. */
export interface NotifySettings {
  readonly email: EmailNotify | null;
  readonly webhook: WebhookNotify | null;
}

export interface Course {
  readonly slug: string;
  readonly title: string;
  /** Path of the YAML file the course was loaded from. */
  readonly file: string;
  readonly gitlab: GitlabSettings;
  readonly notify: NotifySettings;
  readonly assignments: readonly Assignment[];
}

export interface CourseProblem {
  readonly file: string;
  /** 1-based; 0 when the problem is not inside a file (e.g. missing directory). */
  readonly line: number;
  readonly column: number;
  /** Dotted path of the offending value, e.g. "assignments[0].deadline"; "" for the whole file. */
  readonly path: string;
  readonly message: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Every problem of every course file, so a teacher fixes them in one round. */
export class CourseConfigError extends Error {
  readonly problems: readonly CourseProblem[];

  constructor(problems: readonly CourseProblem[]) {
    const n = problems.length;
    super(`${n} problem${n === 1 ? '' : 's'} in course configuration:\n` +
      problems.map((p) => '  ' + formatProblem(p)).join('\n'));
    this.name = 'CourseConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

export function formatProblem(p: CourseProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}
