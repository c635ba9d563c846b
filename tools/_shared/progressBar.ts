import cliProgress from 'cli-progress';

/** A progress bar on a terminal: `update` as often as you like (it redraws 5 times a second). */
export interface ProgressBar {
  update(value: number, total: number, payload: Readonly<Record<string, string | number>>): void;
  stop(): void;
}

/**
 * A cli-progress bar on `stream` when it is a TTY, `undefined` otherwise (off a terminal only the
 * summary is printed). `format` uses cli-progress tokens plus the payload's names.
 * @example
 * const bar = terminalProgressBar(process.stderr, 'backfill [{bar}] {value}/{total} | {phase}');
 * bar?.update(120, 1000, { phase: 'writing' });
 */
export const terminalProgressBar = (
  stream: NodeJS.WritableStream & { readonly isTTY?: boolean },
  format: string,
): ProgressBar | undefined => {
  if (stream.isTTY !== true) return undefined;
  const bar = new cliProgress.SingleBar(
    { stream, format, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
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
