import { peersOf } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';

/**
 * Refuses to run the poller for a region whose stream nothing would be shipped from: a region not
 * in the config, or a one-way replica (only the source's changes are replicated).
 * @throws DynasyncError `config.invalidField` with the path at fault (`regions` or `topology`).
 */
export const assertRegionCanRun = (config: Config, region: string): void => {
  const regions = Object.keys(config.regions);
  if (!regions.includes(region)) {
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      `region "${region}" is not in the config (${regions.join(', ')}); run the poller for one of those regions`,
      { payload: { path: 'regions', region } },
    );
  }
  if (peersOf(config, region).length === 0 && config.topology.type === 'one-way') {
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      `topology: "${region}" is a one-way replica of "${config.topology.from}" and ships nothing; ` +
        `run the poller for "${config.topology.from}" instead, or make the topology active-active`,
      { payload: { path: 'topology', region, from: config.topology.from } },
    );
  }
};
