import { peersOf } from '../core/config/topology.js';
import type { Config } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { createKeyProvider } from '../keys/createKeyProvider.js';
import { createPipeline } from '../pipeline/createPipeline.js';
import type { KeyProvider, ModuleLoader, Pipeline } from '../pipeline/types.js';

/** Options of {@link createPipelines}. */
export interface PipelinesSetup {
  /** @default the provider the config's `keys` asks for (`createKeyProvider`), created only when a pipeline exists */
  readonly keys?: KeyProvider;
  readonly loadModule?: ModuleLoader;
  /** The peers to resolve (those without a pipeline are left out). @default the peers of `region` */
  readonly peers?: readonly string[];
}

/**
 * Resolves the pipelines of every peer of `region` that has one in the config: keys decrypted and
 * modules loaded once, before the first batch. Peers without a pipeline are absent from the result.
 * @example
 * const pipelines = await createPipelines(config, 'eu-west-1');
 * const replicator = createReplicator({ config, region: 'eu-west-1', pipelines });
 */
export const createPipelines = async (
  config: Config,
  region: string,
  setup: PipelinesSetup = {},
): Promise<Readonly<Record<string, Pipeline>>> => {
  const peers = (setup.peers ?? peersOf(config, region)).filter(
    (peer) => config.pipelines[peer] !== undefined,
  );
  if (peers.length === 0) return {};
  const keys = setup.keys ?? createKeyProvider(config, region);
  const entries = await Promise.all(
    peers.map(
      async (peer) =>
        [
          peer,
          await createPipeline(config, peer, {
            keys,
            ...(setup.loadModule === undefined ? {} : { loadModule: setup.loadModule }),
          }),
        ] as const,
    ),
  );
  return Object.fromEntries(entries);
};

/**
 * Refuses to replicate to a peer whose configured pipeline was not resolved: shipping unmasked
 * items to a peer that must not hold them is worse than not shipping.
 * @throws DynasyncError `pipeline.notResolved`
 */
export const assertPipelinesResolved = (
  config: Config,
  peers: readonly string[],
  pipelines: Readonly<Record<string, Pipeline>> | undefined,
  where: string,
): void => {
  const missing = peers.filter(
    (peer) => config.pipelines[peer] !== undefined && pipelines?.[peer] === undefined,
  );
  if (missing.length > 0)
    throw new DynasyncError(
      ErrorCodes.pipeline.notResolved,
      `${where}: the config has pipelines for ${missing.join(', ')}, but none were given; resolve them with createPipelines(config, region) and pass them as "pipelines"`,
      { payload: { peers: missing } },
    );
};
