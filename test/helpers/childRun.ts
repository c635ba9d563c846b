import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `dynasync run` as a child process, for tests that crash and restart the replicator for real
 * (SIGKILL: no checkpoint save, no graceful stop). Every child started here is tracked; call
 * {@link killAllRuns} in `afterEach`/`afterAll` so none outlives a failed test. Children are only
 * ever ended by their own pid.
 */

/** The repository root: where `tools/cli.ts` lives. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How a child ended. */
export interface RunExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link startRun}. */
export interface StartRunOptions {
  readonly configFile: string;
  readonly region: string;
  /** Seconds between "replication stats" lines. @default 1 */
  readonly statsIntervalSeconds?: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** One JSON log line of the child (Powertools Logger). */
export interface LogLine {
  readonly level?: string;
  readonly message?: string;
  readonly [field: string]: unknown;
}

/** A running (or ended) `dynasync run` child. */
export interface RunChild {
  readonly pid: number;
  readonly region: string;
  /** Everything the child wrote to stdout so far. */
  stdout(): string;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** The JSON log lines of stdout and stderr so far (other lines are skipped). */
  logs(): LogLine[];
  /** Settles when the child has exited. */
  readonly exited: Promise<RunExit>;
  /** True until the child has exited. */
  readonly running: boolean;
  /** Sends `signal` to this child's pid and waits for it to exit (SIGKILL after `graceMs` for SIGTERM). */
  kill(signal: 'SIGKILL' | 'SIGTERM', graceMs?: number): Promise<RunExit>;
}

const live = new Set<RunChild>();

const exitOf = (child: ChildProcess): Promise<RunExit> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

const parseLogs = (text: string): LogLine[] => {
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // A line cut by SIGKILL, or not a log line.
    }
  }
  return lines;
};

// If the test process itself ends abruptly, take every child along (by pid).
process.once('exit', () => {
  for (const child of live) if (child.running) process.kill(child.pid, 'SIGKILL');
});

/**
 * Starts `dynasync run --config FILE --region NAME --stats-interval N` with this Node.js and tsx,
 * from the repository root.
 * @example
 * const child = startRun({ configFile, region: 'eu-west-1' });
 * await child.kill('SIGKILL');
 */
export const startRun = (options: StartRunOptions): RunChild =>
  startCli({
    args: [
      'run',
      '--config',
      options.configFile,
      '--region',
      options.region,
      '--stats-interval',
      String(options.statsIntervalSeconds ?? 1),
    ],
    label: options.region,
    ...(options.env === undefined ? {} : { env: options.env }),
  });

/** Options of {@link startCli}. */
export interface StartCliOptions {
  /** Arguments after `dynasync`, e.g. `['backfill', '--config', file, …]`. */
  readonly args: readonly string[];
  /** What the child is called in errors (its `region` field). @default the command name */
  readonly label?: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the child (relative paths, `.dynasync/`). @default the repository root */
  readonly cwd?: string;
}

/**
 * Starts any `dynasync` command as a tracked child (same rules as {@link startRun}: ended by its
 * pid only, and by {@link killAllRuns}).
 * @example
 * const child = startCli({ args: ['backfill', '--config', configFile, '--from', 'a', '--to', 'b'] });
 */
export const startCli = (options: StartCliOptions): RunChild => {
  const label = options.label ?? options.args[0] ?? 'dynasync';
  // Outside the repository `--import tsx` would not resolve: name tsx's loader and the CLI by their paths.
  const loader =
    options.cwd === undefined
      ? 'tsx'
      : pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const cli = options.cwd === undefined ? 'tools/cli.ts' : join(REPO_ROOT, 'tools/cli.ts');
  const child = spawn(process.execPath, ['--import', loader, cli, ...options.args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start dynasync ${label}`);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let running = true;
  const exited = exitOf(child).then((exit) => {
    running = false;
    live.delete(run);
    return exit;
  });
  const run: RunChild = {
    pid,
    region: label,
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () => [...parseLogs(stdout), ...parseLogs(stderr)],
    exited,
    get running() {
      return running;
    },
    kill: async (signal, graceMs = 30_000) => {
      if (!running) return exited;
      process.kill(pid, signal);
      if (signal === 'SIGKILL') return exited;
      const timer = setTimeout(() => {
        if (running) process.kill(pid, 'SIGKILL');
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  live.add(run);
  return run;
};

/** SIGKILLs every child started by {@link startRun} that is still running, and waits for them to exit. */
export const killAllRuns = async (): Promise<void> => {
  await Promise.all([...live].map((child) => child.kill('SIGKILL')));
};
