import { vi } from 'vitest';

/**
 * Captures every non-empty line written to stdout or `console.log` (Powertools loggers and EMF
 * metrics write there) until `vi.restoreAllMocks()`.
 */
export const captureStdout = (): string[] => {
  const lines: string[] = [];
  const keep = (chunk: unknown) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(console, 'log').mockImplementation(keep);
  return lines;
};
