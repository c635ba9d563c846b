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

/** What every alarm and widget of one replicator shares: its period, names and own metrics. */
interface MonitoringContext {
  readonly period: Duration;
  /** `dynasync-<deployment>-<region>`: the dashboard's name and the alarms' prefix. */
  readonly prefix: string;
  /** `<region> → <peer>, <peer>` (for titles and descriptions). */
  readonly direction: string;
  /** A metric the handler reports (`dynasync/…`), with this replicator's dimensions. */
  readonly own: (metricName: string, statistic: string) => cloudwatch.Metric;
}

/** The metrics both an alarm and the dashboard show. */
interface ReplicatorMonitoringMetrics {
  readonly iteratorAge: cloudwatch.IMetric;
  readonly errors: cloudwatch.IMetric;
  readonly throttles: cloudwatch.IMetric;
  readonly depth: cloudwatch.IMetric;
  readonly lag: cloudwatch.IMetric;
}

/** One alarm: its construct id, the name's suffix, what it watches and what its breach means. */
interface AlarmSpec {
  readonly id: string;
  readonly suffix: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly what: string;
}

const monitoringContextOf = (props: ReplicatorMonitoringProps): MonitoringContext => {
  const { deployment, region } = props;
  const period = Duration.seconds(props.alarms.periodSeconds);
  const dimensionsMap = { ...replicatorMetricDimensions(deployment, region) };
  return {
    period,
    prefix: `dynasync-${deployment}-${region}`,
    direction: `${region} → ${props.peers.join(', ')}`,
    own: (metricName, statistic) =>
      new cloudwatch.Metric({
        namespace: ReplicatorMetrics.namespace,
        metricName,
        dimensionsMap,
        statistic,
        period,
      }),
  };
};

const replicatorMetricsOf = (
  props: ReplicatorMonitoringProps,
  { own, period }: MonitoringContext,
): ReplicatorMonitoringMetrics => ({
  iteratorAge: props.function.metric('IteratorAge', { statistic: 'Maximum', period }),
  errors: props.function.metricErrors({ statistic: 'Sum', period }),
  throttles: props.function.metricThrottles({ statistic: 'Sum', period }),
  depth: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
    statistic: 'Maximum',
    period,
  }),
  lag: own(ReplicatorMetrics.lag, 'Maximum'),
});

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
    const context = monitoringContextOf(props);
    const metrics = replicatorMetricsOf(props, context);
    const alarm = (spec: AlarmSpec): cloudwatch.Alarm => this.createAlarm(props, context, spec);
    const { alarms } = props;
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    this.iteratorAgeAlarm = alarm({
      id: 'IteratorAgeAlarm',
      suffix: 'iterator-age',
      metric: metrics.iteratorAge,
      threshold: alarms.iteratorAgeMs,
      comparisonOperator: above,
      what: `the oldest unread stream record is older than ${alarms.iteratorAgeMs} ms: the replicator falls behind`,
    });
    this.errorsAlarm = alarm({
      id: 'ErrorsAlarm',
      suffix: 'errors',
      metric: metrics.errors,
      threshold: alarms.errors,
      comparisonOperator: atLeast,
      what: `${alarms.errors}+ failed invocations per period: batches are retried and the shard waits`,
    });
    this.throttlesAlarm = alarm({
      id: 'ThrottlesAlarm',
      suffix: 'throttles',
      metric: metrics.throttles,
      threshold: alarms.throttles,
      comparisonOperator: atLeast,
      what: `${alarms.throttles}+ throttled invocations per period: raise the account's Lambda concurrency`,
    });
    this.deadLetterDepthAlarm = alarm({
      id: 'DeadLetterDepthAlarm',
      suffix: 'dead-letters',
      metric: metrics.depth,
      threshold: alarms.deadLetterDepth,
      comparisonOperator: atLeast,
      what: `${alarms.deadLetterDepth}+ messages in the dead-letter queue: records that were not replicated`,
    });
    this.replicationLagAlarm = alarm({
      id: 'ReplicationLagAlarm',
      suffix: 'replication-lag',
      metric: metrics.lag,
      threshold: alarms.replicationLagMs,
      comparisonOperator: above,
      what: `replication lag above ${alarms.replicationLagMs} ms`,
    });
    this.dashboard = this.createDashboard(props, context, metrics);
  }

  /** One alarm, named `<prefix>-<suffix>`, notifying the alarm topic (if any) on alarm and on OK. */
  private createAlarm(
    props: ReplicatorMonitoringProps,
    context: MonitoringContext,
    spec: AlarmSpec,
  ): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, spec.id, {
      alarmName: `${context.prefix}-${spec.suffix}`,
      alarmDescription: `dynasync ${props.deployment} (${context.direction}): ${spec.what}. See docs/deploy.md ("What each region's stack holds") and docs/operations.md in the dynasync repository.`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: props.alarms.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic !== undefined) {
      created.addAlarmAction(new actions.SnsAction(props.alarmTopic));
      created.addOkAction(new actions.SnsAction(props.alarmTopic));
    }
    return created;
  }

  /** The dashboard: a title, lag / records / iterator age, invocations / duration / depth, the alarms. */
  private createDashboard(
    props: ReplicatorMonitoringProps,
    context: MonitoringContext,
    metrics: ReplicatorMonitoringMetrics,
  ): cloudwatch.Dashboard {
    const { own, period } = context;
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: context.prefix,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# dynasync ${props.deployment}: ${context.direction}\nThe replicator reading the stream of ${props.region} and writing to ${props.peers.join(', ')}.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph('Replication lag (ms)', [
        own(ReplicatorMetrics.lag, 'p50'),
        own(ReplicatorMetrics.lag, 'p99'),
        metrics.lag,
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
      graph('Stream iterator age (ms)', [metrics.iteratorAge]),
    );
    dashboard.addWidgets(
      graph('Invocations, errors, throttles', [
        props.function.metricInvocations({ statistic: 'Sum', period }),
        metrics.errors,
        metrics.throttles,
      ]),
      graph('Duration (ms)', [
        props.function.metricDuration({ statistic: 'p50', period }),
        props.function.metricDuration({ statistic: 'Maximum', period }),
      ]),
      graph('Dead-letter queue depth', [metrics.depth]),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
    return dashboard;
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
