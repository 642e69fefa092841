import { spawn, type ChildProcess } from 'node:child_process';

/**
 * One small detached process per `ugc` process that outlives it by a moment: it is told the pid of
 * every tool child we start (and of every one that ended), and when our end of its stdin closes — we
 * exited or were killed, even by SIGKILL — it kills the children still running. Node cannot set
 * PR_SET_PDEATHSIG, and a child reparented to init would otherwise run on for the whole encode.
 * `+pid` watches a process, `+-pid` a process group (a model runner's command), `-…` forgets it.
 */
const WATCHER = `
const pids = new Set();
let pending = '';
const end = () => {
  for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch {} }
  process.exit(0);
};
process.stdin.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\\n');
  pending = lines.pop();
  for (const line of lines) {
    if (line[0] === '+') pids.add(line.slice(1));
    else if (line[0] === '-') pids.delete(line.slice(1));
  }
});
process.stdin.on('end', end);
process.stdin.on('error', end);
const parent = Number(process.argv[1]);
setInterval(() => { if (process.ppid !== parent) end(); }, 1000);
`;

let watcher: ChildProcess | null = null;

function send(line: string): void {
  if (!watcher) {
    watcher = spawn(process.execPath, ['-e', WATCHER, String(process.pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watcher.on('error', () => undefined);
    watcher.stdin?.on('error', () => undefined);
    // Neither the watcher nor its pipe keeps this process alive.
    watcher.unref();
    (watcher.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  watcher.stdin?.write(`${line}\n`);
}

/** Kills process `pid` (or, with `group`, its process group) if this process dies before `ended` settles. */
export function watchChild(pid: number | undefined, ended: PromiseLike<unknown>, options: { group?: boolean } = {}): void {
  if (pid === undefined) return;
  const target = options.group ? `-${pid}` : String(pid);
  send(`+${target}`);
  const forget = () => send(`-${target}`);
  ended.then(forget, forget);
}
