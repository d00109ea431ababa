/**
 * A development tool, not a phase: how much of a process's CPU in some time ranges went to
 * code under one folder, from a V8 `.cpuprofile` (`BENCH_CPU_PROF_DIR`). The ingest phase's
 * board windows print each kind's ranges in node 0's profile clock, so
 *   npx tsx bench/profileShare.ts <file.cpuprofile> server/board/ <from> <to> [<from> <to>…]
 * says what share of the server's busy samples in those windows had a frame of
 * `server/board/` on their stack (the board's computation and its push, whatever they call),
 * and which functions those samples were in (self time). `<folder>#<function>` counts only the
 * frames of that function in those files (e.g. `server/routing/socket.ts#agents`: the leads'
 * roster pushes); `<a><<b><<c>` a frame matching `a` called by one matching `b` called by one
 * matching `c` (`server/routing/socket.ts<server/routing/service.ts#<#listOnTimeout`: the
 * routing service's throttled `lead:agents` push, an anonymous timer callback, not its
 * offers). `PROFILE_EXCLUDE=<part>` leaves out the samples with a frame of a file whose
 * path contains `<part>` on their stack (`server/alarms/`: the alarms' backlog check reads the
 * board's SQL counts whether or not a lead watches). Samples are weighted by the time to the next one; idle samples are left out
 * of the busy time.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, folder, ...bounds] = process.argv.slice(2);
if (!file || !folder || bounds.length === 0 || bounds.length % 2 !== 0) {
  throw new Error('usage: profileShare.ts <file.cpuprofile> <folder> <fromUs> <toUs> [<fromUs> <toUs>…]');
}
/** One frame of the chain: part of its file's URL, and its function's name when given (`''` = anonymous). */
const chain = folder.split('<').map((part) => {
  const [url = '', functionName] = part.split('#');
  return { url, functionName };
});
const ranges: Array<[number, number]> = [];
for (let at = 0; at < bounds.length; at += 2) ranges.push([Number(bounds[at]), Number(bounds[at + 1])]);

const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

/** Whether this frame and its callers match the chain, the frame matching its first part. */
function chainStartsAt(id: number): boolean {
  let at: number | undefined = id;
  for (const { url, functionName } of chain) {
    const frame = at === undefined ? undefined : byId.get(at)?.callFrame;
    if (!frame || !frame.url.includes(url) || (functionName !== undefined && frame.functionName !== functionName)) return false;
    at = parentOf.get(at!);
  }
  return true;
}

/** Whether a node or one of its callers runs code of `folder` (memoised: stacks share their callers). */
const underFolder = new Map<number, boolean>();
function inFolder(id: number): boolean {
  const known = underFolder.get(id);
  if (known !== undefined) return known;
  const parent = parentOf.get(id);
  const answer = chainStartsAt(id) || (parent !== undefined && inFolder(parent));
  underFolder.set(id, answer);
  return answer;
}

const exclude = process.env.PROFILE_EXCLUDE;
/** Whether a node or one of its callers runs code of the excluded files (memoised like `inFolder`). */
const underExcluded = new Map<number, boolean>();
function excluded(id: number): boolean {
  if (!exclude) return false;
  const known = underExcluded.get(id);
  if (known !== undefined) return known;
  const parent = parentOf.get(id);
  const answer = byId.get(id)!.callFrame.url.includes(exclude) || (parent !== undefined && excluded(parent));
  underExcluded.set(id, answer);
  return answer;
}

const IDLE = new Set(['(idle)']);
let busyUs = 0;
let folderUs = 0;
const selfUs = new Map<string, number>();
let at = profile.startTime;
for (let index = 0; index < profile.samples.length; index++) {
  at += profile.timeDeltas[index]!;
  const weight = profile.timeDeltas[index + 1] ?? 0;
  if (!ranges.some(([from, to]) => at >= from && at < to)) continue;
  const node = byId.get(profile.samples[index]!)!;
  if (IDLE.has(node.callFrame.functionName)) continue;
  busyUs += weight;
  if (!inFolder(node.id) || excluded(node.id)) continue;
  folderUs += weight;
  const where = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(server|shared|node_modules)\//, '$1/')}:${String(node.callFrame.lineNumber + 1)}`;
  selfUs.set(where, (selfUs.get(where) ?? 0) + weight);
}

const windowUs = ranges.reduce((total, [from, to]) => total + (to - from), 0);
process.stdout.write(`profile_windows_ms=${(windowUs / 1000).toFixed(0)}\n`);
process.stdout.write(`profile_busy_ms=${(busyUs / 1000).toFixed(0)}\n`);
process.stdout.write(`profile_${folder.replace(/\W+/g, '_').replace(/_$/, '')}_ms=${(folderUs / 1000).toFixed(0)}\n`);
process.stdout.write(`profile_${folder.replace(/\W+/g, '_').replace(/_$/, '')}_share_of_busy=${(folderUs / Math.max(1, busyUs)).toFixed(4)}\n`);
for (const [where, us] of [...selfUs].sort(([, a], [, b]) => b - a).slice(0, 25)) {
  process.stderr.write(`${(us / 1000).toFixed(1).padStart(8)} ms  ${where}\n`);
}
