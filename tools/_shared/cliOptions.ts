import { type Command, InvalidArgumentError } from 'commander';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { ClientEnv } from '../../replicator/clients.js';

/** Commander parser of a whole number > 0. */
export const positiveInt = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
};

/** Commander parser of a whole number ≥ 0. */
export const wholeNumber = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number');
  return parsed;
};

/**
 * A commander parser that accepts one of `choices` and rejects anything else with
 * `expected "a" or "b"`.
 * @example
 * program.option('--log-format <format>', 'pretty or json', oneOf(['pretty', 'json']));
 */
export const oneOf =
  <const T extends string>(choices: readonly T[]) =>
  (value: string): T => {
    const choice = choices.find((candidate) => candidate === value);
    if (choice === undefined)
      throw new InvalidArgumentError(`expected ${choices.map((c) => `"${c}"`).join(' or ')}`);
    return choice;
  };

/** Commander parser of a number ≥ 0. */
export const nonNegative = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return parsed;
};

/** Commander parser of a number > 0. */
export const positive = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a number > 0');
  return parsed;
};

/** The config file every command reads when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = './dynasync.json';

/**
 * What the exit code of every `dynasync` command means: 0 success (in sync), 1 the finding the
 * command exists for (drift, items not written, letters left, a broken law), 2 a usage, config or
 * runtime error (interruptions included).
 */
export const ExitCodes = {
  ok: 0,
  finding: 1,
  error: 2,
} as const;

/** The help text listing a command's exit codes, for `addHelpText('after', …)`. */
export const exitCodesHelp = (meanings: Readonly<Partial<Record<0 | 1 | 2 | 130, string>>>): string =>
  [
    '',
    'Exit codes:',
    ...Object.entries(meanings).map(([code, meaning]) => `  ${code.padStart(3)}  ${meaning}`),
  ].join('\n');

/** A usage error found after parsing (a region the config cannot default): exit code 2. */
export const usageError = (command: string, message: string, option: string): DynasyncError =>
  new DynasyncError(ErrorCodes.cli.usage, `dynasync ${command}: ${message}`, { payload: { option } });

/** `-c, --config <file>`, defaulting to `./dynasync.json`. */
export const withConfigOption = (
  command: Command,
  description = 'the dynasync config file (JSON)',
): Command => command.option('-c, --config <file>', description, DEFAULT_CONFIG_FILE);

/** `--profile <name>`: the AWS named profile of every AWS call the command makes. */
export const withProfileOption = (command: Command): Command =>
  command.option(
    '--profile <name>',
    'AWS named profile (shared config/credentials files) for every AWS call (default: the SDK default chain)',
  );

/**
 * Makes `profile` the credentials of every AWS client the command creates: DynamoDB clients read
 * `DYNASYNC_PROFILE` (`fromIni({ profile })`, ahead of environment keys), the others (KMS, SQS,
 * STS) resolve `AWS_PROFILE` through the SDK's default chain.
 */
export const applyProfile = (profile: string | undefined, env: NodeJS.ProcessEnv = process.env): void => {
  if (profile === undefined) return;
  env[ClientEnv.profile] = profile;
  env.AWS_PROFILE = profile;
};

const single = (regions: readonly string[]): string | undefined =>
  regions.length === 1 ? regions[0] : undefined;

/**
 * `--from` / `--to` of a command that reads one region and checks or writes another; in a one-way
 * topology they default to its `from` and its only `to`.
 * @throws DynasyncError `cli.usage` when one is missing and the topology cannot supply it.
 */
