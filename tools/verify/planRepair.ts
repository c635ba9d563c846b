import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { readMergeMetadata } from '../../conflict/merge/itemState.js';
import { decideMerge } from '../../conflict/merge/mergeItems.js';
import { MergeDecisions, type MergeNames } from '../../conflict/merge/types.js';
import { compareVersions, encodeVersion, tryDecodeVersion } from '../../conflict/version.js';
import type { MetadataNames } from '../../core/config/topology.js';
import type { AttributeValue, Item } from '../../core/types.js';
import {
  DifferenceKinds,
  type DriftKind,
  type RepairOutcome,
  RepairOutcomes,
  type RepairSkipCode,
  RepairSkipCodes,
} from './types.js';

/** What {@link planRepair} needs to know about the deployment and the read. */
export interface RepairContext {
  readonly names: MetadataNames;
  /** Active-active: a repair carries the source item's own version. One-way: a derived one. */
  readonly compareVersions: boolean;
  /** The source region (origin of derived versions). */
  readonly from: string;
  /** When the source was read consistently, epoch ms (derived versions are taken from it). */
  readonly sourceReadAtMs: number;
  /** How long tombstones live, seconds (`tombstones.retentionDays`). */
  readonly tombstoneRetentionSeconds: number;
  /** The target table's key attribute names (a tombstone holds the key and metadata only). */
  readonly targetKeyNames: readonly string[];
}

/**
 * One repair write: a conditional PutItem of the source's state (an item or a tombstone) to the target.
 * - `notNewer`: written unless the target holds a *newer* version (`attribute_not_exists(#v) OR #v <= :v`);
 * - `unchanged`: written only if the target still holds the version read (`#v = :seen`, or no version).
 */
export type RepairPlan =
  | {
      readonly type: 'put';
      readonly action: 'put' | 'tombstone';
      readonly item: Item;
      readonly version: string;
      readonly condition:
        | { readonly type: 'notNewer' }
        | { readonly type: 'unchanged'; readonly seen: AttributeValue | undefined };
    }
  | { readonly type: 'skip'; readonly action: 'put' | 'tombstone'; readonly code: RepairSkipCode };

/**
 * The version of a repair when the source's own cannot be used (one-way, or a tombstone for an item
 * the source does not hold): the lowest version of the second *before* the source was read.
 *
 * ```
 * 12:00:06.300 source read ─┐
 * repair version  = 12:00:05.000.000000.<from>~0…0      (lowest of the second before)
 * a later source change, stream time ≥ 12:00:06         → newer: it still overwrites the repair
 * the replica's old version (12:00:05.000 or older)      → older: the repair overwrites it
 * ```
 * So a change made after the read is never lost behind the repair (the stream-time versions of
 * one-way count whole seconds in Lambda); the cost is that a target written in the last second before
 * the read is left alone (`stale`): run verify again. Assumes the verifying host's clock is within
 * a second of DynamoDB's.
 */
export const derivedRepairVersion = (sourceReadAtMs: number, from: string): string =>
  encodeVersion({
    physicalMs: Math.max(0, Math.floor(sourceReadAtMs / 1000) * 1000 - 1000),
    logical: 0,
    origin: from,
    sequence: '0',
  });

const isValidVersion = (value: AttributeValue | undefined): value is { readonly S: string } =>
  value !== undefined && 'S' in value && tryDecodeVersion(value.S) !== undefined;

/**
 * Plans the repair of one drifted key from the source's and the target's consistent reads. Pure.
 *
 * - `missing` / `different`: put the source's item (after its transform) with `<prefix>rep`, as the
 *   replicator writes it, unless the target holds a newer version. Active-active keeps the source's
 *   version (an unstamped source item is skipped, `verify.unstampedSource`: the replicator rejects it
 *   too); one-way uses {@link derivedRepairVersion} (of time 0, the lowest version, when the target
 *   holds nothing for the key). `<=`, not replication's `<`: a target holding
 *   the *same* version with other content (an unstamped write in the target region) is repaired too.
 * - `extra`, source holds a tombstone: put the tombstone the same way.
 * - `extra`, source holds nothing (its tombstone expired, or it never existed): put a tombstone with a
 *   derived version, only if the target still holds the version read. A tombstone, not a delete: an
 *   older change still in flight then finds a newer version and is skipped, instead of bringing the
 *   item back; TTL removes the tombstone after `tombstones.retentionDays`.
 */
