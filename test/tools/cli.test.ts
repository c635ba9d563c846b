import { describe, expect, it } from 'vitest';
import { createProgram } from '../../tools/program.js';

describe('dynasync --help (in process)', () => {
  it('every command lists its exit codes 0 and 2 (and 1 where it has a finding)', () => {
    const program = createProgram();
    const helps = new Map<string, string>();
    for (const command of program.commands) {
      const chunks: string[] = [];
      command.configureOutput({ writeOut: (chunk) => chunks.push(chunk) });
      command.outputHelp();
      helps.set(command.name(), chunks.join(''));
    }

    expect([...helps.keys()].sort()).toEqual(
      [
        'backfill',
        'check-merge',
        'decrypt',
        'demo',
        'init',
        'migrate',
        'redrive',
        'run',
        'status',
        'tables',
        'tokenize',
        'verify',
        'worker',
      ].sort(),
    );
    for (const [name, help] of helps) {
      expect(help, name).toMatch(/Exit codes:\n\s+0 {2}\S/);
      expect(help, name).toMatch(/\n\s+2 {2}\S/);
    }
    for (const name of ['verify', 'backfill', 'migrate', 'redrive', 'check-merge', 'demo', 'status'])
      expect(helps.get(name), name).toMatch(/\n\s+1 {2}\S/);
    expect(helps.get('run')).toMatch(/\n\s+130 {2}\S/);
  });

  it('every command that reads a config defaults --config to ./dynasync.json, and those that reach AWS take --profile', () => {
    const program = createProgram();
    for (const name of [
      'run',
      'redrive',
      'verify',
      'backfill',
      'worker',
      'migrate',
      'decrypt',
      'tokenize',
      'status',
    ]) {
      const command = program.commands.find((candidate) => candidate.name() === name)!;
      const config = command.options.find((option) => option.long === '--config');
      expect(config?.defaultValue, name).toBe('./dynasync.json');
      expect(config?.mandatory, name).toBe(false);
      expect(
        command.options.some((option) => option.long === '--profile'),
        name,
      ).toBe(true);
    }
  });
});
