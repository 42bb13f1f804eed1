// Figures and checks of one bench run: printed as they come, summed up in one table at the
// end, optionally written as JSON. A failed check (lost or duplicate work, an incomplete run)
// makes the run exit non-zero.

export interface Figure {
  readonly section: string;
  readonly name: string;
  readonly value: number | string;
  readonly unit: string;
  readonly note?: string;
}

export interface Check {
  readonly section: string;
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export class Report {
  readonly figures: Figure[] = [];
  readonly checks: Check[] = [];
  readonly #out: (line: string) => void;

  constructor(out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
    this.#out = out;
  }

  log(section: string, text: string): void {
    this.#out(`[${section}] ${text}`);
  }

  figure(section: string, name: string, value: number | string, unit: string, note?: string): void {
    const figure: Figure = note === undefined ? { section, name, value, unit } : { section, name, value, unit, note };
    this.figures.push(figure);
    this.#out(`[${section}] ${name}: ${format(value)} ${unit}${note === undefined ? '' : `  (${note})`}`);
  }

  check(section: string, name: string, ok: boolean, detail: string): void {
    this.checks.push({ section, name, ok, detail });
    this.#out(`[${section}] ${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  }

  get failed(): Check[] {
    return this.checks.filter((c) => !c.ok);
  }

  summary(): string {
    const rows = this.figures.map((f) => [f.section, f.name, `${format(f.value)} ${f.unit}`.trim(), f.note ?? '']);
    const checks = this.checks.map((c) => [c.section, `check: ${c.name}`, c.ok ? 'ok' : 'FAILED', c.detail]);
    return table(['section', 'figure', 'value', 'note'], [...rows, ...checks]);
  }
}

export function format(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Nearest-rank percentile of unsorted values (q in 0..100); NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((q / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}
