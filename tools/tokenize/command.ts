import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import {
  applyProfile,
  exitCodesHelp,
  regionOption,
  withConfigOption,
  withProfileOption,
} from '../_shared/cliOptions.js';
import { runTokenize } from './tokenize.js';

/** What commander hands the `tokenize` action, with `--region` still optional. */
interface TokenizeCommandArgs {
  readonly config: string;
  readonly region?: string;
  readonly profile?: string;
}

/** Registers `dynasync tokenize <value>`: {@link runTokenize} with the config's key provider. */
export const addTokenizeCommand = (program: Command): Command =>
  withProfileOption(
    withConfigOption(
      program
        .command('tokenize')
        .description(
          "print the token the 'tokenize' action gives a value, to look items up on a masked replica",
        ),
    ),
  )
    .argument('<value>', 'the clear value: DynamoDB JSON like \'{"N":"42"}\', or a plain string')
    .option(
      '-r, --region <name>',
      'the region whose keys to use (every region gives the same token; default: the only one-way replica)',
    )
    .addHelpText('after', exitCodesHelp({ 0: 'printed the token', 2: 'usage, config, key or runtime error' }))
    .action(async (value: string, options: TokenizeCommandArgs) => {
      applyProfile(options.profile);
      const config = loadConfigFile(options.config);
      await runTokenize({
        config,
        region: regionOption('tokenize', config, options.region, 'replica'),
        value,
      });
    });
