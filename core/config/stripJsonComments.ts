/**
 * Removes `//` line comments and `/* … *\/` block comments from JSON text (JSONC), outside strings,
 * so a commented config file parses with `JSON.parse`. Each comment character becomes a space and
 * newlines are kept, so the line and column of a JSON syntax error still point at the file's text.
 * Everything inside a string (including `//` in a URL, or an escaped quote) is left as it is.
 *
 * @example
 * JSON.parse(stripJsonComments('{ "endpoint": "http://127.0.0.1:8000" // local\n}'));
 * // → { endpoint: 'http://127.0.0.1:8000' }
 */
export const stripJsonComments = (text: string): string => {
  let out = '';
  let index = 0;
  const blank = (from: number, to: number) => text.slice(from, to).replace(/[^\r\n]/g, ' ');
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      // Copy the string whole, honouring escapes; an unterminated string is copied to the end.
      let end = index + 1;
      while (end < text.length && text[end] !== '"' && text[end] !== '\n') end += text[end] === '\\' ? 2 : 1;
      end = Math.min(end + 1, text.length);
      out += text.slice(index, end);
      index = end;
    } else if (char === '/' && text[index + 1] === '/') {
      let end = text.indexOf('\n', index);
      if (end === -1) end = text.length;
      out += blank(index, end);
      index = end;
    } else if (char === '/' && text[index + 1] === '*') {
      const close = text.indexOf('*/', index + 2);
      // An unclosed block comment is left for JSON.parse to report.
      if (close === -1) {
        out += text.slice(index);
        index = text.length;
      } else {
        out += blank(index, close + 2);
        index = close + 2;
      }
    } else {
      out += char;
      index += 1;
    }
  }
  return out;
};
