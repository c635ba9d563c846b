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
export { type PeerTarget, peerTargetsOf, Replicator, type ReplicatorProps } from './Replicator.js';
export { ReplicatorMonitoring, type ReplicatorMonitoringProps } from './ReplicatorMonitoring.js';
export {
  type DeploySettings,
  type EventSourceSettings,
  lambdaConfigDocument,
  resolveDeploy,
  sourcesOf,
} from './resolveDeploy.js';
