import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';

/**
 * `node --import tsx bench/profile.ts <file.cpuprofile> [--top N]`: where a CPU profile (`node
 * --cpu-prof`, or `BENCH_PROFILE=1 npm run bench`, which writes one per service process under
 * var/prof/) spent its time: by package (self time), then the functions with the most self time and
 * the most total time (their callees included). Shares of the time the process was not idle.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code comes from: a package, the app's own file, Node, or V8's own categories. */
function placeOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node (built-in)';
  return relative(process.cwd(), url.replace(/^file:\/\//, ''));
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = placeOf(url, functionName);
  return `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
}

async function main(): Promise<void> {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) throw new Error('usage: bench/profile.ts <file.cpuprofile> [--top N]');
  const top = Number(rest[rest.indexOf('--top') + 1]) || 20;
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((s, [, us]) => s + us, 0);
  const busy = [...selfUs.values()].reduce((s, us) => s + us, 0) - idle;
  const share = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;

  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  const byPlace = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const byTotal = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    add(byPlace, placeOf(node.callFrame.url, node.callFrame.functionName), us);
    add(bySelf, frameName(node), us);
    // Total time: this sample counts once for every distinct function on its stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!);
      if (!seen.has(name)) add(byTotal, name, us);
      seen.add(name);
    }
  }
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${share(us)}  ${name}`);
  };
  console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle`);
  print('self time by package', byPlace);
  print('self time by function', bySelf);
  print('total time by function (callees included)', byTotal);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
