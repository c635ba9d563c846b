import { readFile } from 'node:fs/promises';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localEndpointFlags } from '../../core/config/localEndpoint.js';
import type { Config } from '../../core/config/types.js';
import { isDynasyncError } from '../../core/errors.js';
import { deadLetterPath } from '../../replicator/deadLetter/createDeadLetterSink.js';
import { decodeDeadLetter } from '../../replicator/deadLetter/encodeDeadLetter.js';
import { checkpointPath } from '../../replicator/poller/FileCheckpointStore.js';
import { readStatusFile, statusPath } from '../../replicator/poller/StatusFile.js';
import type { DeadLetterReading, RegionReadings } from './types.js';

/** The AWS clients `status` reads with; each is created for a region when not given. */
export interface StatusClients {
  readonly sqs?: (region: string) => Pick<SQSClient, 'send'>;
  readonly cloudWatch?: (region: string) => Pick<CloudWatchClient, 'send'>;
}

/** How far back CloudWatch is asked for `IteratorAge`, ms. */
export const ITERATOR_AGE_WINDOW_MS = 10 * 60_000;

const readText = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/** Distinct dead letters in a file sink's JSON-lines file, and the lines that hold none. */
export const countFileDeadLetters = (text: string): { waiting: number; unreadableLines: number } => {
  const ids = new Set<string>();
  let unreadableLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      ids.add(decodeDeadLetter(line).id);
    } catch {
      unreadableLines += 1;
    }
  }
  return { waiting: ids.size, unreadableLines };
};

const savedAtOf = (text: string | undefined): string | undefined => {
  if (text === undefined) return undefined;
  try {
    const savedAt = (JSON.parse(text) as { savedAt?: unknown }).savedAt;
    return typeof savedAt === 'string' ? savedAt : undefined;
  } catch {
    return undefined;
  }
};

const awsRegionOf = (config: Config, region: string): string => config.regions[region]?.awsRegion ?? region;

const readDeadLetters = async (
  config: Config,
  region: string,
  clients: StatusClients,
): Promise<DeadLetterReading> => {
  if (config.deadLetter.type === 'file') {
    const path = deadLetterPath(config, region);
    const text = await readText(path);
    return {
      source: 'file',
      path,
      ...(text === undefined ? { waiting: 0, unreadableLines: 0 } : countFileDeadLetters(text)),
    };
  }
  const queueUrl = config.deadLetter.queues[region];
  if (queueUrl === undefined) {
    return {
      source: 'none',
      reason: `deadLetter.queues has no queue for ${region} (the Lambda takes its DLQ from DYNASYNC_DLQ_URL)`,
    };
  }
  const sqs = clients.sqs?.(region) ?? new SQSClient({ region: awsRegionOf(config, region) });
  const response = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return {
    source: 'sqs',
    queueUrl,
    waiting: Number(response.Attributes?.ApproximateNumberOfMessages ?? '0'),
  };
};

/** The newest `IteratorAge` (Maximum per minute, ms) of a function; null without datapoints. */
export const readIteratorAge = async (
  cloudWatch: Pick<CloudWatchClient, 'send'>,
  functionName: string,
  nowMs: number,
): Promise<number | null> => {
  const response = await cloudWatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: functionName }],
      StartTime: new Date(nowMs - ITERATOR_AGE_WINDOW_MS),
      EndTime: new Date(nowMs),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  let newest: { at: number; value: number } | undefined;
  for (const point of response.Datapoints ?? []) {
    const at = point.Timestamp?.getTime();
    if (at === undefined || point.Maximum === undefined) continue;
    if (newest === undefined || at > newest.at) newest = { at, value: point.Maximum };
  }
  return newest === undefined ? null : newest.value;
};

/**
 * Reads what `status` judges for one source region: the poller's status file and checkpoint,
 * the dead letters waiting, and (with a function name) the function's iterator age.
 * @throws errors of the file system, SQS and CloudWatch (the command exits 2).
 */
export const collectRegion = async (input: {
  readonly config: Config;
  readonly region: string;
  readonly functionName?: string | undefined;
  readonly clients?: StatusClients;
  readonly nowMs: number;
}): Promise<RegionReadings> => {
  const { config, region } = input;
  const clients = input.clients ?? {};
  const path = statusPath(config, region);
  let status: RegionReadings['status'];
  let statusError: RegionReadings['statusError'];
  try {
    status = await readStatusFile(path);
  } catch (error) {
    if (!isDynasyncError(error)) throw error;
    statusError = { code: error.code, message: error.message };
  }
  const checkpoint = checkpointPath(config, region);
  const [checkpointText, deadLetters] = await Promise.all([
    readText(checkpoint),
    readDeadLetters(config, region, clients),
  ]);
  let iteratorAgeMs: number | null | undefined;
  if (input.functionName !== undefined) {
    const cloudWatch =
      clients.cloudWatch?.(region) ?? new CloudWatchClient({ region: awsRegionOf(config, region) });
    iteratorAgeMs = await readIteratorAge(cloudWatch, input.functionName, input.nowMs);
  }
  return {
    region,
    statusPath: path,
    status,
    ...(statusError === undefined ? {} : { statusError }),
    checkpointPath: checkpoint,
    checkpointSavedAt: savedAtOf(checkpointText),
    deadLetters,
    endpointFlags: localEndpointFlags(config.regions),
    ...(input.functionName === undefined ? {} : { functionName: input.functionName, iteratorAgeMs }),
  };
};
