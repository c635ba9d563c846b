import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfig, removeSynthOutputs, type SynthesisedApp, synthesise } from './helpers.js';

afterAll(removeSynthOutputs);

/** The staged asset folders of a synthesised app that hold a file named `file`. */
const assetsWith = (synth: SynthesisedApp, file: string): string[] =>
  readdirSync(synth.app.outdir)
    .filter((name) => name.startsWith('asset.'))
    .map((name) => join(synth.app.outdir, name))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, file)));

describe('bundling the replicator', () => {
  let synth: SynthesisedApp;
  let dockerBefore: string | undefined;

  beforeAll(() => {
    // Any attempt to run Docker would fail: the CDK runs the binary named by CDK_DOCKER.
    dockerBefore = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/nonexistent/docker-must-not-run';
    try {
      synth = synthesise(exampleConfig(), { bundle: true });
    } finally {
      if (dockerBefore === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = dockerBefore;
    }
  });

  it('bundles replicator/handler.ts with the local esbuild, no Docker, once for both regions', () => {
    const bundles = assetsWith(synth, 'index.mjs');
    expect(bundles).toHaveLength(1);
    const code = synth.templates['eu-west-1']!.findResources('AWS::Lambda::Function', {
      Properties: { MemorySize: 512, Runtime: 'nodejs24.x', Handler: 'index.handler' },
    });
    const keys = Object.values(code).map(
      (fn) => (fn as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key,
    );
    expect(keys).toHaveLength(1);
    expect(keys[0]).toBe(`${bundles[0]!.split('asset.')[1]}.zip`);
  });

  it('is a minified ES module with a source map and the require() shim for CommonJS dependencies', () => {
    const dir = assetsWith(synth, 'index.mjs')[0]!;
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __dsCreateRequire } from 'node:module';")).toBe(true);
    expect(code.split('\n').length).toBeLessThan(200);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
  });

  it('loads as the Lambda runtime loads it and exports the handler', async () => {
    const dir = assetsWith(synth, 'index.mjs')[0]!;
    const module = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as Record<string, unknown>;
    expect(typeof module.handler).toBe('function');
  });
});
