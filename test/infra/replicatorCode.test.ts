import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../core/config/types.js';
import { LambdaEnv } from '../../infra/constants.js';
import { PROJECT_ROOT, Replicator } from '../../infra/Replicator.js';
import { PREBUNDLED_REPLICATOR_PATH, prebundledReplicatorDir } from '../../infra/replicatorCode.js';
import { testConfig } from './helpers.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

/** A stand-in for dist/lambda/replicator: what matters here is where the code is taken from. */
const prebundledFolder = (): string => {
  const dir = tempDir('dynasync-prebundled-');
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({ batchItemFailures: [] });\n');
  writeFileSync(join(dir, 'index.mjs.map'), '{"version":3,"sources":[],"mappings":""}\n');
  return dir;
};

/** One Replicator in a stack of a fresh app (bundling on), synthesised. */
const synthReplicator = (config: Config, props: { code?: string } = {}) => {
  const outdir = tempDir('dynasync-cdk-');
  const app = new App({ outdir });
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const table = dynamodb.Table.fromTableAttributes(stack, 'Table', {
    tableName: 'orders',
    tableStreamArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/orders/stream/2026-01-01T00:00:00.000',
  });
  const replicator = new Replicator(stack, 'Replicator', { config, region: 'eu-west-1', table, ...props });
  app.synth();
  const template = Template.fromStack(stack);
  const functions = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { [LambdaEnv.config]: Match.anyValue() } } },
    }),
  ) as Array<{ Properties: { Handler: string; Runtime: string; Code: { S3Key: string } } }>;
  expect(functions).toHaveLength(1);
  const fn = functions[0]!.Properties;
  const assetDir = join(outdir, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`);
  expect(statSync(assetDir).isDirectory()).toBe(true);
  return { replicator, fn, assetDir };
};

const config = () => testConfig({ deploy: { maskingKeys: false } });

describe('where the replicator code comes from', () => {
  it('finds no prebundled code in this repository (infra/ runs from source), and finds it under a build output root', () => {
    expect(prebundledReplicatorDir()).toBeUndefined();
    const root = tempDir('dynasync-dist-');
    expect(prebundledReplicatorDir(root)).toBeUndefined();
    mkdirSync(join(root, PREBUNDLED_REPLICATOR_PATH), { recursive: true });
    writeFileSync(join(root, PREBUNDLED_REPLICATOR_PATH, 'index.mjs'), 'export const handler = () => {};\n');
    expect(prebundledReplicatorDir(root)).toBe(join(root, 'lambda', 'replicator'));
  });

  it('deploys a prebundled folder as it is: a plain Function, index.handler, the same runtime, nothing bundled', () => {
    const dir = prebundledFolder();
    const { replicator, fn, assetDir } = synthReplicator(config(), { code: dir });
    expect(replicator.function).toBeInstanceOf(lambda.Function);
    expect(replicator.function).not.toBeInstanceOf(nodejs.NodejsFunction);
    expect(fn.Handler).toBe('index.handler');
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toBe(
      readFileSync(join(dir, 'index.mjs'), 'utf8'),
    );
  });

  it('adds the merge module a config names next to the prebundled code, bundled locally (no Docker)', () => {
    const dockerBefore = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/nonexistent/docker-must-not-run';
    try {
      const merge = join(PROJECT_ROOT, 'examples', 'merges', 'newestWins.mjs');
      const { assetDir } = synthReplicator(
        testConfig({ conflict: { strategy: 'merge', module: merge }, deploy: { maskingKeys: false } }),
        { code: prebundledFolder() },
      );
      expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
      expect(readdirSync(join(assetDir, 'modules'))).toEqual(['merge.mjs']);
    } finally {
      if (dockerBefore === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = dockerBefore;
    }
  });

  it('refuses a code folder without index.mjs, naming the folder', () => {
    const empty = tempDir('dynasync-empty-');
    expect(() => synthReplicator(config(), { code: empty })).toThrow(/has no index\.mjs/);
  });
});
