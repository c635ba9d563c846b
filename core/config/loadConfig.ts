import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { DynasyncError, ErrorCodes } from '../errors.js';
import { conflictIssues } from './conflictSchema.js';
import { pipelineIssues } from './pipelineIssues.js';
import { configSchema } from './schema.js';
import { stripJsonComments } from './stripJsonComments.js';
import type { Config, ConfigIssue } from './types.js';

const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text === '' ? String(part) : `${text}.${String(part)}`,
    '',
  );

const zodIssues = (error: z.ZodError): ConfigIssue[] =>
  error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        message: `unknown field "${key}": check the spelling against the config reference, docs/configuration.md`,
      }));
    }
    // A bad record key (a region name): zod reports "Invalid key in record"; keep the schema's hint.
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return [{ path: formatPath(issue.path) || '(top level)', message }];
  });

/** Cross-field checks of the optional `deploy` section (read by the CDK app in `infra/`). */
const deployIssues = (config: z.output<typeof configSchema>): ConfigIssue[] => {
  const { deploy } = config;
  if (deploy === undefined) return [];
  const issues: ConfigIssue[] = [];
  const names = Object.keys(config.regions);
  const notARegion = (name: string) => `"${name}" is not a key of "regions" (${names.join(', ')})`;
  for (const name of Object.keys(deploy.regions)) {
    if (!names.includes(name)) issues.push({ path: `deploy.regions.${name}`, message: notARegion(name) });
  }
  if (deploy.kmsPrimaryRegion !== undefined && !names.includes(deploy.kmsPrimaryRegion))
    issues.push({ path: 'deploy.kmsPrimaryRegion', message: notARegion(deploy.kmsPrimaryRegion) });
  const budgetMs = deploy.lambda.timeoutSeconds * 1000 - config.replicator.timeBudgetMarginMs;
  if (budgetMs < 5_000)
    issues.push({
      path: 'deploy.lambda.timeoutSeconds',
      message: `${deploy.lambda.timeoutSeconds} s leaves ${budgetMs} ms per batch after replicator.timeBudgetMarginMs (${config.replicator.timeBudgetMarginMs} ms); raise it to at least ${Math.ceil((config.replicator.timeBudgetMarginMs + 5_000) / 1000)}`,
    });
  const accountOf = (name: string) => deploy.regions[name]?.account;
  for (const [name, region] of Object.entries(deploy.regions)) {
    const roleAccount = region.writerRoleArn?.split(':')[4];
    if (roleAccount !== undefined && region.account !== undefined && roleAccount !== region.account)
      issues.push({
        path: `deploy.regions.${name}.writerRoleArn`,
        message: `the role is in account ${roleAccount} but region ${name} deploys to ${region.account}; the role must be in the table's account`,
      });
  }
  const { topology } = config;
  const shipping =
    topology.type === 'one-way'
      ? topology.to.map((to) => [topology.from, to] as const)
      : names.flatMap((from) => names.filter((to) => to !== from).map((to) => [from, to] as const));
  for (const [from, to] of shipping) {
    const source = accountOf(from);
    const target = accountOf(to);
    if (
      source !== undefined &&
      target !== undefined &&
      source !== target &&
      deploy.regions[to]?.writerRoleArn === undefined
    )
      issues.push({
        path: `deploy.regions.${to}.writerRoleArn`,
        message: `region ${from} (account ${source}) writes to ${to} (account ${target}): set writerRoleArn to a role in ${target} for it to assume`,
      });
  }
  const accounts = new Set(names.map(accountOf).filter((account) => account !== undefined));
  if (deploy.maskingKeys && accounts.size > 1)
    issues.push({
      path: 'deploy.maskingKeys',
      message: `regions deploy to ${accounts.size} accounts (${[...accounts].join(', ')}), but a multi-Region key and its replicas live in one account; set it to false or deploy every region to one account`,
    });
  return issues;
};

