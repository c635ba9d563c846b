import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripJsonComments } from '../../../core/config/stripJsonComments.js';
import { checkProperty } from '../../helpers/laws.js';

describe('stripJsonComments', () => {
  it('removes line and block comments outside strings', () => {
    // Prepare
    const text = '// head\n{ /* a */ "a": 1, // tail\n "b": [2, /* x */ 3] }';

    // Act
    const parsed: unknown = JSON.parse(stripJsonComments(text));

    // Assess
    expect(parsed).toStrictEqual({ a: 1, b: [2, 3] });
  });

  it('leaves // and /* inside strings alone, including after an escaped quote', () => {
    // Prepare
    const text = '{ "url": "http://127.0.0.1:8000", "q": "say \\"hi\\" // not a comment", "c": "/* no */" }';

    // Act
    const parsed: unknown = JSON.parse(stripJsonComments(text));

    // Assess
    expect(parsed).toStrictEqual({
      url: 'http://127.0.0.1:8000',
      q: 'say "hi" // not a comment',
      c: '/* no */',
    });
  });

  it('keeps every newline and the length, so a syntax error still points at the line of the file', () => {
    // Prepare
    const text = '{\n  // one\n  /* two\n  three */\n  "a": 1,\n}';

    // Act
    const stripped = stripJsonComments(text);

    // Assess
    expect(stripped).toHaveLength(text.length);
    expect(stripped.split('\n')).toHaveLength(text.split('\n').length);
    // The trailing comma's error is reported at the closing brace's offset in the original text.
    expect(() => JSON.parse(stripped)).toThrow(`position ${text.lastIndexOf('}')}`);
  });

  it('leaves an unclosed block comment in place for JSON.parse to reject', () => {
    expect(() => JSON.parse(stripJsonComments('{ "a": 1 /* open'))).toThrow(SyntaxError);
  });

  it('law: JSON without comments is returned unchanged (the loader reads every JSON config as before)', () => {
    checkProperty(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(stripJsonComments(text)).toBe(text);
      }),
    );
  });

  it('law: a comment after any line of pretty JSON does not change what it parses to', () => {
    checkProperty(
      fc.property(fc.jsonValue(), fc.string(), (value, comment) => {
        const safe = comment.replace(/[\r\n]/g, ' ').replace(/\*\//g, '');
        const text = JSON.stringify(value, null, 2);
        const lines = text.split('\n');
        const commented = lines.map((line, i) =>
          i % 2 === 0 ? `${line} // ${safe}` : `/* ${safe} */${line}`,
        );
        // Compared with the comment-free parse (JSON itself turns -0 into 0).
        expect(JSON.parse(stripJsonComments(commented.join('\n')))).toStrictEqual(JSON.parse(text));
      }),
    );
  });
});
