import type { ReplicatorLogger } from '../../processBatch.js';

const CLEAR_LINE = '\r\x1b[K';

/** Fields of a log line worth showing on a terminal (codes and positions, as in the JSON logs). */
const SHOWN = ['code', 'shardId', 'sequenceNumber', 'records', 'signal', 'error', 'cause'] as const;

/**
 * The terminal view of `dynasync run`: one live line, redrawn in place, with warnings and errors
 * printed above it. Info and debug lines are left out (the live line and the summary say it).
 */
export class LiveOutput {
  private shown = false;

  /**
   * @param write where the text goes (a TTY).
   * @param render the current live line.
   */
  public constructor(
    private readonly write: (text: string) => void,
    private readonly render: () => string,
  ) {}

  /** Redraws the live line. */
  public refresh(): void {
    this.write(`${CLEAR_LINE}${this.render()}`);
    this.shown = true;
  }

  /** Prints lines above the live line (which it then redraws). */
  public print(lines: readonly string[], redraw = true): void {
    this.write(`${this.shown ? CLEAR_LINE : ''}${lines.map((line) => `${line}\n`).join('')}`);
    this.shown = false;
    if (redraw) this.refresh();
  }

  /** Removes the live line and prints final lines. */
  public end(lines: readonly string[]): void {
    this.print(lines, false);
  }

  /** A logger that prints warnings, errors and the "stopping" notices above the live line. */
  public logger(): ReplicatorLogger {
    const line =
      (level: 'info' | 'warn' | 'error') =>
      (message: unknown, ...extra: unknown[]): void => {
        const text = String(message);
        if (level === 'info' && !text.startsWith('stopping')) return;
        const fields: string[] = [];
        for (const item of extra) {
          if (item === null || typeof item !== 'object') continue;
          for (const key of SHOWN) {
            const value = (item as Record<string, unknown>)[key];
            if (value !== undefined)
              fields.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
          }
        }
        this.print([
          `${level === 'info' ? '' : `${level}: `}${text}${fields.length === 0 ? '' : ` (${fields.join(', ')})`}`,
        ]);
      };
    return {
      debug: () => undefined,
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
    } as unknown as ReplicatorLogger;
  }
}
