// Summarises V8 CPU profiles (from `npm run bench -- --cpu-prof DIR`): self time by package or
// source folder, and the hottest functions, per profile.
//
//   npm exec -- node bench/tools/profile-summary.ts DIR [top]
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** node_modules/<package>, src/<folder>, node:<internal>, or what V8 calls it. */
function area(url: string, functionName: string): string {
  if (url === '') return `(${functionName || 'native'})`;
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules !== null) return modules[1] as string;
  const source = /\/(src|bench|test)\/([^/]+)/.exec(url);
  if (source !== null) return `${source[1]}/${source[2]}`;
  if (url.startsWith('node:')) return url.split('/')[0] as string;
  return url;
}

function summarise(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const where = area(frame.url, frame.functionName);
    areas.set(where, (areas.get(where) ?? 0) + us);
    const name = `${frame.functionName || '(anonymous)'} ${frame.url === '' ? '' : `${frame.url.replace(/^file:\/\/.*?\/(node_modules|src|bench|test)\//, '$1/')}:${frame.lineNumber + 1}`}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const rows = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => `  ${pct(us)}  ${name}`);
  return [`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled`, ' by area:', ...rows(areas), ' hottest functions (self):', ...rows(functions)].join('\n');
}

const [dir = '.', topArg = '15'] = process.argv.slice(2);
for (const name of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  process.stdout.write(`${summarise(path.join(dir, name), Number(topArg))}\n\n`);
}
