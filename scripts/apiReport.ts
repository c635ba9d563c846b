/**
 * `npm run api:check` / `npm run api:update`: the reported public API of every entry point in
 * package.json "exports" (`.`, `./client`, `./cdk`, …), extracted by API Extractor from the .d.ts
 * that `npm run build` wrote to dist/ (no build here). One report per entry point in etc/
 * (`dynasync.api.md`, `dynasync-client.api.md`, …), from the one api-extractor.json.
 *
 * check: exits 1 when a report differs from what dist/ declares (or is missing), naming it, and
 *        when API Extractor warns (e.g. an exported signature names a type no entry point exports).
 * update: rewrites the reports; review and commit the diff.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2];
if (mode !== 'check' && mode !== 'update') {
  process.stderr.write('usage: tsx scripts/apiReport.ts check|update\n');
  process.exit(2);
}

interface PackageJson {
  readonly name: string;
  readonly exports: Readonly<Record<string, string>>;
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;

/** The entry points: each "exports" target in dist/ that has a .d.ts, and its report's name. */
const entryPoints = (exports: PackageJson['exports'], name: string) =>
  Object.entries(exports)
    .filter(([, target]) => target.startsWith('./dist/') && target.endsWith('.js'))
    .map(([subpath, target]) => ({
      subpath,
      declarations: target.replace(/^\.\//, '').replace(/\.js$/, '.d.ts'),
      report: subpath === '.' ? name : `${name}-${subpath.replace(/^\.\//, '').replaceAll('/', '-')}`,
    }));

const configPath = join(root, 'api-extractor.json');
const base = ExtractorConfig.loadFile(configPath);
let failed = 0;
for (const entry of entryPoints(pkg.exports, pkg.name)) {
  const declarations = join(root, entry.declarations);
  if (!existsSync(declarations)) {
    process.stderr.write(`api: ${entry.declarations} is missing: run \`npm run build\` first\n`);
    process.exit(1);
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      ...base,
      mainEntryPointFilePath: declarations,
      compiler: {
        ...base.compiler,
        overrideTsconfig: { ...base.compiler?.overrideTsconfig, files: [declarations] },
      },
      apiReport: { ...base.apiReport, enabled: true, reportFileName: entry.report },
    },
    configObjectFullPath: configPath,
    packageJsonFullPath: join(root, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: mode === 'update', messageCallback: quiet });
  const report = `etc/${entry.report}.api.md`;
  if (result.succeeded) {
    process.stdout.write(
      `api: ${entry.subpath} -> ${report}${result.apiReportChanged ? ' (updated)' : ''}\n`,
    );
  } else {
    failed += 1;
    process.stderr.write(
      result.apiReportChanged
        ? `api: ${entry.subpath}: the public API differs from ${report}; run \`npm run api:update\` and commit the report\n`
        : `api: ${entry.subpath}: ${result.errorCount} error(s), ${result.warningCount} warning(s)\n`,
    );
  }
}
process.exit(failed === 0 ? 0 : 1);

/** API Extractor's own progress lines off; its warnings and errors still print. */
function quiet(message: { logLevel: string; handled: boolean }): void {
  if (message.logLevel === 'info' || message.logLevel === 'verbose') message.handled = true;
}
