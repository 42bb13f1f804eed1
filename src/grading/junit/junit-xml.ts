// Entry point for JUnit XML: input checks, the saxes parser, and the fallback for
// files containing characters XML 1.0 forbids.

import { SaxesParser } from 'saxes';
import { ReportParseError } from './errors.ts';
import { JUnitWalker, StructureError } from './junit-walker.ts';
import { decodeXml, stripForbiddenXmlChars } from './text.ts';
import { DEFAULT_LIMITS } from './types.ts';
import type { ParseLimits, TestReport } from './types.ts';

interface Position {
  line: number;
  column: number;
}

/** A well-formedness error from saxes; the only kind the fallback may retry. */
class XmlSyntaxError extends Error {
  readonly position: Position;

  constructor(message: string, position: Position) {
    super(message);
    this.position = position;
  }
}

/**
 * Parses one JUnit XML report (any common producer) into the normalised model.
 * Counts written by the tool are ignored; everything is recounted from <testcase>.
 * @throws ReportParseError when the input is not a JUnit report or cannot be read.
 */
export function parseJUnitXml(xml: string | Uint8Array, limits: ParseLimits = {}): TestReport {
  const maxBytes = limits.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  const maxDepth = limits.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const maxText = limits.maxTextChars ?? DEFAULT_LIMITS.maxTextChars;
  const text = readInput(xml, maxBytes);
  try {
    return parseDocument(text, maxDepth, maxText);
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
    // Raw ANSI escapes and other control characters are the usual cause of a broken
    // report; removing them loses a few invisible characters, not a result.
    const cleaned = stripForbiddenXmlChars(text);
    if (cleaned.removed === 0) throw unreadable(error, '');
    try {
      return parseDocument(cleaned.text, maxDepth, maxText);
    } catch (retryError) {
      if (!(retryError instanceof XmlSyntaxError)) throw retryError;
      const note = ` (after removing ${cleaned.removed} characters that XML 1.0 forbids)`;
      throw unreadable(retryError, note);
    }
  }
}

function readInput(xml: string | Uint8Array, maxBytes: number): string {
  const size = typeof xml === 'string' ? Buffer.byteLength(xml, 'utf8') : xml.byteLength;
  if (size > maxBytes) {
    throw new ReportParseError(`JUnit report is ${size} bytes, over the limit of ${maxBytes} bytes`);
  }
  const text = typeof xml === 'string' ? xml : decodeXml(xml);
  const start = /^\uFEFF?\s*(.?)/u.exec(text)?.[1] ?? '';
  if (start === '') throw new ReportParseError('JUnit report is empty');
  if (start !== '<') {
    throw new ReportParseError(`not a JUnit report: not XML (the document starts with ${JSON.stringify(start)})`);
  }
  return text;
}

function parseDocument(xml: string, maxDepth: number, maxText: number): TestReport {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const walker = new JUnitWalker(maxDepth, maxText);
  const here = (): Position => ({ line: parser.line, column: parser.column });
  parser.on('opentag', (tag) => {
    try {
      walker.open(tag.name, tag.attributes);
    } catch (error) {
      if (error instanceof StructureError) throw structureError(error, here());
      throw error;
    }
  });
  parser.on('closetag', () => walker.close());
  parser.on('text', (piece) => walker.text(piece));
  parser.on('cdata', (piece) => walker.text(piece));
  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof ReportParseError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    // saxes prefixes "line:column: "; the position is kept separately instead.
    throw new XmlSyntaxError(message.replace(/^\d+:\d+: /, ''), here());
  }
  return walker.report();
}

function structureError(error: StructureError, at: Position): ReportParseError {
  return new ReportParseError(`${error.message} (line ${at.line}, column ${at.column})`, {
    ...at,
    cause: error,
  });
}

function unreadable(error: XmlSyntaxError, note: string): ReportParseError {
  const { line, column } = error.position;
  const reason = error.message.replace(/\.$/, '');
  return new ReportParseError(
    `JUnit report is not well-formed XML: ${reason} at line ${line}, column ${column}${note}`,
    { line, column, cause: error },
  );
}
