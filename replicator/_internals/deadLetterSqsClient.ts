import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../../core/config/types.js';
import { accountCredentials } from '../clients.js';

/**
 * The SQS client of a region's dead-letter queue: `given` when there is one, else a client for the
 * region's AWS region with the region's account credentials (when it names any).
 */
export const deadLetterSqsClient = (
  config: Config,
  region: string,
  given: SQSClient | undefined,
): SQSClient => {
  if (given !== undefined) return given;
  const regionConfig = config.regions[region];
  const credentials = regionConfig === undefined ? undefined : accountCredentials(region, regionConfig);
  return new SQSClient({
    region: regionConfig?.awsRegion ?? region,
    ...(credentials === undefined ? {} : { credentials }),
  });
};