export const planRepair = (
  kind: DriftKind,
  source: Item | undefined,
  target: Item | undefined,
  context: RepairContext,
): RepairPlan => {
  const { names } = context;
  const derived = () => derivedRepairVersion(context.sourceReadAtMs, context.from);
  const stamp = (item: Item, version: string): Item => ({
    ...item,
    [names.version]: { S: version },
    [names.replicated]: { BOOL: true },
  });
  if (kind === DifferenceKinds.extra && source === undefined) {
    if (target === undefined) throw new Error('planRepair: an extra item needs the target item');
    const version = derived();
    const seen = target[names.version];
    const seenVersion = isValidVersion(seen) ? tryDecodeVersion(seen.S) : undefined;
    if (seenVersion !== undefined && compareVersions(seenVersion, tryDecodeVersion(version)!) >= 0)
      return { type: 'skip', action: 'tombstone', code: RepairSkipCodes.targetNewer };
    const physicalMs = tryDecodeVersion(version)!.physicalMs;
    return {
      type: 'put',
      action: 'tombstone',
      item: {
        ...Object.fromEntries(context.targetKeyNames.map((name) => [name, target[name]!])),
        [names.version]: { S: version },
        [names.replicated]: { BOOL: true },
        [names.deleted]: { BOOL: true },
        [names.expires]: { N: String(Math.floor(physicalMs / 1000) + context.tombstoneRetentionSeconds) },
      },
      version,
      condition: { type: 'unchanged', seen },
    };
  }
  if (source === undefined) throw new Error(`planRepair: a ${kind} item needs the source item`);
  const action = kind === DifferenceKinds.extra ? 'tombstone' : 'put';
  if (!context.compareVersions) {
    // Nothing at the target: the lowest version beats only "absent", so no live change can hide
    // behind it, whatever the stream's time granularity (DynamoDB Local counts whole minutes).
    const version =
      kind === DifferenceKinds.missing && target === undefined
        ? derivedRepairVersion(0, context.from)
        : derived();
    return { type: 'put', action, item: stamp(source, version), version, condition: { type: 'notNewer' } };
  }
  const own = source[names.version];
  if (!isValidVersion(own)) return { type: 'skip', action, code: RepairSkipCodes.unstampedSource };
  return { type: 'put', action, item: stamp(source, own.S), version: own.S, condition: { type: 'notNewer' } };
};

/**
 * What a repair would do, judged from the target's consistent read: for `--dry-run`. DynamoDB's
 * condition decides for real; the target may change in between.
 */
export const predictRepair = (
  plan: RepairPlan,
  target: Item | undefined,
  names: MetadataNames,
): RepairOutcome => {
  if (plan.type === 'skip') return RepairOutcomes.wouldSkip;
  const current = target?.[names.version];
  if (plan.condition.type === 'unchanged') return RepairOutcomes.wouldRepair;
  if (!isValidVersion(current))
    return current === undefined ? RepairOutcomes.wouldRepair : RepairOutcomes.wouldSkip;
  return current.S <= plan.version ? RepairOutcomes.wouldRepair : RepairOutcomes.wouldSkip;
};

/**
 * {@link predictRepair} under `conflict.strategy: "merge"`, where vector clocks decide (see
 * `sendMergeRepair`): a target whose clock covers the source's is left alone; after it or concurrent
 * with it, the repair writes (the source's item, or the two merged).
 */
export const predictMergeRepair = (
  plan: RepairPlan,
  target: Item | undefined,
  names: MergeNames,
): RepairOutcome => {
  if (plan.type === 'skip') return RepairOutcomes.wouldSkip;
  if (plan.condition.type === 'unchanged' || target === undefined) return RepairOutcomes.wouldRepair;
  try {
    const decision = decideMerge(
      readMergeMetadata(plan.item, names).clock,
      readMergeMetadata(target, names).clock,
    );
    return decision === MergeDecisions.stale ? RepairOutcomes.wouldSkip : RepairOutcomes.wouldRepair;
  } catch {
    return RepairOutcomes.wouldSkip; // metadata that is not dynasync's: the merge writer refuses it
  }
};

/**
 * The exact SDK input of a repair write. Pure: building a request is separate from sending it.
 *
 * ```
 * notNewer   target v=…05 (or none)  repair v=…07  → written
 *            target v=…07            repair v=…07  → written (same version, other content: repaired)
 *            target v=…09            repair v=…07  → ConditionalCheckFailed (stale: never overwrites newer)
 * unchanged  target v=…05 as read    tombstone v=…07 → written
 *            target v=…06 since      tombstone v=…07 → ConditionalCheckFailed (stale: it changed)
 * ```
 */
export const buildRepairInput = (
  tableName: string,
  plan: Extract<RepairPlan, { type: 'put' }>,
  names: MetadataNames,
): PutItemCommandInput => {
  const base = {
    TableName: tableName,
    Item: plan.item as PutItemCommandInput['Item'],
    ExpressionAttributeNames: { '#v': names.version },
  };
  if (plan.condition.type === 'notNewer')
    return {
      ...base,
      ConditionExpression: 'attribute_not_exists(#v) OR #v <= :v',
      ExpressionAttributeValues: { ':v': { S: plan.version } },
    };
  const { seen } = plan.condition;
  if (seen === undefined) return { ...base, ConditionExpression: 'attribute_not_exists(#v)' };
  return {
    ...base,
    ConditionExpression: '#v = :seen',
    ExpressionAttributeValues: {
      ':seen': seen as NonNullable<PutItemCommandInput['ExpressionAttributeValues']>[string],
    },
  };
};
