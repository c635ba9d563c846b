import type { Config } from '../../core/config/types.js';
import type { KeyProvider, ModuleLoader, Pipeline } from '../../pipeline/types.js';
import { createPipelines } from '../../replicator/createPipelines.js';

/** Where a command's pipeline gets its keys and modules (tests inject both). */
export interface PeerPipelineIo {
  /** Masking keys. @default the provider the config's `keys` asks for, in the source region */
  readonly keys?: KeyProvider;
  /** Loads map-stage modules. @default `import()` relative to the working directory */
  readonly loadModule?: ModuleLoader;
}

/**
 * The pipeline the replicator applies from `from` to `to`, for commands that read the source
 * directly (verify, backfill): they must see source items as the replica would hold them.
 * @returns undefined when `to` has no pipeline (items go to it as they are).
 */
export const peerPipeline = async (
  config: Config,
  from: string,
  to: string,
  io: PeerPipelineIo = {},
): Promise<Pipeline | undefined> =>
  (
    await createPipelines(config, from, {
      peers: [to],
      ...(io.keys === undefined ? {} : { keys: io.keys }),
      ...(io.loadModule === undefined ? {} : { loadModule: io.loadModule }),
    })
  )[to];
