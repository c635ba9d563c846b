import { describe, expect, it } from 'vitest';
import { colourEnabled, painter, plain } from '../../../tools/_shared/colour.js';

describe('colourEnabled', () => {
  it('colours on a terminal and not when piped', () => {
    expect(colourEnabled({ env: {}, isTTY: true })).toBe(true);
    expect(colourEnabled({ env: {}, isTTY: false })).toBe(false);
    expect(colourEnabled({ env: {}, isTTY: undefined })).toBe(false);
  });

  it('never colours --json, even with FORCE_COLOR', () => {
    expect(colourEnabled({ env: {}, isTTY: true, json: true })).toBe(false);
    expect(colourEnabled({ env: { FORCE_COLOR: '1' }, isTTY: true, json: true })).toBe(false);
  });

  it('respects NO_COLOR (non-empty) on a terminal, and TERM=dumb', () => {
    expect(colourEnabled({ env: { NO_COLOR: '1' }, isTTY: true })).toBe(false);
    expect(colourEnabled({ env: { NO_COLOR: '' }, isTTY: true })).toBe(true);
    expect(colourEnabled({ env: { TERM: 'dumb' }, isTTY: true })).toBe(false);
  });

  it('FORCE_COLOR turns it on off a terminal and wins over NO_COLOR (as in Node); FORCE_COLOR=0 turns it off', () => {
    expect(colourEnabled({ env: { FORCE_COLOR: '1' }, isTTY: false })).toBe(true);
    expect(colourEnabled({ env: { FORCE_COLOR: '', NO_COLOR: '1' }, isTTY: false })).toBe(true);
    expect(colourEnabled({ env: { FORCE_COLOR: '0' }, isTTY: true })).toBe(false);
    expect(colourEnabled({ env: { FORCE_COLOR: 'false' }, isTTY: true })).toBe(false);
  });
});

describe('painter', () => {
  it('wraps text in SGR colour codes when on, and leaves it alone when off', () => {
    expect(painter(true)('IN SYNC', 'green')).toBe('\u001b[32mIN SYNC\u001b[39m');
    expect(painter(true)('DRIFT', 'red')).toBe('\u001b[31mDRIFT\u001b[39m');
    expect(painter(true)('3', 'yellow')).toBe('\u001b[33m3\u001b[39m');
    expect(painter(false)('IN SYNC', 'green')).toBe('IN SYNC');
    expect(painter(false)).toBe(plain);
  });
});
