import type { Config } from '../../core/config/types.js';
import { createKeyProvider } from '../../keys/createKeyProvider.js';
import { decryptText } from '../../pipeline/maskingCrypto.js';
import type { KeyProvider, Pipeline } from '../../pipeline/types.js';
import type { KeySealer } from '../backfill/checkpointProgress.js';
import type { SourceTransform } from '../verify/types.js';

/**
 * A peer pipeline (see `peerPipeline`) as the source transform of verify and backfill: each source
 * item as the replicator would write it from `from` to `to`.
 * @returns undefined when there is no pipeline (items compare and copy as they are)
 */
export const pipelineTransform = (
  pipeline: Pipeline | undefined,
  from: string,
  to: string,
): SourceTransform | undefined =>
  pipeline === undefined
    ? undefined
    : (item) => pipeline.apply(item, { sourceRegion: from, targetRegion: to });

/**
 * The sealer of backfill's stored resume keys: a masking peer's source keys are personal data, so
 * its checkpoints (and scale-out progress objects) keep them sealed under the masking key.
 * @returns undefined when the pipeline does not mask (resume keys are stored in clear)
 */
export const pipelineKeySealer = (
  config: Config,
  from: string,
  pipeline: Pipeline | undefined,
  keys?: KeyProvider,
): KeySealer | undefined =>
  pipeline?.masks === true
    ? {
        seal: (text) => pipeline.seal(text),
        open: async (sealed) =>
          decryptText(sealed, await (keys ?? createKeyProvider(config, from)).resolve()),
      }
    : undefined;
