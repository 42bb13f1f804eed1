import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, toCsv } from './csv.ts';

test('RFC 4180: commas, quotes and line breaks are quoted, quotes doubled, lines end in CRLF', () => {
  assert.equal(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['line1\nline2', null]]), 'a,b\r\n"x,y","say ""hi"""\r\n"line1\nline2",\r\n');
  assert.equal(csvCell(' padded '), '" padded "');
  assert.equal(csvCell('plain'), 'plain');
});

test('text that a spreadsheet would evaluate gets a leading apostrophe', () => {
  for (const cell of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx']) {
    assert.ok(csvCell(cell).replace(/^"/, '').startsWith("'"), JSON.stringify(cell));
  }
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell('a=b'), 'a=b');
});

test('numbers and booleans are data: written unchanged, negatives included', () => {
  assert.deepEqual([csvCell(37.5), csvCell(-1), csvCell(true), csvCell(0)], ['37.5', '-1', 'true', '0']);
});
