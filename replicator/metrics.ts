import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BatchResult } from './types.js';

/** Namespace of dynasync's CloudWatch metrics. */
export const METRICS_NAMESPACE = 'dynasync';

/** Metric names, as the CDK app's alarms and dashboard use them. */
export const MetricNames = {
  applied: 'Applied',
  stale: 'Stale',
  deadLettered: 'DeadLettered',
  retried: 'Retried',
  unfinished: 'Unfinished',
  echoes: 'EchoesSkipped',
  records: 'Records',
  lag: 'ReplicationLagMs',
  deadLetterOversize: 'DeadLetterOversize',
  conflicts: 'Conflicts',
} as const;

/** Where the replicator reports the counts of each batch. */
export interface ReplicatorMetrics {
  /** Records one batch's counts and lag, and publishes them. */
  publish(result: BatchResult): void;
  /** Counts a dead letter whose record did not fit into a queue message. */
  oversize(): void;
}

/**
 * Metrics as CloudWatch Embedded Metric Format (Powertools Metrics): one EMF line per batch on
 * stdout, which CloudWatch turns into metrics with no API call from the Lambda. Dimensions:
 * `service` = "dynasync", `Deployment` = the config's name, `Region` = the source region.
 * Lag is the time from the newest applied change's stream record to its write at the peer.
 */
export const emfMetrics = (deployment: string, region: string): ReplicatorMetrics => {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: 'dynasync',
    defaultDimensions: { Deployment: deployment, Region: region },
  });
  return {
    publish: (result) => {
      const { counts } = result;
      metrics.addMetric(MetricNames.records, MetricUnit.Count, counts.records);
      metrics.addMetric(MetricNames.applied, MetricUnit.Count, counts.applied);
      metrics.addMetric(MetricNames.stale, MetricUnit.Count, counts.stale);
      metrics.addMetric(MetricNames.deadLettered, MetricUnit.Count, counts.deadLettered);
      metrics.addMetric(MetricNames.retried, MetricUnit.Count, counts.retried);
      metrics.addMetric(MetricNames.unfinished, MetricUnit.Count, counts.unfinished);
      metrics.addMetric(MetricNames.echoes, MetricUnit.Count, counts.skipped.echo);
      if (counts.conflicts !== undefined)
        metrics.addMetric(MetricNames.conflicts, MetricUnit.Count, counts.conflicts);
      if (result.lagMs !== undefined)
        metrics.addMetric(MetricNames.lag, MetricUnit.Milliseconds, result.lagMs);
      metrics.publishStoredMetrics();
    },
    oversize: () => {
      metrics.addMetric(MetricNames.deadLetterOversize, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    },
  };
};
