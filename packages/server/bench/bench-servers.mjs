// What the server benchmarks share: starting a server process that prints its URL (pinned to core 0 when asked),
// stopping it, pinning this process (the load generator) to the other cores, and medians.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

export const cores = availableParallelism();
/** Servers on core 0 and the load on the others, so a ratio measures the servers; BENCH_PIN=0 turns it off. */
export const pin =
  process.env.BENCH_PIN !== '0' &&
  cores >= 2 &&
  spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** Moves this process (and its threads) to the cores in `list`, e.g. `1-3`. */
export function pinSelf(list) {
  if (pin) spawnSync('taskset', ['-a', '-cp', list, String(process.pid)], { stdio: 'ignore' });
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * Starts `command args` and resolves with `{url, child}` once it prints `ready at URL` or `listening on URL`;
 * with `pinToCore0` it runs on core 0 only (its child processes inherit that).
 */
export function startServer(command, args, { cwd, env = {}, pinToCore0 = false } = {}) {
  const pinned = pinToCore0 && pin;
  const child = spawn(pinned ? 'taskset' : command, pinned ? ['-c', '0', command, ...args] : args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /(?:ready at|listening on) (http:\/\/[^\s/]+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

export async function stopServer({ child }) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  children.delete(child);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * User + system CPU seconds a process has used so far (Linux /proc); with `mainThread`, only its main thread's
 * (the event loop: the rest is libuv's file writes and V8's GC helpers).
 */
export function cpuSeconds(pid, mainThread = false) {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** autocannon (a root devDependency), or a clear exit when `npm install` has not been run. */
export async function loadAutocannon(bench) {
  try {
    return (await import('autocannon')).default;
  } catch {
    console.error(`${bench} needs autocannon (a root devDependency): run npm install`);
    process.exit(1);
  }
}

/** A temporary folder for one bench run, removed when the process exits (Ctrl-C included). */
export function benchWorkDir(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  process.on('SIGINT', () => process.exit(130));
  return work;
}
