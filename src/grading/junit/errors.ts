import { AppError } from '../../errors/index.ts';

export interface ReportParseErrorOptions {
  line?: number | null;
  column?: number | null;
  cause?: unknown;
}

/**
 * The report cannot be read. Never retryable: the same bytes fail the same way, so
 * the submission must be reported as "no readable test report", never as a pass.
 */
export class ReportParseError extends AppError {
  declare readonly code: 'REPORT_UNREADABLE';
  /** One-based line of the problem, when the XML parser knows it. */
  readonly line: number | null;
  /** One-based column of the problem, when the XML parser knows it. */
  readonly column: number | null;

  constructor(message: string, options: ReportParseErrorOptions = {}) {
    const line = options.line ?? null;
    const column = options.column ?? null;
    super('REPORT_UNREADABLE', message, {
      retryable: false,
      cause: options.cause,
      details: { line, column },
    });
    this.name = 'ReportParseError';
    this.line = line;
    this.column = column;
  }
}
