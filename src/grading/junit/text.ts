// Text helpers shared by the XML and GitLab parsers: decoding the raw bytes,
// removing characters XML 1.0 forbids, and keeping bodies within a bound.

/**
 * Collects text and CDATA pieces of one element. SAX delivers `]]]]><![CDATA[>`
 * and `&#x44d20;` between CDATA sections as separate events; appending them in
 * order reconstructs the original text exactly. Stops growing at `limit` so a
 * 20 MiB stack trace costs no more than the bound.
 */
export class BoundedText {
  readonly #limit: number;
  #parts: string[] = [];
  #length = 0;
  #dropped = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  append(piece: string): void {
    const room = this.#limit - this.#length;
    if (room <= 0) {
      this.#dropped += piece.length;
      return;
    }
    const kept = piece.length <= room ? piece : piece.slice(0, room);
    this.#parts.push(kept);
    this.#length += kept.length;
    this.#dropped += piece.length - kept.length;
  }

  /** Text without leading blank lines and trailing whitespace; null when blank. */
  value(): string | null {
    const text = tidy(this.#parts.join(''));
    if (text === null || this.#dropped === 0) return text;
    return `${text}\n… [${this.#dropped} more characters truncated]`;
  }
}

/** Drops leading blank lines (keeping the first line's indentation) and trailing whitespace. */
export function tidy(text: string): string | null {
  const trimmed = text.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
  return trimmed === '' ? null : trimmed;
}

/** Cuts a string to `limit` characters, saying so. */
export function bound(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}\n… [${text.length - limit} more characters truncated]`;
}

export function firstLine(text: string | null): string | null {
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed !== '') return trimmed;
  }
  return null;
}

// C0 controls other than TAB/LF/CR, U+FFFE/U+FFFF and unpaired surrogates are not
// XML 1.0 characters; careless tools write them raw (ANSI colour codes).
const FORBIDDEN_RAW =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// …or escape them as character references (`&#x1B;`), which is just as invalid.
const CHAR_REF = /&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));/g;

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** Removes what XML 1.0 forbids; returns how many characters or references were removed. */
export function stripForbiddenXmlChars(xml: string): { text: string; removed: number } {
  let removed = 0;
  const text = xml
    .replace(FORBIDDEN_RAW, () => {
      removed += 1;
      return '';
    })
    .replace(CHAR_REF, (ref: string, hex: string | undefined, dec: string | undefined) => {
      const code = hex !== undefined ? parseInt(hex, 16) : Number(dec);
      if (isXmlChar(code)) return ref;
      removed += 1;
      return '';
    });
  return { text, removed };
}

/**
 * Decodes report bytes. JUnit files are UTF-8 in practice; a BOM or an explicit
 * `encoding=` in the XML declaration is honoured so a Latin-1 or UTF-16 file from
 * an old tool is not turned into mojibake.
 */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  // UTF-16 without a BOM still starts with '<' next to a zero byte.
  if (bytes[0] === 0x3c && bytes[1] === 0) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0 && bytes[1] === 0x3c) return new TextDecoder('utf-16be').decode(bytes);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  return new TextDecoder(supportedLabel(declared)).decode(bytes);
}

function supportedLabel(label: string | undefined): string {
  // A declared UTF-16 that reached this point has no zero bytes where UTF-16 would: it is not.
  if (label === undefined || /^utf-?16/i.test(label)) return 'utf-8';
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return 'utf-8';
  }
}
