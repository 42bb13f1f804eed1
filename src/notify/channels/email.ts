// E-mail about a grade, over the course's SMTP server (nodemailer). The SMTP URL holds a
// password, so no error or log line leaves this file with it: nodemailer's own logger is off
// and every error message is redacted before it is wrapped.
import { createTransport } from 'nodemailer';
import type { EmailNotify } from '../../courses/index.ts';
import { AppError } from '../../errors/index.ts';
import { feedbackComment, statusDescription } from '../format.ts';
import type { GradeSummary } from '../types.ts';

export interface EmailMessage {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

// Student slugs come from project paths; anything outside this set could smuggle another
// recipient or a header into the address.
const ADDRESS = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

/** The message for one grade: the status line as subject, the feedback comment as body. */
export function gradeEmail(settings: Pick<EmailNotify, 'from' | 'to'>, grade: GradeSummary): EmailMessage {
  const to = settings.to.replaceAll('{student}', grade.student);
  if (!ADDRESS.test(to)) {
    throw new AppError('NOTIFY_EMAIL_ADDRESS', `the course's notify.email.to does not make an e-mail address for student ${grade.student}`, {
      retryable: false,
    });
  }
  const subject = `[${grade.course}] ${grade.assignment}: ${statusDescription(grade)}`;
  // The comment is Markdown, which reads well enough as plain text; no HTML part to sanitise.
  return { from: settings.from, to, subject, text: feedbackComment(grade) };
}

export interface SendEmailOptions {
  /** Connect, greeting and idle timeouts, each (default 15 000). */
  readonly timeoutMs?: number;
}

/** Sends one message; returns the detail for the notifications record. */
export async function sendEmail(settings: EmailNotify, message: EmailMessage, options: SendEmailOptions = {}): Promise<string> {
  const timeout = options.timeoutMs ?? 15_000;
  // Not pooled: a grade e-mail is rare enough that a connection per message costs nothing.
  const transport = createTransport({
    url: settings.smtpUrl, logger: false, debug: false,
    connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout,
  });
  try {
    await transport.sendMail({ from: message.from, to: message.to, subject: message.subject, text: message.text });
    return 'sent';
  } catch (error) {
    throw emailError(error, settings.smtpUrl);
  } finally {
    transport.close();
  }
}

/** SMTP 5xx is a permanent refusal (bad address, relay denied); anything else may pass later. */
function emailError(error: unknown, smtpUrl: string): AppError {
  const details = error instanceof Error ? (error as Error & { code?: unknown; responseCode?: unknown }) : null;
  const responseCode = typeof details?.responseCode === 'number' ? details.responseCode : null;
  const code = typeof details?.code === 'string' ? details.code : null;
  const text = redactUrl(error instanceof Error ? error.message : String(error), smtpUrl);
  return new AppError('NOTIFY_EMAIL_FAILED', `e-mail could not be sent: ${text}`, {
    retryable: responseCode === null || responseCode < 500,
    details: { smtpCode: code, responseCode },
  });
}

/** The URL, its password and its user name never appear in the text. */
export function redactUrl(text: string, url: string): string {
  const parts = [url];
  try {
    const parsed = new URL(url);
    parts.push(decodeURIComponent(parsed.password), decodeURIComponent(parsed.username), parsed.password, parsed.username);
  } catch {
    // Not a URL: only the whole is redacted.
  }
  return parts.filter((part) => part.length >= 3).reduce((out, part) => out.split(part).join('***'), text);
}
