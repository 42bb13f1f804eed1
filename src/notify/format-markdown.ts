// Untrusted text (test names and messages come from the student's code) is only ever put in
// Markdown as a code span. Inside one, GitLab does not expand @mentions (`@all` would notify a
// whole group), #issue or !MR references, links or HTML, so nothing but pipes and backticks
// needs care.

/**
 * A code span holding `text` literally. Backticks are kept by fencing with a longer run of
 * backticks (CommonMark's way); `inTable` escapes `|`, which GFM tables split cells on even
 * inside code.
 */
export function codeSpan(text: string, inTable = false): string {
  if (text === '') return '';
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // CommonMark strips one space on each side, so a span starting or ending with ` still works.
  const pad = longestRun > 0 ? ' ' : '';
  const body = inTable ? text.replaceAll('|', '\\|') : text;
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** An http(s) URL safe as a link destination, or null for anything else (javascript:, junk). */
export function safeUrl(url: string | null): string | null {
  if (url === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  // Characters that would end or confuse `[text](url)`.
  return parsed.href.replace(/[()<>\s`]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
