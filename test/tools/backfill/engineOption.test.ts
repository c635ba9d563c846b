import { describe, expect, it } from 'vitest';
import { runBackfillCommand } from '../../../tools/backfill/command.js';
import { BackfillErrorCodes } from '../../../tools/backfill/errors.js';

describe('dynasync backfill --engine', () => {
  it('stepfunctions is refused with backfill.invalidOption naming the option (the CLI exits 2), before any config is read', async () => {
    const run = runBackfillCommand({
      config: '/nonexistent/dynasync.json',
      from: 'a',
      to: 'b',
      engine: 'stepfunctions',
    });
    await expect(run).rejects.toMatchObject({
      code: BackfillErrorCodes.invalidOption,
      payload: { option: 'engine' },
    });
  });

  it('an unknown engine is refused the same way', async () => {
    const run = runBackfillCommand({
      config: '/nonexistent/dynasync.json',
      from: 'a',
      to: 'b',
      engine: 'glue',
    });
    await expect(run).rejects.toMatchObject({ code: BackfillErrorCodes.invalidOption });
  });
});
