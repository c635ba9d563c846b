import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Difference } from '../../../tools/verify/types.js';
import { verify } from '../../../tools/verify/verify.js';
import { checkAsyncProperty } from '../../helpers/laws.js';
import { build, byKey, rows, scenario } from './injectedDrift.js';
import { batchPut, type RegionPair, regionPair, SOURCE, TARGET } from './verifyHarness.js';

describe('verify finds exactly the injected drift (property, DynamoDB Local)', () => {
  it('reports the injected set, repairs it, and a second verify is clean', async () => {
    await checkAsyncProperty(
      fc.asyncProperty(scenario(), async (input) => {
        const pair: RegionPair = await regionPair();
        try {
          // Prepare
          const { source, target, expected } = build(input);
          await Promise.all([
            batchPut(pair.source, pair.sourceTable, source),
            batchPut(pair.target, pair.targetTable, target),
          ]);
          const run = async (repair: boolean) => {
            const differences: Difference[] = [];
            const report = await verify({
              config: pair.config,
              from: SOURCE,
              to: TARGET,
              clients: pair.clients,
              segments: input.segments,
              settleSeconds: 0,
              partitions: 8,
              repair,
              onDifference: (difference) => {
                differences.push(difference);
              },
            });
            return { report, differences };
          };

          // Act
          const found = await run(true);
          const after = await run(false);

          // Assess
          expect(rows(found.differences).sort(byKey)).toEqual([...expected].sort(byKey));
          expect(found.report.inSync).toBe(expected.length === 0);
          expect(found.report.repair?.counts.repaired).toBe(expected.length);
          expect(after.differences).toEqual([]);
          expect(after.report.inSync).toBe(true);
        } finally {
          await pair.cleanup();
        }
      }),
      12,
    );
  });
});
