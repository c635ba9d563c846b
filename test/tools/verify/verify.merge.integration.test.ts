import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynasyncMergeClient } from '../../../client/DynasyncMergeClient.js';
import { mergeNamesFor } from '../../../conflict/merge/types.js';
import { decodeItem, encodeItem } from '../../../core/codec.js';
import type { Item } from '../../../core/types.js';
import { type VerifyOptions, verify } from '../../../tools/verify/verify.js';
import { type RegionPair, regionPair, SOURCE, TARGET } from './verifyHarness.js';

/**
 * `verify --repair` under `conflict.strategy: "merge"`, on DynamoDB Local: a repair is delivered as
 * replication delivers a change, so a target that wrote concurrently keeps its writes (merged), and a
 * target that has already seen the source's state is left alone.
 */

const mergeNames = mergeNamesFor('_ds_');
const spec = { attributes: { views: 'counter' }, default: 'lww' } as const;
const pairs: RegionPair[] = [];
afterEach(async () => {
  for (const pair of pairs.splice(0)) await pair.cleanup();
});

const mergePair = async () => {
  const pair = await regionPair({ conflict: { strategy: 'merge', attributes: spec.attributes } });
  pairs.push(pair);
  const apps = {
    source: new DynasyncMergeClient({ client: pair.source, region: SOURCE, spec }),
    target: new DynasyncMergeClient({ client: pair.target, region: TARGET, spec }),
  };
  const read = async (side: 'source' | 'target', pk: string): Promise<Item | undefined> => {
    const { Item: item } = await pair[side].send(
      new GetItemCommand({
        TableName: side === 'source' ? pair.sourceTable : pair.targetTable,
        Key: { pk: { S: pk } },
        ConsistentRead: true,
      }),
    );
    return item === undefined ? undefined : decodeItem(item);
  };
  return { pair, apps, read };
};

const run = (pair: RegionPair, options: Partial<VerifyOptions>) =>
  verify({
    config: pair.config,
    clients: pair.clients,
    from: SOURCE,
    to: TARGET,
    settleSeconds: 0,
    ...options,
  });

describe('verify --repair under the merge strategy (DynamoDB Local)', () => {
  it('merges a concurrent target state instead of overwriting it, copies a missing item, leaves a target that saw the source alone', async () => {
    // Prepare
    const { pair, apps, read } = await mergePair();
    const at = (side: 'source' | 'target', pk: string) => ({
      TableName: side === 'source' ? pair.sourceTable : pair.targetTable,
      Key: { pk: { S: pk } },
    });
    // missing: only the source holds it.
    await apps.source.update({ ...at('source', 'missing'), set: { name: { S: 'm' } }, add: { views: '4' } });
    // concurrent: each region wrote without seeing the other.
    await apps.source.update({
      ...at('source', 'both'),
      set: { a: { S: 'from-source' } },
      add: { views: '3' },
    });
    await apps.target.update({
      ...at('target', 'both'),
      set: { b: { S: 'from-target' } },
      add: { views: '2' },
    });
    // seen: the target holds the source's state (replicated) and a later write of its own.
    await apps.source.update({ ...at('source', 'seen'), set: { a: { S: 'old' } }, add: { views: '1' } });
    const replica = { ...(await read('source', 'seen'))!, [mergeNames.replicated]: { BOOL: true } };
    await pair.target.send(
      new PutItemCommand({ TableName: pair.targetTable, Item: encodeItem(replica) as never }),
    );
    await apps.target.update({ ...at('target', 'seen'), set: { a: { S: 'newer' } } });
    const seenBefore = await read('target', 'seen');

    // Act
    const dryRun = await run(pair, { repair: true, dryRun: true });
    const repaired = await run(pair, { repair: true });

    // Assess: what the dry run predicted is what the repair did.
    expect(dryRun.counts).toMatchObject({ missing: 1, different: 2 });
    expect(dryRun.repair?.counts).toMatchObject({ wouldRepair: 2, wouldSkip: 1 });
    expect(repaired.repair?.counts).toMatchObject({ repaired: 2, stale: 1, failed: 0 });
    // missing: copied as it is.
    expect((await read('target', 'missing'))?.views).toEqual({ N: '4' });
    // concurrent: both writes kept, counters added up, the clock covers both regions.
    const both = (await read('target', 'both'))!;
    expect(both.a).toEqual({ S: 'from-source' });
    expect(both.b).toEqual({ S: 'from-target' });
    expect(both.views).toEqual({ N: '5' });
    expect(both[mergeNames.clock]).toEqual({ S: `${SOURCE}:1,${TARGET}:1` });
    // seen: untouched.
    expect(await read('target', 'seen')).toEqual(seenBefore);

    // Repairing the other way brings the source up to the merged state: then both directions are clean.
    const back = await verify({
      config: pair.config,
      clients: pair.clients,
      from: TARGET,
      to: SOURCE,
      settleSeconds: 0,
      repair: true,
    });
    expect(back.repair?.counts).toMatchObject({ repaired: 2, failed: 0 });
    expect((await run(pair, {})).inSync).toBe(true);
    expect((await read('source', 'both'))?.views).toEqual({ N: '5' });
  });
});