const crossFieldIssues = (config: z.output<typeof configSchema>): ConfigIssue[] => {
  const issues: ConfigIssue[] = [];
  const names = Object.keys(config.regions);
  // A migration-only config (`dynasync migrate`, same region) may name one region.
  if (names.length < 2 && config.migrate === undefined) {
    issues.push({
      path: 'regions',
      message: `found ${names.length} region(s); replication needs at least two`,
    });
  }
  if (config.topology.type === 'one-way') {
    const { from, to } = config.topology;
    if (!names.includes(from))
      issues.push({
        path: 'topology.from',
        message: `"${from}" is not a key of "regions" (${names.join(', ')})`,
      });
    to.forEach((region, index) => {
      if (!names.includes(region)) {
        issues.push({
          path: `topology.to[${index}]`,
          message: `"${region}" is not a key of "regions" (${names.join(', ')})`,
        });
      }
      if (region === from)
        issues.push({
          path: `topology.to[${index}]`,
          message: `"${region}" is the source; a region cannot replicate to itself`,
        });
    });
    if (new Set(to).size !== to.length)
      issues.push({ path: 'topology.to', message: 'a region is listed twice' });
  }
  const tables = new Set<string>();
  for (const [name, region] of Object.entries(config.regions)) {
    const place = `${region.endpoint ?? region.awsRegion ?? name}/${region.table}`;
    if (tables.has(place)) {
      issues.push({
        path: `regions.${name}.table`,
        message: `table "${region.table}" is used by two regions on the same endpoint; each region needs its own table`,
      });
    }
    tables.add(place);
  }
  issues.push(...deployIssues(config));
  issues.push(...pipelineIssues(config));
  issues.push(...conflictIssues(config));
  return issues;
};

const throwIssues = (issues: readonly ConfigIssue[], source: string): never => {
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n');
  throw new DynasyncError(ErrorCodes.config.invalidField, `invalid config ${source}:\n${lines}`, {
    payload: { source, issues, path: issues[0]?.path },
  });
};

/**
 * Validates a parsed config document and applies defaults.
 * @throws DynasyncError `config.invalidField` listing every field at fault with its path and fix.
 */
export const parseConfig = (document: unknown, source = '(inline)'): Config => {
  const result = configSchema.safeParse(document);
  if (!result.success) return throwIssues(zodIssues(result.error), source);
  const issues = crossFieldIssues(result.data);
  if (issues.length > 0) return throwIssues(issues, source);
  // Only the runtime sections: `deploy` is read by the CDK app alone and is not passed to the Lambda,
  // so the same file has the same version there and under `dynasync run`.
  const { deploy: _deploy, ...runtime } = result.data;
  const configVersion = createHash('sha256').update(JSON.stringify(runtime)).digest('hex').slice(0, 12);
  return Object.freeze({ ...result.data, configVersion });
};

/**
 * Reads and validates a config file: JSON, with `//` and `/* *\/` comments allowed (what `dynasync init` writes).
 * @throws DynasyncError `config.unreadable` (missing file, bad JSON) or `config.invalidField`.
 */
export const loadConfigFile = (path: string): Config => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new DynasyncError(
      ErrorCodes.config.unreadable,
      `cannot read config file ${path}: ${(cause as Error).message}`,
      {
        payload: { source: path },
        cause,
      },
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(stripJsonComments(text));
  } catch (cause) {
    throw new DynasyncError(
      ErrorCodes.config.unreadable,
      `config file ${path} is not valid JSON: ${(cause as Error).message}`,
      {
        payload: { source: path },
        cause,
      },
    );
  }
  const config = parseConfig(document, path);
  const { conflict } = config;
  if (conflict.strategy === 'merge' && conflict.module !== undefined && !isAbsolute(conflict.module))
    return Object.freeze({
      ...config,
      conflict: { ...conflict, module: resolve(dirname(path), conflict.module) },
    });
  return config;
};

/** Environment variable holding the config as JSON text, set by the CDK app for the Lambda. */
export const CONFIG_ENV = 'DYNASYNC_CONFIG';

/** Reads the config from `DYNASYNC_CONFIG` (JSON text) or, failing that, from the file `DYNASYNC_CONFIG_FILE`. */
export const loadConfigFromEnv = (env: NodeJS.ProcessEnv = process.env): Config => {
  const inline = env[CONFIG_ENV];
  if (inline !== undefined && inline !== '') {
    let document: unknown;
    try {
      document = JSON.parse(inline);
    } catch (cause) {
      throw new DynasyncError(
        ErrorCodes.config.unreadable,
        `${CONFIG_ENV} is not valid JSON: ${(cause as Error).message}`,
        { cause },
      );
    }
    return parseConfig(document, CONFIG_ENV);
  }
  const file = env.DYNASYNC_CONFIG_FILE;
  if (file !== undefined && file !== '') return loadConfigFile(file);
  throw new DynasyncError(
    ErrorCodes.config.unreadable,
    `no config: set ${CONFIG_ENV} (JSON) or DYNASYNC_CONFIG_FILE (a path)`,
  );
};
