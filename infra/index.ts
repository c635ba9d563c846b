/**
 * `dynasync/cdk`: the CDK constructs of a dynasync deployment. Needs the optional peer dependencies
 * `aws-cdk-lib` and `constructs`; the replicator's handler comes prebundled with the package.
 * @example
 * import { App } from 'aws-cdk-lib';
 * import { addDynasyncStacks } from 'dynasync/cdk';
 * import { loadConfigFile } from 'dynasync/core';
 *
 * const app = new App();
 * addDynasyncStacks(app, loadConfigFile('dynasync.json'));
 * app.synth();
 */

// Types the signatures above name, owned by dynasync/core.
export type { Config, DeployConfig } from '../core/config/types.js';
export { addDynasyncStacks, type DynasyncStacksOptions } from './addDynasyncStacks.js';
export {
  LambdaEnv,
  ReplicatorMetrics,
  replicatorMetricDimensions,
  replicatorRoleNameFor,
  stackNameFor,
  tokenKeyEncryptionContext,
} from './constants.js';
export { DeadLetterQueue, type DeadLetterQueueProps } from './DeadLetterQueue.js';
export { DynasyncRegionStack, type DynasyncRegionStackProps } from './DynasyncRegionStack.js';
export { echoFilterPatterns, type FilterPattern } from './echoFilter.js';
export { MaskingKey, type MaskingKeyProps } from './MaskingKey.js';
export { type KeyAttribute, ReplicatedTable, type ReplicatedTableProps } from './ReplicatedTable.js';
export {
  type PeerTarget,
  peerTargetsOf,
  Replicator,
  type ReplicatorFunctionOptions,
  type ReplicatorProps,
} from './Replicator.js';
export { ReplicatorMonitoring, type ReplicatorMonitoringProps } from './ReplicatorMonitoring.js';
export { prebundledReplicatorDir } from './replicatorCode.js';
export {
  type DeploySettings,
  type EventSourceSettings,
  lambdaConfigDocument,
  resolveDeploy,
  sourcesOf,
  workerConfigDocument,
} from './resolveDeploy.js';
export {
  DynasyncScaleout,
  type DynasyncScaleoutProps,
  JOB_PREFIX,
  PERMANENT_TASK_ERRORS,
  ScaleoutWorkerEnv,
  TRANSIENT_TASK_ERRORS,
} from './scaleout/DynasyncScaleout.js';
