// CSV for grade exports: RFC 4180 (CRLF line ends, fields with a comma, quote or line break
// quoted, quotes doubled), with spreadsheet formula injection neutralised.

export type CsvValue = string | number | boolean | null;

/** Cells a spreadsheet would run as a formula (OWASP's list, tab and CR included). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Text is neutralised by a leading apostrophe, which spreadsheets show as "text follows".
 * Numbers and booleans are written as they are: a negative number is data, not a formula, and
 * nothing a student controls reaches them.
 */
export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
