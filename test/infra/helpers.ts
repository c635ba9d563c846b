import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfigFile, parseConfig } from '../../core/config/loadConfig.js';
import type { ConfigInput } from '../../core/config/schema.js';
import type { Config } from '../../core/config/types.js';
import { addDynasyncStacks } from '../../infra/addDynasyncStacks.js';
import type { DynasyncRegionStack } from '../../infra/DynasyncRegionStack.js';
import { PROJECT_ROOT } from '../../infra/Replicator.js';

/** The example config the CDK app synthesises by default. */
export const EXAMPLE_CONFIG_FILE = join(PROJECT_ROOT, 'examples', 'dynasync.example.json');

export const exampleConfig = (): Config => loadConfigFile(EXAMPLE_CONFIG_FILE);

/**
 * A two-region active-active config; `overrides` replace top-level sections.
 * @example testConfig({ deploy: { filterEchoes: false } })
 */
export const testConfig = (overrides: Partial<ConfigInput> = {}): Config =>
  parseConfig({
    version: 1,
    name: 'orders',
    regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders-us' } },
    topology: { type: 'active-active' },
    ...overrides,
  });

/** The stacks of one synthesised app, by region key, with their templates. */
export interface SynthesisedApp {
  readonly app: App;
  readonly stacks: Readonly<Record<string, DynasyncRegionStack>>;
  readonly templates: Readonly<Record<string, Template>>;
  /** Stack names in the order the app created them. */
  readonly order: readonly string[];
}

/** Options of {@link synthesise}. */
export interface SynthesiseOptions {
  /** Bundle the replicator with esbuild. @default false: bundling is skipped the CDK's own way (`aws:cdk:bundling-stacks`) */
  readonly bundle?: boolean;
  /** Run the CDK's built-in CloudFormation template validation (about 5 s the first time). @default false */
  readonly validate?: boolean;
  /** Passed to {@link addDynasyncStacks}. @default none */
  readonly readerRoleArn?: string;
}

const outputs: string[] = [];

/** Deletes the temporary folders {@link synthesise} made in this test file (call it in `afterAll`). */
export const removeSynthOutputs = (): void => {
  for (const dir of outputs.splice(0)) rmSync(dir, { recursive: true, force: true });
};

/** Builds and synthesises the dynasync stacks of a config into a fresh temporary folder. */
export const synthesise = (config: Config, options: SynthesiseOptions = {}): SynthesisedApp => {
  const outdir = mkdtempSync(join(tmpdir(), 'dynasync-cdk-'));
  outputs.push(outdir);
  const app = new App({
    outdir,
    builtinCloudFormationValidation: options.validate ?? false,
    ...(options.bundle === true ? {} : { context: { 'aws:cdk:bundling-stacks': [] } }),
  });
  const list = addDynasyncStacks(
    app,
    config,
    options.readerRoleArn === undefined ? {} : { readerRoleArn: options.readerRoleArn },
  );
  app.synth();
  return {
    app,
    stacks: Object.fromEntries(list.map((stack) => [stack.regionName, stack])),
    templates: Object.fromEntries(list.map((stack) => [stack.regionName, Template.fromStack(stack)])),
    order: list.map((stack) => stack.stackName),
  };
};

/** One IAM policy statement of a template, with where it came from. */
export interface FoundStatement {
  readonly logicalId: string;
  readonly statement: { Action: string | string[]; Resource?: unknown; Condition?: unknown; Effect: string };
}

/** Every statement of every identity policy in a template (AWS::IAM::Policy, ManagedPolicy, and roles' inline policies). */
export const iamStatements = (template: Template): FoundStatement[] => {
  const found: FoundStatement[] = [];
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  for (const [logicalId, resource] of Object.entries(resources)) {
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
      documents.push(resource.Properties?.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of (resource.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? [])
        documents.push(policy.PolicyDocument);
    }
    for (const document of documents) {
      for (const statement of (document as { Statement: FoundStatement['statement'][] }).Statement)
        found.push({ logicalId, statement });
    }
  }
  return found;
};

const actionsOf = (statement: FoundStatement['statement']): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** The actions granted on resources, per IAM policy of a template, for services matching `prefix`. */
export const grantedActions = (template: Template, logicalIdPrefix: string): string[] =>
  iamStatements(template)
    .filter((found) => found.logicalId.startsWith(logicalIdPrefix))
    .flatMap((found) => actionsOf(found.statement))
    .sort();

/**
 * Statements that grant a DynamoDB, SQS or KMS action on a resource containing `*`
 * (a bare `*`, or a pattern such as `table/*`). Resources are compared as their JSON text, so an
 * ARN built with `Fn::Join` is checked piece by piece.
 */
export const wildcardStatements = (template: Template): FoundStatement[] =>
  iamStatements(template).filter(
    ({ statement }) =>
      actionsOf(statement).some((action) => /^(dynamodb|sqs|kms):/i.test(action) || action === '*') &&
      JSON.stringify(statement.Resource ?? '*').includes('*'),
  );
