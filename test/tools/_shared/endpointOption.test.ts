import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { localEndpointFlags } from '../../../core/config/localEndpoint.js';
import { ErrorCodes, isDynasyncError } from '../../../core/errors.js';
import { collectEndpoint, withEndpointOption, withEndpoints } from '../../../tools/_shared/cliOptions.js';

const config = parseConfig({
  version: 1,
  name: 'x',
  regions: {
    'eu-west-1': { table: 'orders', endpoint: 'http://127.0.0.1:8001' },
    'us-east-1': { table: 'orders' },
  },
  topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
});

describe('--endpoint-url <region>=<url>', () => {
  it('is repeatable and overrides regions.<r>.endpoint for the run only', () => {
    const command = withEndpointOption(new Command().exitOverride());
    command.parse(
      [
        '--endpoint-url',
        'us-east-1=http://localhost:9000',
        '--endpoint-url',
        'eu-west-1=http://127.0.0.1:8002',
      ],
      { from: 'user' },
    );
    const overrides = command.opts().endpointUrl;
    const updated = withEndpoints('verify', config, overrides);
    expect(updated.regions['us-east-1']!.endpoint).toBe('http://localhost:9000');
    expect(updated.regions['eu-west-1']!.endpoint).toBe('http://127.0.0.1:8002');
    expect(config.regions['us-east-1']!.endpoint).toBeUndefined();
    expect(withEndpoints('verify', config, undefined)).toBe(config);
  });

  it('rejects a value without "=" or without an http(s) URL (a usage error)', () => {
    for (const bad of ['http://localhost:9000', 'us-east-1=', 'us-east-1=localhost:9000', '=http://x'])
      expect(() => collectEndpoint(bad)).toThrow(/<region>=<url>/);
  });

  it('rejects a region the config does not have with cli.usage naming the option', () => {
    try {
      withEndpoints('run', config, [{ region: 'ap-south-1', url: 'http://localhost:1' }]);
      expect.unreachable();
    } catch (error) {
      expect(isDynasyncError(error) && error.code).toBe(ErrorCodes.cli.usage);
      expect(isDynasyncError(error) && error.payload?.option).toBe('endpoint-url');
    }
  });

  it('suggested commands carry the local endpoints only', () => {
    expect(localEndpointFlags(config.regions)).toBe(' --endpoint-url eu-west-1=http://127.0.0.1:8001');
    expect(localEndpointFlags(config.regions, ['us-east-1'])).toBe('');
  });
});
