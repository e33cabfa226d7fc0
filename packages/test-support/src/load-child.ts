// Child collector processes for the fault tests (the process itself is load-child-process.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { atExit, ROOT, sleep } from './temp.js';

export interface LoadChild {
  readonly child: ChildProcess;
  /** Last status line the child printed. */
  status(): ChildStatus;
  /** Resolves with the exit code / signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `accepted` reaches n. */
  waitAccepted(n: number, timeoutMs?: number): Promise<void>;
}

export interface ChildStatus {
  accepted: number;
  written: number;
  final?: boolean;
  errors: string[];
}

/** Runs `load-child-process.ts`: collects `{ seq }` rows at a steady rate into the workspace's default datastore. */
export function startLoadChild(env: Record<string, string>): LoadChild {
  const script = fileURLToPath(new URL('./load-child-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let last: ChildStatus = { accepted: 0, written: 0, errors: [] };
  const errors: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
      try {
        const s = JSON.parse(line) as Partial<ChildStatus> & { error?: string };
        if (s.error) errors.push(s.error);
        else last = { ...last, ...s, errors };
      } catch {
        // not a status line
      }
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (code !== 0 && code !== null && stderr) process.stderr.write(`load child stderr:\n${stderr}\n`);
      resolve({ code, signal });
    }),
  );
  atExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    status: () => last,
    exited,
    async waitAccepted(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (last.accepted < n) {
        if (Date.now() > deadline)
          throw new Error(`child accepted only ${last.accepted} of ${n}; stderr: ${stderr}`);
        if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}): ${stderr}`);
        await sleep(20);
      }
    },
  };
}
