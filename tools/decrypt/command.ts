import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import {
  applyProfile,
  exitCodesHelp,
  regionOption,
  withConfigOption,
  withProfileOption,
} from '../_shared/cliOptions.js';
import { type DecryptOptions, runDecrypt } from './decrypt.js';

/** What commander hands the `decrypt` action: {@link DecryptOptions}' `key`, with `--region` still optional. */
type DecryptCommandArgs = Pick<DecryptOptions, 'key'> & {
  readonly config: string;
  readonly region?: string;
  /** `--attribute`, repeated: {@link DecryptOptions}' `attributes`. */
  readonly attribute?: DecryptOptions['attributes'];
  readonly profile?: string;
};

/** Registers `dynasync decrypt [ciphertext]`: {@link runDecrypt} with the config's key provider. */
export const addDecryptCommand = (program: Command): Command =>
  withProfileOption(
    withConfigOption(
      program
        .command('decrypt')
        .description(
          "read back values masked with the 'encrypt' action, with the configured key provider (key file, or kms:Decrypt)",
        ),
    ),
  )
    .argument('[ciphertext]', 'a ciphertext (dsenc1.<key id>.<data>)')
    .option(
      '-r, --region <name>',
      'the region whose keys (and, with --key, table) to use (default: the only one-way replica)',
    )
    .option('--key <json>', "read an item of the region's table instead: its key as DynamoDB JSON")
    .option(
      '--attribute <path...>',
      'attribute paths of that item to decrypt (default: every encrypted attribute)',
    )
    .addHelpText('after', exitCodesHelp({ 0: 'decrypted', 2: 'usage, config, key or runtime error' }))
    .action(async (ciphertext: string | undefined, options: DecryptCommandArgs) => {
      applyProfile(options.profile);
      const config = loadConfigFile(options.config);
      await runDecrypt({
        config,
        region: regionOption('decrypt', config, options.region, 'replica'),
        ...(ciphertext === undefined ? {} : { value: ciphertext }),
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.attribute === undefined ? {} : { attributes: options.attribute }),
      });
    });
