import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import type { Item, WireItem } from '../../core/types.js';
import type { TransformFunction } from '../../pipeline/types.js';
import { createPipelines } from '../../replicator/createPipelines.js';
import { processBatch } from '../../replicator/processBatch.js';
import type { StreamRecord } from '../../replicator/types.js';
import {
  FakeTable,
  fakeWriter,
  MemoryDeadLetterSink,
  names,
  planContext,
  silentLogger,
  streamRecord,
} from '../helpers/factories.js';
import { checkAsyncProperty } from '../helpers/laws.js';

/** A map that moves items by status and fans one status out to two items: every key change kind there is. */
const transform: TransformFunction = (item) => {
  const pk = (item.pk as { S: string }).S;
  const status = (item.status as { S: string }).S;
  const main: Item = { id: { S: `${status}#${pk}` }, v: item.v! };
  return status === 'c' ? [main, { id: { S: `extra#${pk}` }, v: item.v! }] : [main];
};

const config = parseConfig({
  version: 1,
  name: 'model',
  regions: { 'eu-west-1': { table: 'src' }, 'us-east-1': { table: 'dst' } },
  topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
  pipelines: {
    'us-east-1': {
      key: ['pk'],
      targetKey: ['id'],
      stages: [
        {
          type: 'filter',
          id: 'not-hidden',
          where: [{ path: 'status', op: 'notEquals', value: { S: 'hidden' } }],
        },
        { type: 'map', id: 'by-status', module: 'm' },
      ],
    },
  },
});

const command = fc.record({
  key: fc.constantFrom('k0', 'k1', 'k2'),
  op: fc.constantFrom('put', 'put', 'delete'),
  status: fc.constantFrom('a', 'b', 'c', 'hidden'),
  v: fc.integer({ min: 0, max: 9 }),
});

describe('replication through a pipeline (model)', () => {
  it('law: whatever the changes and however the stream is cut into batches, the replica holds exactly apply(source)', async () => {
    const pipelines = await createPipelines(config, 'eu-west-1', {
      loadModule: () => Promise.resolve({ transform }),
    });
    const pipeline = pipelines['us-east-1']!;
    await checkAsyncProperty(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1 }),
        async (commands, cuts) => {
          // Prepare: the source's stream for these commands, and the model of the source table.
          const source = new Map<string, WireItem>();
          const records: StreamRecord[] = [];
          commands.forEach(({ key, op, status, v }, index) => {
            const old = source.get(key);
            const createdAt = 1_700_000_000 + index;
            if (op === 'delete') {
              if (old === undefined) return;
              source.delete(key);
              records.push(streamRecord({ oldImage: old, createdAt }));
              return;
            }
            const next: WireItem = { pk: { S: key }, status: { S: status }, v: { N: String(v) } };
            source.set(key, next);
            records.push(
              streamRecord({ ...(old === undefined ? {} : { oldImage: old }), newImage: next, createdAt }),
            );
          });
          const peer = new FakeTable({ region: 'us-east-1', keyNames: ['id'] });
          const deps = {
            context: planContext({ topology: 'one-way', peers: ['us-east-1'], pipelines }),
            writer: fakeWriter([peer]),
            deadLetters: new MemoryDeadLetterSink(),
            logger: silentLogger,
            configVersion: 'model',
          };

          // Act: the stream in batches of the given sizes.
          let at = 0;
          for (let i = 0; at < records.length; i += 1) {
            const size = cuts[i % cuts.length]!;
            await processBatch(records.slice(at, at + size), Date.now() + 10_000, deps);
            at += size;
          }

          // Assess
          const expected = new Map<string, string>();
          for (const item of source.values())
            for (const out of pipeline.apply(item as unknown as Item, {
              sourceRegion: 'eu-west-1',
              targetRegion: 'us-east-1',
            }))
              expected.set((out.id as { S: string }).S, (out.v as { N: string }).N);
          const written = new Set(peer.calls.map((call) => (call.Item!.id as { S: string }).S));
          const live = new Map<string, string>();
          for (const id of written) {
            const stored = peer.get({ id: { S: id } });
            if (stored !== undefined && stored[names.deleted] === undefined)
              live.set(id, (stored.v as { N: string }).N);
          }
          expect(live).toEqual(expected);
        },
      ),
      150,
    );
  });
});
