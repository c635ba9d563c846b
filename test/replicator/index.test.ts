/**
 * The root export (`dynasync`, replicator/index.ts) at run time: what an application or an operator
 * uses is there, the replicator's internals are not. The full typed surface is etc/dynasync.api.md
 * (`npm run api:check`); this names the values so a barrel edit is caught by the unit run too.
 */
import { describe, expect, it } from 'vitest';
import * as root from '../../replicator/index.js';

describe('the root export', () => {
  it('names the handler, its factories and tracing, the client helpers and the errors', () => {
    expect(Object.keys(root).sort()).toEqual(
      [
        'DynasyncClient',
        'DynasyncError',
        'DynasyncMergeClient',
        'ErrorCodes',
        'EventNames',
        'HybridLogicalClock',
        'REGION_ENV',
        'SkipReasons',
        'WriteOutcomes',
        'createHandler',
        'createReplicator',
        'handler',
        'isDynasyncError',
        'powertoolsTracing',
        'stampPut',
        'stampUpdate',
        'tombstonePut',
      ].sort(),
    );
  });

  it('does not export the replicator internals', () => {
    const internals = [
      'planBatch',
      'pipeChange',
      'buildPutInput',
      'classifyRecord',
      'processBatch',
      'PeerWriter',
    ];
    expect(internals.filter((name) => name in root)).toEqual([]);
  });
});
