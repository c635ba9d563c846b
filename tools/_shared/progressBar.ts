import cliProgress from 'cli-progress';

/** A progress bar on a terminal: `update` as often as you like (it redraws 5 times a second). */
export interface ProgressBar {
  update(value: number, total: number, payload: Readonly<Record<string, string | number>>): void;
  stop(): void;
}

/** The widest line a progress bar draws, whatever the terminal's width. */
export const MAX_PROGRESS_COLUMNS = 80;

const HOUR = 3_600;

/**
 * The ETA of a progress line: `ETA 42s`, `ETA 3m07s`, `ETA 12h05m`; `ETA --` while it is unknown (no
 * rate yet, a total of 0: cli-progress would print `NaN`/`Infinity` as `NFs`/`LLs`), `ETA >99h` beyond.
 */
export const formatEta = (seconds: number | undefined): string => {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return 'ETA --';
  const whole = Math.round(seconds);
  if (whole >= 100 * HOUR) return 'ETA >99h';
  if (whole < 60) return `ETA ${whole}s`;
  const two = (n: number) => String(n).padStart(2, '0');
  if (whole < HOUR) return `ETA ${Math.floor(whole / 60)}m${two(whole % 60)}s`;
  return `ETA ${Math.floor(whole / HOUR)}h${two(Math.floor((whole % HOUR) / 60))}m`;
};

/** What one progress line shows. */
export interface ProgressState {
  readonly value: number;
  readonly total: number;
  /** Seconds left, as cli-progress estimates them (`NaN`/`Infinity` while unknown). */
  readonly eta: number | undefined;
  readonly payload: Readonly<Record<string, string | number>>;
}

const MIN_BAR = 10;
const MAX_BAR = 30;

/**
 * One progress line from `template` (tokens `{bar}`, `{percentage}`, `{value}`, `{total}`, `{eta}` and
 * the payload's names), at most `columns` wide (capped at {@link MAX_PROGRESS_COLUMNS}, one column
 * kept free so the terminal does not wrap): the bar takes the room the text leaves (10-30 columns),
 * and a line still too wide loses its end (the phase label), marked `…`.
 * @example
 * renderProgressLine('copy [{bar}] {percentage}% | {eta}', { value: 5, total: 10, eta: 3, payload: {} }, 80);
 * // 'copy [███████████████░░░░░░░░░░░░░░░] 50% | ETA 3s'
 */
export const renderProgressLine = (
  template: string,
  state: ProgressState,
  columns: number = MAX_PROGRESS_COLUMNS,
): string => {
  const width = Math.max(20, Math.min(columns, MAX_PROGRESS_COLUMNS)) - 1;
  const ratio = state.total > 0 ? Math.min(1, Math.max(0, state.value / state.total)) : 0;
  const values: Record<string, string> = {
    percentage: String(Math.floor(ratio * 100)),
    value: String(state.value),
    total: String(state.total),
    eta: formatEta(state.eta),
    ...Object.fromEntries(Object.entries(state.payload).map(([name, value]) => [name, String(value)])),
  };
  const text = template.replace(/\{(\w+)\}/g, (token, name: string) =>
    name === 'bar' ? token : (values[name] ?? token),
  );
  const room = width - (text.length - (text.includes('{bar}') ? '{bar}'.length : 0));
  const barWidth = Math.max(MIN_BAR, Math.min(MAX_BAR, room));
  const filled = Math.round(ratio * barWidth);
  const line = text.replace('{bar}', `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`);
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
};

/**
 * A cli-progress bar on `stream` when it is a TTY, `undefined` otherwise (off a terminal only the
 * summary is printed). `format` takes the tokens of {@link renderProgressLine}; the line fits the
 * terminal and 80 columns.
 * @example
 * const bar = terminalProgressBar(process.stderr, 'backfill [{bar}] {value}/{total} | {eta} | {phase}');
 * bar?.update(120, 1000, { phase: 'writing' });
 */
export const terminalProgressBar = (
  stream: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number },
  format: string,
): ProgressBar | undefined => {
  if (stream.isTTY !== true) return undefined;
  const bar = new cliProgress.SingleBar({
    stream,
    format: (_options, params, payload) =>
      renderProgressLine(
        format,
        { value: params.value, total: params.total, eta: params.eta, payload },
        stream.columns ?? MAX_PROGRESS_COLUMNS,
      ),
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
    fps: 5,
  });
  let active = false;
  return {
    update(value, total, payload) {
      if (!active) {
        bar.start(Math.max(total, value), value, payload);
        active = true;
      }
      bar.setTotal(Math.max(total, value));
      bar.update(value, payload);
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
};

/**
 * Runs `body` with an abort signal that SIGINT and SIGTERM (and `extra`, when given) fire, so a
 * command stops cleanly (checkpoints saved) on Ctrl-C; the handlers are removed afterwards.
 */
export const withInterrupts = async <T>(
  extra: AbortSignal | undefined,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> => {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(extra === undefined ? abort.signal : AbortSignal.any([abort.signal, extra]));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
};
