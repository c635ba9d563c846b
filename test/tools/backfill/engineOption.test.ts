import { describe, expect, it } from 'vitest';
import { runBackfillCommand } from '../../../tools/backfill/command.js';
import { BackfillErrorCodes } from '../../../tools/backfill/errors.js';

describe('dynasync backfill --engine', () => {
  it.each([
    ['stepfunctions', 'not wired yet'],
    ['glue', 'unknown'],
  ])(
    '%s (%s) is refused with backfill.invalidOption naming the option (the CLI exits 2), before any config is read',
    async (engine) => {
      const run = runBackfillCommand({ config: '/nonexistent/dynasync.json', from: 'a', to: 'b', engine });
      await expect(run).rejects.toMatchObject({
        code: BackfillErrorCodes.invalidOption,
        payload: { option: 'engine' },
      });
    },
  );
});
