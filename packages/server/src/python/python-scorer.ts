import { type ChildProcess, spawn } from 'node:child_process';
import { delimiter, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { HttpError, InitFailedError } from 'model-data-collector/internal';
import { RawJson, type ScoreRequestInfo, type ScoreResponse, type Scorer } from '../scorer.js';
import { FrameReader, type WorkerFrame } from './frames.js';
import { WorkerStream } from './worker-stream.js';

/** The worker module shipped in this package (`python/mdc_worker.py`). */
export const WORKER_SCRIPT = fileURLToPath(new URL('../../python/mdc_worker.py', import.meta.url));

export type LogFn = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => void;

export interface PythonScorerOptions {
  /** The interpreter: `--python`, else `MDC_PYTHON`, else `python3`. */
  readonly python: string;
  /** The scoring script (`score.py`), or the model folder when {@link builtin} is set. */
  readonly script: string;
  /** `code_configuration.code`: put first on `sys.path`. */
  readonly codeDir: string;
  /** A scoring module shipped with mdc that serves a model with no script of the user's (no-code MLflow). */
  readonly builtin?: string;
  /** `max_concurrent_requests_per_instance`: run() calls at once (a thread pool in the worker above 1). @default 1 */
  readonly concurrency?: number;
  /** Environment of the worker on top of this process's (the sidecar's address, the model folder). */
  readonly env?: Readonly<Record<string, string>>;
  /** Names the worker in log lines. */
  readonly instanceId: string;
  readonly log: LogFn;
  /** Called before the worker is stopped and after it exited: lets the sidecar take the posts still on their way. */
  readonly settle?: () => Promise<void>;
  /** Called at the end of close(), after the worker exited. */
  readonly onClosed?: () => Promise<void>;
  /** Longest wait for the worker to exit after its input is closed. @default 10000 */
  readonly stopTimeoutMs?: number;
}

interface Job {
  readonly id: number;
  readonly request: ScoreRequestInfo;
  /** What run() is given as its text (the request body, or what a built-in scorer made of it). */
  readonly body: Buffer;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * The worker runs in the code folder, so relative `PYTHONPATH` entries, meant from where mdc was started, are
 * made absolute.
 */
function pythonPath(value: string | undefined): { PYTHONPATH?: string } {
  if (!value) return {};
  return {
    PYTHONPATH: value
      .split(delimiter)
      .map((p) => (p === '' ? p : resolve(p)))
      .join(delimiter),
  };
}

/**
 * Requests sent to the worker beyond the ones it runs: it reads the next one while it answers the last, instead
 * of waiting for a round trip through mdc. They still run one after the other, in order; on a crash they go back
 * to the queue, and one that times out before it started is not a reason to stop the worker.
 */
const PIPELINE_DEPTH = 4;

/** More restarts than this within a minute and the worker is not started again until a minute has passed. */
const MAX_RESTARTS_PER_MINUTE = 10;

/**
 * Runs a Python `score.py` the way Azure's inference server does — `init()` once per worker, `run(raw_data)` per
 * request with the body as text — in one child process per instance, speaking mdc_worker.py's pipe protocol.
 * Requests beyond `concurrency` wait in order; a worker that dies answers its in-flight requests with
 * MDC_WORKER_EXITED (502) and is restarted (counted in {@link restarts}); a run() past the request timeout
 * kills the worker, since a Python thread cannot be stopped any other way.
 */
export class PythonScorer implements Scorer {
  readonly kind = 'python';
  readonly description: string;
  readonly takesRawBody = true;
  readonly limitsConcurrency = true;
  /** Worker restarts by reason (`exit`, `timeout`), for /metrics. */
  readonly restarts = new Map<string, number>();
  private readonly concurrency: number;
  private child: ChildProcess | undefined;
  private input: Writable | undefined;
  private ready = false;
  private closing = false;
  private nextId = 1;
  private readonly waiting: Job[] = [];
  private readonly running = new Map<number, Job>();
  /** Streaming run()s, by job id: their job stays in {@link running} (a worker thread is busy) until the end. */
  private readonly streams = new Map<number, WorkerStream>();
  private readonly restartTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private killedFor: string | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: PythonScorerOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.description = options.builtin ? `${options.script} (Python)` : options.script;
  }

  /** Starts the worker and resolves when its init() returned. Throws MDC_INIT_FAILED with the traceback. */
  async init(): Promise<void> {
    await this.start();
  }

  run(_data: unknown, request: ScoreRequestInfo): Promise<unknown> {
    return this.call(request.rawBody, request);
  }

  /**
   * Calls the script's run() with `body` as its text; resolves with a {@link RawJson} (a 200 JSON answer) or a
   * {@link ScoreResponse}.
   */
  call(body: Buffer, request: ScoreRequestInfo): Promise<unknown> {
    if (this.closing) {
      return Promise.reject(new HttpError('MDC_NOT_READY', 503, 'the deployment is shutting down'));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, request, body, resolve, reject });
      this.dispatch();
    });
  }

  /** The server gave up on a request: drop it if it still waits, kill the worker if run() has it. */
  timedOut(request: ScoreRequestInfo): void {
    const i = this.waiting.findIndex((j) => j.request === request);
    if (i !== -1) {
      this.waiting.splice(i, 1);
      return;
    }
    let position = 0;
    for (const job of this.running.values()) {
      if (job.request === request) {
        // Sent ahead but not started: it runs later and its answer is dropped (at most PIPELINE_DEPTH such).
        if (position >= this.concurrency) return;
        this.killedFor = 'timeout';
        this.options.log(
          'warn',
          { instance: this.options.instanceId, reqId: request.id },
          'run() passed request_timeout_ms: stopping the Python worker (a running thread cannot be cancelled) and starting a new one',
        );
        this.child?.kill('SIGKILL');
        return;
      }
      position++;
    }
  }

  async close(): Promise<void> {
    if (this.closing) return this.exited;
    this.closing = true;
    clearTimeout(this.restartTimer);
    for (const job of this.waiting.splice(0)) {
      job.reject(new HttpError('MDC_NOT_READY', 503, 'the deployment is shutting down'));
    }
    await this.options.settle?.();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      this.input?.end();
      const kill = setTimeout(() => child.kill('SIGKILL'), this.options.stopTimeoutMs ?? 10_000);
      await this.exited;
      clearTimeout(kill);
    }
    await this.options.settle?.();
    await this.options.onClosed?.();
  }

  private start(): Promise<void> {
    const o = this.options;
    const args = ['-u', WORKER_SCRIPT, '--script', o.script, '--code', o.codeDir];
    args.push('--concurrency', String(this.concurrency));
    if (o.builtin) args.push('--builtin', o.builtin);
    const child = spawn(o.python, args, {
      cwd: o.codeDir,
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...pythonPath(process.env.PYTHONPATH), ...o.env },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.input = child.stdio[3] as Writable;
    // EPIPE when the worker dies mid-write: the exit handler answers the requests.
    this.input.on('error', () => {});
    const tag = { instance: o.instanceId, pid: child.pid };
    for (const [stream, level] of [
      [child.stdout!, 'info'],
      [child.stderr!, 'warn'],
    ] as const) {
      const name = stream === child.stdout ? 'stdout' : 'stderr';
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
        o.log(level, { ...tag, stream: name }, line),
      );
    }
    const frames = new FrameReader();
    let started: { resolve(): void; reject(err: Error): void } | undefined;
    const startup = new Promise<void>((resolve, reject) => {
      started = { resolve, reject };
    });
    let initFailure: WorkerFrame | undefined;
    (child.stdio[4] as Readable).on('data', (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) {
        if (frame.op === 'ready') {
          this.ready = true;
          o.log('info', { ...tag, python: frame.python }, 'Python worker ready: init() returned');
          started?.resolve();
          started = undefined;
          this.dispatch();
        } else if (frame.op === 'init_failed') {
          initFailure = frame;
        } else this.answer(frame);
      }
    });
    let spawnFailed = false;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        spawnFailed = true;
        started?.reject(
          new InitFailedError(`cannot start the Python interpreter ${o.python}: ${err.message}`, {
            cause: err,
          }),
        );
        started = undefined;
        resolve();
      });
      child.once('close', (code, signal) => {
        this.ready = false;
        if (spawnFailed) return;
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        if (started) {
          const tb = initFailure?.traceback ? `\n${String(initFailure.traceback).trimEnd()}` : '';
          const what = !initFailure
            ? `the Python worker ended (${why}) before init() returned`
            : initFailure.phase === 'init'
              ? `init() of ${o.script} failed: ${initFailure.message}`
              : `cannot load ${o.script}: ${initFailure.message}`;
          if (initFailure?.traceback) o.log('error', tag, String(initFailure.traceback));
          started.reject(new InitFailedError(`${what}${tb}`));
          started = undefined;
        } else if (!this.closing || this.running.size > 0) {
          this.workerLost(why);
        }
        resolve();
      });
    });
    return startup;
  }

  /** A frame of a streaming run(): its start (the job's answer), an item, or its end. */
  private streamFrame(frame: WorkerFrame): void {
    const id = frame.id as number;
    if (frame.op === 'stream_start') {
      const job = this.running.get(id);
      if (!job) return; // answered already (timed out)
      const stream = new WorkerStream(
        (n) => this.control({ op: 'credit', id, n }),
        () => this.control({ op: 'cancel', id }),
      );
      this.streams.set(id, stream);
      job.resolve({ status: Number(frame.status ?? 200), body: stream } satisfies ScoreResponse);
      return;
    }
    const stream = this.streams.get(id);
    if (frame.op === 'chunk') {
      const body = frame.body ?? Buffer.alloc(0);
      stream?.push(
        frame.kind === 'json'
          ? new RawJson(body.toString('utf8'))
          : frame.kind === 'text'
            ? body.toString('utf8')
            : body,
      );
      return;
    }
    if (frame.op !== 'stream_end' && frame.op !== 'stream_error') return;
    this.streams.delete(id);
    const job = this.running.get(id);
    this.running.delete(id);
    if (frame.op === 'stream_error') {
      if (frame.traceback) {
        this.options.log(
          'error',
          { instance: this.options.instanceId, reqId: job?.request.id },
          String(frame.traceback),
        );
      }
      stream?.fail(new HttpError('MDC_SCORING_ERROR', 500, `run() raised ${String(frame.message)}`));
    } else stream?.end();
    // A one-at-a-time worker waits for this before it takes its next request.
    this.control({ op: 'stream_closed', id });
    this.dispatch();
  }

  /** A message to the worker about a stream (credit, cancel, stream_closed). */
  private control(message: { op: string; id: number; n?: number }): void {
    this.input?.write(`${JSON.stringify(message)}\n`);
  }

  /** The worker died with requests in it (or while idle): answer them, count it, start a new one. */
  private workerLost(why: string): void {
    for (const stream of this.streams.values()) {
      stream.fail(new HttpError('MDC_WORKER_EXITED', 502, `the Python worker exited (${why}) mid-stream`));
    }
    this.streams.clear();
    const reason = this.killedFor ?? 'exit';
    this.killedFor = undefined;
    const message =
      reason === 'timeout'
        ? 'the Python worker was stopped because a run() passed request_timeout_ms'
        : `the Python worker exited (${why}) while run() handled this request`;
    // The worker runs its jobs in the order sent: only the oldest `concurrency` had started. The others go back
    // to the front of the queue for the next worker.
    const jobs = [...this.running.values()];
    this.running.clear();
    for (const job of jobs.slice(0, this.concurrency)) {
      job.reject(new HttpError('MDC_WORKER_EXITED', 502, `${message}; it is being restarted`));
    }
    this.waiting.unshift(...jobs.slice(this.concurrency));
    if (this.closing) return;
    this.restarts.set(reason, (this.restarts.get(reason) ?? 0) + 1);
    const now = Date.now();
    this.restartTimes.push(now);
    while (this.restartTimes.length && this.restartTimes[0]! < now - 60_000) this.restartTimes.shift();
    const recent = this.restartTimes.length;
    const delay = recent > MAX_RESTARTS_PER_MINUTE ? 60_000 : Math.min(5000, 50 * 2 ** (recent - 1));
    this.options.log(
      reason === 'timeout' ? 'warn' : 'error',
      { instance: this.options.instanceId, reason },
      `${message.replace(' while run() handled this request', '')}; restarting it in ${delay} ms`,
    );
    this.restartTimer = setTimeout(() => this.restart(), delay);
    this.restartTimer.unref();
  }

  private restart(): void {
    if (this.closing) return;
    this.start().catch((err: Error) => {
      this.options.log(
        'error',
        { instance: this.options.instanceId },
        `the Python worker did not restart: ${err.message}`,
      );
      for (const job of this.waiting.splice(0)) {
        job.reject(
          new HttpError(
            'MDC_NOT_READY',
            503,
            `the Python worker is restarting and its init() failed: ${err.message}`,
          ),
        );
      }
      if (!this.closing) this.workerLost('init failed');
    });
  }

  private dispatch(): void {
    const input = this.input!;
    let sent = 0;
    while (this.ready && this.running.size < this.concurrency + PIPELINE_DEPTH && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running.set(job.id, job);
      const body = job.body;
      const header = `${JSON.stringify({ op: 'run', id: job.id, rid: job.request.id, len: body.length })}\n`;
      if (sent++ === 0) input.cork();
      input.write(header);
      if (body.length > 0) input.write(body);
    }
    if (sent > 0) process.nextTick(() => input.uncork());
  }

  private answer(frame: WorkerFrame): void {
    if (frame.op !== 'result' && frame.op !== 'error') {
      this.streamFrame(frame);
      return;
    }
    const job = this.running.get(frame.id as number);
    if (!job) return; // answered already (timed out, or its worker was replaced)
    this.running.delete(job.id);
    if (frame.op === 'error') {
      if (frame.traceback) {
        this.options.log(
          'error',
          { instance: this.options.instanceId, reqId: job.request.id },
          String(frame.traceback),
        );
      }
      job.reject(new HttpError('MDC_SCORING_ERROR', 500, `run() raised ${String(frame.message)}`));
    } else {
      const body = frame.body ?? Buffer.alloc(0);
      const type = String(frame.type ?? 'application/json');
      const status = Number(frame.status ?? 200);
      const result: unknown =
        status === 200 && type === 'application/json' && !frame.headers
          ? new RawJson(body.toString('utf8'))
          : ({
              status,
              headers: { 'content-type': type, ...(frame.headers as Record<string, string> | undefined) },
              body,
            } satisfies ScoreResponse);
      job.resolve(result);
    }
    this.dispatch();
  }
}
