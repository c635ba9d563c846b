import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { abortableDelay } from '../../core/async/abortableDelay.js';
import type { MetadataNames } from '../../core/config/topology.js';
import { itemSize, MAX_ITEM_BYTES } from '../../core/itemSize.js';
import { backoffDelay, classifyError, ErrorClasses } from '../../replicator/classifyError.js';
import type { RetryPolicy } from '../_shared/withRetries.js';
import { buildRepairInput, type RepairPlan } from './planRepair.js';
import { RepairOutcomes, type RepairResult, RepairSkipCodes } from './types.js';

/**
 * Sends one repair write: the conditional put of {@link buildRepairInput}, with the replicator's error
 * classification and full-jitter backoff. A failed condition is `stale` (the target changed or holds
 * newer data, and is left alone), never an error.
 */
export const sendRepair = async (
  client: DynamoDBClient,
  tableName: string,
  plan: Extract<RepairPlan, { type: 'put' }>,
  names: MetadataNames,
  retry: RetryPolicy,
  signal?: AbortSignal,
): Promise<RepairResult> => {
  if (itemSize(plan.item) > MAX_ITEM_BYTES)
    return { outcome: RepairOutcomes.failed, action: plan.action, code: RepairSkipCodes.itemTooLarge };
  const input = buildRepairInput(tableName, plan, names);
  const sleep = retry.sleep ?? abortableDelay;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await client.send(new PutItemCommand(input), signal === undefined ? {} : { abortSignal: signal });
      return { outcome: RepairOutcomes.repaired, action: plan.action };
    } catch (error) {
      const kind = classifyError(error);
      if (kind === ErrorClasses.stale) return { outcome: RepairOutcomes.stale, action: plan.action };
      if (kind === ErrorClasses.permanent || signal?.aborted === true)
        return { outcome: RepairOutcomes.failed, action: plan.action, code: RepairSkipCodes.writeRejected };
      if (attempt + 1 >= retry.attempts)
        return { outcome: RepairOutcomes.failed, action: plan.action, code: RepairSkipCodes.unfinished };
      await sleep(backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs, retry.random), signal);
    }
  }
};
