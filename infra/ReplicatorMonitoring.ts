import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeployConfig } from '../core/config/types.js';
import { ReplicatorMetrics, replicatorMetricDimensions } from './constants.js';

/** Properties of a {@link ReplicatorMonitoring}. */
export interface ReplicatorMonitoringProps {
  /** Deployment name (`config.name`): the `Deployment` dimension of the replicator's metrics. */
  readonly deployment: string;
  /** Key of `regions` the replicator reads: the `Region` dimension. */
  readonly region: string;
  /** The regions it ships to (for titles). */
  readonly peers: readonly string[];
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** Thresholds and periods. */
  readonly alarms: DeployConfig['alarms'];
  /** Notified when an alarm changes state. @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Alarms and the dashboard of one region's replicator (one direction of a region pair):
 * iterator age, function errors and throttles, dead-letter queue depth and the replication lag the
 * handler reports (`dynasync/ReplicationLagMs`).
 */
export class ReplicatorMonitoring extends Construct {
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;
  public readonly errorsAlarm: cloudwatch.Alarm;
  public readonly throttlesAlarm: cloudwatch.Alarm;
  public readonly deadLetterDepthAlarm: cloudwatch.Alarm;
  public readonly replicationLagAlarm: cloudwatch.Alarm;
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: ReplicatorMonitoringProps) {
    super(scope, id);
    const { alarms, deployment, region } = props;
    const period = Duration.seconds(alarms.periodSeconds);
    const prefix = `dynasync-${deployment}-${region}`;
    const direction = `${region} → ${props.peers.join(', ')}`;
    const dimensionsMap = { ...replicatorMetricDimensions(deployment, region) };
    const own = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: ReplicatorMetrics.namespace,
        metricName,
        dimensionsMap,
        statistic,
        period,
      });

    const iteratorAge = props.function.metric('IteratorAge', { statistic: 'Maximum', period });
    const errors = props.function.metricErrors({ statistic: 'Sum', period });
    const throttles = props.function.metricThrottles({ statistic: 'Sum', period });
    const depth = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period,
    });
    const lag = own(ReplicatorMetrics.lag, 'Maximum');

    const alarm = (
      alarmId: string,
      suffix: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      comparisonOperator: cloudwatch.ComparisonOperator,
      what: string,
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${prefix}-${suffix}`,
        alarmDescription: `dynasync ${deployment} (${direction}): ${what}. See docs/deploy.md ("What each region's stack holds") and docs/operations.md in the dynasync repository.`,
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods: alarms.evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmTopic !== undefined) {
        created.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        created.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
      return created;
    };
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    this.iteratorAgeAlarm = alarm(
      'IteratorAgeAlarm',
      'iterator-age',
      iteratorAge,
      alarms.iteratorAgeMs,
      above,
      `the oldest unread stream record is older than ${alarms.iteratorAgeMs} ms: the replicator falls behind`,
    );
    this.errorsAlarm = alarm(
      'ErrorsAlarm',
      'errors',
      errors,
      alarms.errors,
      atLeast,
      `${alarms.errors}+ failed invocations per period: batches are retried and the shard waits`,
    );
    this.throttlesAlarm = alarm(
      'ThrottlesAlarm',
      'throttles',
      throttles,
      alarms.throttles,
      atLeast,
      `${alarms.throttles}+ throttled invocations per period: raise the account's Lambda concurrency`,
    );
    this.deadLetterDepthAlarm = alarm(
      'DeadLetterDepthAlarm',
      'dead-letters',
      depth,
      alarms.deadLetterDepth,
      atLeast,
      `${alarms.deadLetterDepth}+ messages in the dead-letter queue: records that were not replicated`,
    );
    this.replicationLagAlarm = alarm(
      'ReplicationLagAlarm',
      'replication-lag',
      lag,
      alarms.replicationLagMs,
      above,
      `replication lag above ${alarms.replicationLagMs} ms`,
    );

    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# dynasync ${deployment}: ${direction}\nThe replicator reading the stream of ${region} and writing to ${props.peers.join(', ')}.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Replication lag (ms)', [
        own(ReplicatorMetrics.lag, 'p50'),
        own(ReplicatorMetrics.lag, 'p99'),
        lag,
      ]),
      graph(
        'Records',
        [
          ReplicatorMetrics.records,
          ReplicatorMetrics.applied,
          ReplicatorMetrics.stale,
          ReplicatorMetrics.echoes,
          ReplicatorMetrics.deadLettered,
          ReplicatorMetrics.retried,
          ReplicatorMetrics.unfinished,
        ].map((name) => own(name, 'Sum')),
      ),
      graph('Stream iterator age (ms)', [iteratorAge]),
    );
    this.dashboard.addWidgets(
      graph('Invocations, errors, throttles', [
        props.function.metricInvocations({ statistic: 'Sum', period }),
        errors,
        throttles,
      ]),
      graph('Duration (ms)', [
        props.function.metricDuration({ statistic: 'p50', period }),
        props.function.metricDuration({ statistic: 'Maximum', period }),
      ]),
      graph('Dead-letter queue depth', [depth]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
  }

  /** Every alarm of this replicator. */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.iteratorAgeAlarm,
      this.errorsAlarm,
      this.throttlesAlarm,
      this.deadLetterDepthAlarm,
      this.replicationLagAlarm,
    ];
  }
}
