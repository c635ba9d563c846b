#!/usr/bin/env -S npx tsx
/**
 * The CDK app: one stack per region of a dynasync config.
 *
 *   npx cdk deploy --all -c config=dynasync.json     # through the CDK CLI (cdk.json runs this file)
 *   npm run synth -- --config dynasync.json           # templates only, offline, into cdk.out/
 *   npx cdk deploy --all -c config=dynasync.json -c readerRoleArn=arn:aws:iam::111111111111:role/ops
 *                                                     # an operator role may decrypt with the keys too
 *
 * The config file comes from `-c config=FILE`, `--config FILE`, `DYNASYNC_CONFIG_FILE`, or else the
 * example `examples/dynasync.example.json`. Synthesis makes no AWS calls: no lookups, and the
 * replicator is bundled by the local esbuild (never Docker).
 */
import { join, resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfigFile } from '../core/config/loadConfig.js';
import { isDynasyncError } from '../core/errors.js';
import { addDynasyncStacks } from './addDynasyncStacks.js';
import { PROJECT_ROOT } from './Replicator.js';

const argumentValue = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
};

// Run by the CDK CLI, CDK_OUTDIR names the output folder; run directly, write to cdk.out/.
const app = new App(process.env.CDK_OUTDIR === undefined ? { outdir: join(PROJECT_ROOT, 'cdk.out') } : {});
const configFile =
  (app.node.tryGetContext('config') as string | undefined) ??
  argumentValue('--config') ??
  process.env.DYNASYNC_CONFIG_FILE ??
  join(PROJECT_ROOT, 'examples', 'dynasync.example.json');

try {
  const config = loadConfigFile(resolve(configFile));
  const readerRoleArn = app.node.tryGetContext('readerRoleArn') as string | undefined;
  const stacks = addDynasyncStacks(app, config, readerRoleArn === undefined ? {} : { readerRoleArn });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  if (process.env.CDK_OUTDIR === undefined) {
    console.log(
      `dynasync: synthesised ${stacks.map((stack) => stack.stackName).join(', ')} from ${configFile} into cdk.out/`,
    );
  }
} catch (error) {
  if (!isDynasyncError(error)) throw error;
  console.error(`dynasync: ${error.message}\n(${error.code})`);
  process.exitCode = 1;
}