export const regionPair = (
  command: string,
  config: Config,
  options: { readonly from?: string; readonly to?: string },
): { readonly from: string; readonly to: string } => {
  const oneWay = config.topology.type === 'one-way' ? config.topology : undefined;
  const from = options.from ?? oneWay?.from;
  const to = options.to ?? (oneWay === undefined ? undefined : single(oneWay.to));
  if (from === undefined)
    throw usageError(
      command,
      '--from is required: the config is active-active, so it names no source',
      'from',
    );
  if (to === undefined)
    throw usageError(
      command,
      oneWay === undefined
        ? '--to is required: the config is active-active, so it names no target'
        : `--to is required: the topology ships to ${oneWay.to.length} regions (${oneWay.to.join(', ')})`,
      'to',
    );
  return { from, to };
};

/**
 * `--region` of a command; in a one-way topology it defaults to the source (`run`, `redrive`: the
 * only region that ships) or to the only replica (`decrypt`, `tokenize`: where masked values live).
 * @throws DynasyncError `cli.usage` when it is missing and the topology cannot supply it.
 */
export const regionOption = (
  command: string,
  config: Config,
  region: string | undefined,
  side: 'source' | 'replica',
): string => {
  if (region !== undefined) return region;
  const topology = config.topology;
  const fallback =
    topology.type !== 'one-way' ? undefined : side === 'source' ? topology.from : single(topology.to);
  if (fallback === undefined)
    throw usageError(
      command,
      topology.type === 'one-way'
        ? `--region is required: the topology has ${topology.to.length} replicas (${topology.to.join(', ')})`
        : '--region is required: the config is active-active, so every region could be meant',
      'region',
    );
  return fallback;
};

/** One `--endpoint-url <region>=<url>`, parsed. */
export interface EndpointOverride {
  readonly region: string;
  readonly url: string;
}

/**
 * Commander collector of the repeatable `--endpoint-url <region>=<url>`.
 * @throws InvalidArgumentError (exit 2, one line) without `=` or with a URL that is not http(s).
 */
export const collectEndpoint = (
  value: string,
  previous: readonly EndpointOverride[] = [],
): EndpointOverride[] => {
  const at = value.indexOf('=');
  const region = at < 0 ? '' : value.slice(0, at);
  const url = at < 0 ? '' : value.slice(at + 1);
  if (region === '' || !/^https?:\/\/[^\s]+$/.test(url) || !URL.canParse(url))
    throw new InvalidArgumentError(
      `expected <region>=<url>, like eu-west-1=http://127.0.0.1:8000, not "${value}"`,
    );
  return [...previous, { region, url }];
};

/** `--endpoint-url <region>=<url>` (repeatable): overrides `regions.<region>.endpoint` for this run. */
export const withEndpointOption = (command: Command): Command =>
  command.option(
    '--endpoint-url <region=url>',
    "endpoint of one region for this run, overriding its config's endpoint (repeatable)",
    collectEndpoint,
  );

/**
 * The config with each `--endpoint-url` override applied (a new object; the last one of a region wins).
 * @throws DynasyncError `cli.usage` for a region the config does not have.
 */
export const withEndpoints = (
  command: string,
  config: Config,
  overrides: readonly EndpointOverride[] | undefined,
): Config => {
  if (overrides === undefined || overrides.length === 0) return config;
  const regions = { ...config.regions };
  for (const { region, url } of overrides) {
    const current = regions[region];
    if (current === undefined)
      throw usageError(
        command,
        `--endpoint-url names region "${region}", which is not in the config (${Object.keys(config.regions).join(', ')})`,
        'endpoint-url',
      );
    regions[region] = { ...current, endpoint: url };
  }
  return { ...config, regions };
};

/** What commander hands an action of a command with {@link withConfigAndAccountOptions}. */
export interface ConfigAndAccountArgs {
  readonly config: string;
  readonly profile?: string;
  readonly endpointUrl?: EndpointOverride[];
}

/**
 * `--config`, `--profile` and `--endpoint-url`, in that order: the options of every command that
 * reads a config and calls AWS (see {@link ConfigAndAccountArgs}).
 */
export const withConfigAndAccountOptions = (command: Command): Command =>
  withEndpointOption(withProfileOption(withConfigOption(command)));
