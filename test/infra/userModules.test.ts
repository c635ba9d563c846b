import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynasyncError } from '../../core/errors.js';
import { LambdaEnv } from '../../infra/constants.js';
import { PROJECT_ROOT } from '../../infra/Replicator.js';
import { removeSynthOutputs, type SynthesisedApp, synthesise, testConfig } from './helpers.js';

afterAll(removeSynthOutputs);

const MERGE_MODULE = join(PROJECT_ROOT, 'examples', 'merges', 'newestWins.mjs');
/** Relative: a map stage's module resolves against the working directory, as the CLI resolves it. */
const MAP_MODULE = 'test/infra/fixtures/mapStage.mjs';

/** Active-active under the merge strategy, with a user merge. */
const mergeConfig = (mergeModule = MERGE_MODULE) =>
  testConfig({ conflict: { strategy: 'merge', module: mergeModule }, deploy: { maskingKeys: false } });

/** One-way with a map stage for the peer (map stages need one-way). */
const mapConfig = () =>
  testConfig({
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
    pipelines: {
      'us-east-1': { key: ['pk'], stages: [{ type: 'map', id: 'reshape', module: MAP_MODULE }] },
    },
    deploy: { maskingKeys: false },
  });

/** What the tests read of the config document a function gets. */
interface LambdaConfigView {
  readonly conflict: { readonly module?: string };
  readonly pipelines: Record<string, { readonly stages: ReadonlyArray<{ readonly module?: string }> }>;
}

/** The replicator function of a region (the one that gets the config). */
const replicatorFunction = (synth: SynthesisedApp, region: string) => {
  const functions = Object.values(
    synth.templates[region]!.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { [LambdaEnv.config]: Match.anyValue() } } },
    }),
  ) as Array<{ Properties: { Environment: { Variables: Record<string, string> }; Code: { S3Key: string } } }>;
  expect(functions).toHaveLength(1);
  return functions[0]!.Properties;
};

/** The config document a region's replicator reads. */
const lambdaConfig = (synth: SynthesisedApp, region: string): LambdaConfigView =>
  JSON.parse(replicatorFunction(synth, region).Environment.Variables[LambdaEnv.config]!) as LambdaConfigView;

/** The staged code folder of a region's replicator. */
const codeDir = (synth: SynthesisedApp, region: string): string => {
  const key = replicatorFunction(synth, region).Code.S3Key;
  const dir = join(synth.app.outdir, `asset.${key.replace(/\.zip$/, '')}`);
  expect(statSync(dir).isDirectory()).toBe(true);
  return dir;
};

describe('merge and map modules in the deployed replicator', () => {
  let merge: SynthesisedApp;
  let map: SynthesisedApp;

  beforeAll(() => {
    merge = synthesise(mergeConfig(), { bundle: true });
    map = synthesise(mapConfig(), { bundle: true });
  });

  it('points the Lambda config at the bundled modules', () => {
    for (const region of ['eu-west-1', 'us-east-1']) {
      expect(lambdaConfig(merge, region).conflict.module).toBe('/var/task/modules/merge.mjs');
      expect(readdirSync(join(codeDir(merge, region), 'modules'))).toEqual(['merge.mjs']);
    }
    expect(lambdaConfig(map, 'eu-west-1').pipelines['us-east-1']!.stages[0]!.module).toBe(
      '/var/task/modules/map-us-east-1-reshape.mjs',
    );
    expect(readdirSync(join(codeDir(map, 'eu-west-1'), 'modules'))).toEqual(['map-us-east-1-reshape.mjs']);
  });

  it('bundles each module self-contained (imports included); they load and work as the Lambda loads them', async () => {
    const mapped = (await import(
      pathToFileURL(join(codeDir(map, 'eu-west-1'), 'modules', 'map-us-east-1-reshape.mjs')).href
    )) as { transform: (item: object) => object };
    expect(mapped.transform({ pk: { S: 'a' } })).toEqual({ pk: { S: 'a' }, movedTo: { S: 'us-east-1' } });
    const merged = (await import(
      pathToFileURL(join(codeDir(merge, 'eu-west-1'), 'modules', 'merge.mjs')).href
    )) as {
      merge: (local: object, remote: object, context: object) => object;
    };
    expect(
      merged.merge(
        { status: { S: 'shipped' }, n: { N: '1' } },
        { status: { S: 'paid' }, n: { N: '2' } },
        { localVersion: 'a', remoteVersion: 'b' },
      ),
    ).toEqual({ status: { S: 'shipped' }, n: { N: '2' } });
    expect(existsSync(join(codeDir(merge, 'eu-west-1'), 'index.mjs'))).toBe(true);
  });

  it('refuses to synthesise when a module is missing, naming the field', () => {
    let error: unknown;
    try {
      synthesise(mergeConfig(join(PROJECT_ROOT, 'examples', 'merges', 'missing.mjs')));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DynasyncError);
    expect((error as DynasyncError).payload).toMatchObject({ path: 'conflict.module' });
    expect((error as DynasyncError).message).toMatch(/missing\.mjs.*does not exist/);
  });
});
