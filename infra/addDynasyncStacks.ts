import type { Construct } from 'constructs';
import type { Config } from '../core/config/types.js';
import { stackNameFor } from './constants.js';
import { DynasyncRegionStack, type DynasyncRegionStackProps } from './DynasyncRegionStack.js';
import type { MaskingKey } from './MaskingKey.js';
import type { ReplicatorFunctionOptions } from './Replicator.js';
import { resolveDeploy } from './resolveDeploy.js';

/** Options of {@link addDynasyncStacks}. */
export interface DynasyncStacksOptions {
  /** The replicator's Lambda entry file. @default `replicator/handler.ts` of this repository */
  readonly replicatorEntry?: string;
  /** Memory, reserved concurrency and tracing of every region's replicator function; see {@link ReplicatorFunctionOptions}. @default each from `deploy.lambda` */
  readonly replicatorFunction?: ReplicatorFunctionOptions;
  /** ARN of the operator's role that may decrypt with every region's keys; see {@link DynasyncRegionStackProps.readerRoleArn}. @default none */
  readonly readerRoleArn?: string;
}

/**
 * Adds one {@link DynasyncRegionStack} per region of the config, the KMS primary region's first
 * (the other regions' replica keys reference its key, so it deploys first). Stack ids and names are
 * `dynasync-<name>-<region>`.
 *
 * @example
 * const app = new App();
 * addDynasyncStacks(app, loadConfigFile('dynasync.json'));
 */
export const addDynasyncStacks = (
  scope: Construct,
  config: Config,
  options: DynasyncStacksOptions = {},
): DynasyncRegionStack[] => {
  const deploy = resolveDeploy(config);
  const order = [
    deploy.kmsPrimaryRegion,
    ...Object.keys(config.regions).filter((name) => name !== deploy.kmsPrimaryRegion),
  ];
  let primary: MaskingKey | undefined;
  return order.map((region) => {
    const stack = new DynasyncRegionStack(scope, stackNameFor(config.name, region), {
      config,
      region,
      ...(primary === undefined ? {} : { maskingKeyPrimary: primary }),
      ...(options.replicatorEntry === undefined ? {} : { replicatorEntry: options.replicatorEntry }),
      ...(options.replicatorFunction === undefined ? {} : { replicatorFunction: options.replicatorFunction }),
      ...(options.readerRoleArn === undefined ? {} : { readerRoleArn: options.readerRoleArn }),
    });
    if (region === deploy.kmsPrimaryRegion) primary = stack.maskingKey;
    return stack;
  });
};
