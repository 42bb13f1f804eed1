import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { coursesBySlug, createProjectResolver, parseCourse } from './index.ts';
import type { Course } from './index.ts';
import { parseTemplate, templatesOverlap } from './project-path.ts';
import { MINIMAL, courseDir, edit } from './test-fixtures.ts';

const tmp = courseDir();
after(() => tmp.cleanup());

function course(slug: string, template: string, assignments = ['hw1']): Course {
  const list = assignments.map((a) => `  - slug: ${a}\n    title: ${a}\n    deadline: 2026-12-01T23:59:00Z\n`);
  const head = edit(edit(MINIMAL, 'slug: algo-2026', `slug: ${slug}`), 'algo-2026/{assignment}/{student}', template);
  return parseCourse(head.slice(0, head.indexOf('  - slug')) + list.join(''), tmp.file(`${slug}.yaml`), {});
}

const algo = course('algo-2026', 'algo-2026/{assignment}/{student}', ['hw1', 'hw2']);
const solo = course('solo', 'solo-course/students/{student}-solo');

describe('createProjectResolver', () => {
  const { resolve } = createProjectResolver([algo, solo]);

  test('matches course, assignment and student', () => {
    const r = resolve('algo-2026/hw2/jsmith');
    assert.ok(r.ok);
    assert.deepEqual([r.course, r.assignment.slug, r.student, r.key], [algo, 'hw2', 'jsmith', 'algo-2026:hw2:jsmith']);
  });

  test('matches case-insensitively and lowercases student and assignment', () => {
    const r = resolve('ALGO-2026/HW1/JSmith');
    assert.ok(r.ok);
    assert.deepEqual([r.assignment.slug, r.student, r.key], ['hw1', 'jsmith', 'algo-2026:hw1:jsmith']);
  });

  test('wrong prefix is no-course', () => {
    const r = resolve('algo-2025/hw1/jsmith');
    assert.deepEqual(r.ok ? null : r.reason, 'no-course');
  });

  test('unknown assignment', () => {
    const r = resolve('algo-2026/hw9/jsmith');
    assert.ok(!r.ok);
    assert.equal(r.reason, 'unknown-assignment');
    assert.match(r.message, /no assignment "hw9"/);
  });

  test('placeholders never span a slash: nested groups do not match', () => {
    assert.equal(resolve('algo-2026/hw1/sub/jsmith').ok, false);
    assert.equal(resolve('algo-2026/hw1/jsmith/extra').ok, false);
    assert.equal(resolve('x/algo-2026/hw1/jsmith').ok, false);
    assert.equal(resolve('algo-2026/hw1/').ok, false);
  });

  test('single-assignment template without {assignment}, placeholder inside a segment', () => {
    const r = resolve('solo-course/students/Ann-Lee-solo');
    assert.ok(r.ok);
    assert.deepEqual([r.course.slug, r.assignment.slug, r.student], ['solo', 'hw1', 'ann-lee']);
    assert.equal(resolve('solo-course/students/-solo').ok, false, 'a placeholder needs at least one character');
  });

  test('first loaded course wins; a later one still gets assignments only it knows', () => {
    const other = course('other', '{student}/{assignment}/x', ['hw1', 'hw3']);
    const both = createProjectResolver([course('first', 'a/{assignment}/{student}', ['hw1']), other]);
    const first = both.resolve('a/hw1/x');
    const second = both.resolve('a/hw3/x');
    assert.deepEqual([first.ok && first.course.slug, second.ok && second.course.slug], ['first', 'other']);
  });

  test('regex metacharacters in literals are literal', () => {
    const dotted = createProjectResolver([course('dots', 'a.b/{student}')]);
    assert.equal(dotted.resolve('a.b/kim').ok, true);
    assert.equal(dotted.resolve('axb/kim').ok, false);
  });
});

describe('templates', () => {
  const segs = (t: string) => {
    const r = parseTemplate(t);
    assert.ok(r.ok, t);
    return r.segments;
  };

  test('parseTemplate rejects malformed templates', () => {
    for (const bad of ['a//{student}', '/a/{student}', 'a/{assignment}', 'a/{student}/{student}',
      'a/{student}{assignment}', 'a b/{student}', 'a/{student', '{assignment}/{assignment}/{student}']) {
      assert.equal(parseTemplate(bad).ok, false, bad);
    }
  });

  test('overlap detection', () => {
    assert.equal(templatesOverlap(segs('a/{assignment}/{student}'), segs('A/hw1/{student}')), true);
    assert.equal(templatesOverlap(segs('a/{assignment}/{student}'), segs('b/{assignment}/{student}')), false);
    assert.equal(templatesOverlap(segs('a/{student}'), segs('a/{assignment}/{student}')), false);
    assert.equal(templatesOverlap(segs('a/hw-{student}'), segs('a/{student}-x')), true);
    assert.equal(templatesOverlap(segs('a/hw-{student}'), segs('a/lab-{student}')), false);
    assert.equal(templatesOverlap(segs('x/hw-/{student}'), segs('x/hw-{assignment}/{student}')), false);
    assert.equal(templatesOverlap(segs('x/hw-a/{student}'), segs('x/hw-{assignment}/{student}')), true);
    assert.equal(templatesOverlap(segs('x/hw-/{student}'), segs('x/{assignment}/{student}')), true);
  });
});

test('coursesBySlug', () => {
  const map = coursesBySlug([algo, solo]);
  assert.equal(map.get('solo'), solo);
  assert.equal(map.get('nope'), undefined);
});
