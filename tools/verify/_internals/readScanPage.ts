import { hash } from 'node:crypto';
import type { WireItem } from '../../../core/types.js';
import {
  type AnyItem,
  type ComparisonRules,
  canonicalBase64,
  canonicalKeyId,
  ignoredAttributes,
  isDeleteMarker,
  numberText,
  observe,
  PLAIN_DECIMAL_SOURCE,
  sortedList,
  VERSION_TEXT,
} from '../digest.js';

/** What verify keeps of one scanned item: the line fields of its spill entry (see `spillLine.ts`). */
export interface ScannedEntry {
  /** Canonical key id of the target key (see `canonicalKeyId`). */
  readonly keyId: string;
  readonly tombstone: boolean;
  /** `itemDigest` of a live item; `''` for a tombstone. */
  readonly digest: string;
  /** `versionOf` the item. */
  readonly version: string;
  /** Canonical key id of the source key, or `'-'` when `sourceKeyNames` is not given. */
  readonly sourceKey: string;
}

/** How {@link readScanPage} reduces items. */
export interface ScanPageRules {
  readonly rules: ComparisonRules;
  /** The target table's key attributes. */
  readonly keyNames: readonly string[];
  /** The source table's key attributes, when its key differs from the target's. @default not computed */
  readonly sourceKeyNames?: readonly string[];
  /** Called before an item's key is read: throws when a key attribute is missing (a schema mismatch). */
  readonly checkKey: (present: (name: string) => boolean) => void;
}

/** The reduction of one parsed item (either form): the reference {@link readScanPage} agrees with. */
export const entryOf = (item: AnyItem, page: ScanPageRules): ScannedEntry => {
  page.checkKey((name) => (item as Record<string, unknown>)[name] !== undefined);
  const seen = observe(item, page.rules);
  return {
    keyId: canonicalKeyId(item, page.keyNames),
    tombstone: isDeleteMarker(item, page.rules.names),
    digest: seen.digest,
    version: seen.version,
    sourceKey: page.sourceKeyNames === undefined ? '-' : canonicalKeyId(item, page.sourceKeyNames),
  };
};

/** Thrown inside the fast reader when the text leaves the shape it reads (handled, never escapes). */
const UNUSUAL: unique symbol = Symbol('unusual');

const QUOTE = 34; // "
const COMMA = 44; // ,
const COLON = 58; // :
const OPEN_BRACE = 123; // {
const CLOSE_BRACE = 125; // }
const OPEN_BRACKET = 91; // [
const CLOSE_BRACKET = 93; // ]
const BACKSLASH = 92;
const LETTER_B = 66;
const LETTER_L = 76;
const LETTER_M = 77;
const LETTER_N = 78;
const LETTER_S = 83;

/** A number in its canonical spelling, then its closing quote (see `canonicalDecimal`). */
const PLAIN_NUMBER = new RegExp(`${PLAIN_DECIMAL_SOURCE}"`, 'y');

/** What a set of items with the same attribute names (in the same order) share. */
interface Shape {
  readonly names: readonly string[];
  /** `"name":` of each attribute, to recognise the next item's names without cutting them out. */
  readonly prefixes: readonly string[];
  /** Attribute indexes in ascending name order, without the ignored attributes. */
  readonly digestOrder: readonly number[];
  /** The target key's attributes in ascending name order: an index, or the text of a missing one. */
  readonly key: ReadonlyArray<number | string>;
  readonly sourceKey: ReadonlyArray<number | string> | undefined;
  /** Whether a key attribute is missing (the key check then runs on each item). */
  readonly keyMissing: boolean;
  readonly versionAt: number;
  readonly deletedAt: number;
}
const RECENT_SHAPES = 8;

/**
 * Reads a Scan response body (the compact JSON DynamoDB sends) and reduces each item of its `Items`
 * to a {@link ScannedEntry}, without building the items as objects. A value's canonical text
 * (`canonicalValue`) is its JSON wire form spelled one way, so a value DynamoDB sent in that spelling
 * (the rule: numbers and binary already canonical, sets and maps already sorted) is cut from the body
 * as it stands, name included, and only the others are spelled again. One pass over the text does the
 * work of `JSON.parse` and `canonicalItem`, about three times faster. Results equal {@link entryOf} on
 * the parsed item (a property test holds them to it).
 *
 * What it does not read itself, it hands to the reference path:
 * - an item with an escaped string (a backslash anywhere in it) or an unexpected shape: that item is
 *   parsed with `JSON.parse` and reduced with {@link entryOf};
 * - a body with white space, control characters or another unexpected shape at the top: the whole
 *   body is parsed with `JSON.parse` (which throws on malformed JSON, as the SDK would).
 *
 * @returns the document without `Items` (`LastEvaluatedKey`, `Count`, `ConsumedCapacity`, …).
 */
export const readScanPage = (
  text: string,
  page: ScanPageRules,
  onEntry: (entry: ScannedEntry) => void,
): Record<string, unknown> => {
  const entries: ScannedEntry[] = [];
  let rest: Record<string, unknown> | undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are not JSON
  if (!/[\u0000-\u001f]/.test(text)) {
    try {
      rest = readerFor(page).read(text, entries);
    } catch (error) {
      if (error !== UNUSUAL) throw error;
      rest = undefined;
    }
  }
  if (rest === undefined) {
    const document = JSON.parse(text) as { Items?: WireItem[] } & Record<string, unknown>;
    const { Items: items = [], ...others } = document;
    entries.length = 0;
    for (const item of items) entries.push(entryOf(item, page));
    rest = others;
  }
  for (const entry of entries) onEntry(entry);
  return rest;
};

/** One reader per rules object, so the shapes it learnt serve the next pages. */
const readers = new WeakMap<ScanPageRules, PageReader>();
const readerFor = (page: ScanPageRules): PageReader => {
  let reader = readers.get(page);
  if (reader === undefined) {
    reader = new PageReader(page);
    readers.set(page, reader);
  }
  return reader;
};

/** Code-unit order of `text[a..aEnd)` and `text[b..bEnd)`: negative, zero or positive. */
const compareRanges = (text: string, a: number, aEnd: number, b: number, bEnd: number): number => {
  const length = Math.min(aEnd - a, bEnd - b);
  for (let k = 0; k < length; k += 1) {
    const difference = text.charCodeAt(a + k) - text.charCodeAt(b + k);
    if (difference !== 0) return difference;
  }
  return aEnd - a - (bEnd - b);
};

/** The reader of a scan's pages; see {@link readScanPage}. */
class PageReader {
  private text = '';
  private i = 0;
  /** Whether the body holds a backslash at all (else no string needs checking for escapes). */
  private escapes = false;
  /** Names and `"name":<canonical value>` texts of the item being read (reused between items). */
  private readonly names: string[] = [];
  private readonly texts: string[] = [];
  private readonly shapes: Shape[] = [];
  private readonly tombstoneText: string;

  public constructor(private readonly page: ScanPageRules) {
    this.tombstoneText = `${JSON.stringify(page.rules.names.deleted)}:{"BOOL":true}`;
  }

  public read(text: string, entries: ScannedEntry[]): Record<string, unknown> {
    this.text = text;
    this.i = 0;
    this.escapes = text.includes('\\');
    try {
      const rest: Record<string, unknown> = {};
      this.expect(OPEN_BRACE);
      if (this.peek() === CLOSE_BRACE) this.i += 1;
      else
        for (;;) {
          const name = this.string();
          this.expect(COLON);
          if (name === 'Items') this.items(entries);
          else {
            const start = this.i;
            this.i = skipValue(text, start);
            rest[name] = JSON.parse(text.slice(start, this.i));
          }
          const next = this.next();
          if (next === CLOSE_BRACE) break;
          if (next !== COMMA) throw UNUSUAL;
        }
      if (this.i !== text.length) throw UNUSUAL;
      return rest;
    } finally {
      this.text = ''; // not kept alive by the cached reader
    }
  }

  private items(entries: ScannedEntry[]): void {
    this.expect(OPEN_BRACKET);
    if (this.peek() === CLOSE_BRACKET) {
      this.i += 1;
      return;
    }
    for (;;) {
      const start = this.i;
      let entry: ScannedEntry;
      try {
        entry = this.item();
      } catch (error) {
        if (error !== UNUSUAL) throw error;
        // The reference path for this item: its extent by a generic skip, then JSON.parse.
        this.i = skipValue(this.text, start);
        entry = entryOf(JSON.parse(this.text.slice(start, this.i)) as WireItem, this.page);
      }
      entries.push(entry);
      const next = this.next();
      if (next === CLOSE_BRACKET) return;
      if (next !== COMMA) throw UNUSUAL;
    }
  }

  /** One item: each attribute's canonical text into `texts`, then the entry. */
  private item(): ScannedEntry {
    const { names, texts, text } = this;
    names.length = 0;
    texts.length = 0;
    this.expect(OPEN_BRACE);
    const predicted = this.shapes[0];
    let matched = predicted !== undefined;
    if (this.peek() === CLOSE_BRACE) this.i += 1;
    else
      for (let k = 0; ; k += 1) {
        const start = this.i;
        const prefix = matched ? predicted!.prefixes[k] : undefined;
        let name: string;
        if (prefix !== undefined && text.startsWith(prefix, start)) {
          name = predicted!.names[k]!;
          this.i += prefix.length;
        } else {
          matched = false;
          name = this.string();
          this.expect(COLON);
        }
        const canonical = this.value();
        names.push(name);
        texts.push(canonical === undefined ? text.slice(start, this.i) : `"${name}":${canonical}`);
        const next = this.next();
        if (next === CLOSE_BRACE) break;
        if (next !== COMMA) throw UNUSUAL;
      }
    const shape = matched && predicted!.names.length === names.length ? predicted! : this.shapeOf();
    if (shape.keyMissing) this.page.checkKey((name) => names.includes(name));
    const keyId = this.keyText(shape.key);
    const sourceKey = shape.sourceKey === undefined ? '-' : this.keyText(shape.sourceKey);
    let version = '';
    if (shape.versionAt !== -1) {
      const value = texts[shape.versionAt]!.slice(names[shape.versionAt]!.length + 3);
      const inner = value.startsWith('{"S":"') ? value.slice(6, -2) : undefined;
      version =
        inner !== undefined && VERSION_TEXT.test(inner)
          ? inner
          : `invalid:${hash('sha256', value, 'hex').slice(0, 12)}`;
    }
    if (shape.deletedAt !== -1 && texts[shape.deletedAt] === this.tombstoneText)
      return { keyId, tombstone: true, digest: '', version, sourceKey };
    let canonical = '{';
    const order = shape.digestOrder;
    for (let k = 0; k < order.length; k += 1) canonical += (k === 0 ? '' : ',') + texts[order[k]!]!;
    canonical += '}';
    const digest = hash('sha256', canonical, 'base64url').slice(0, 22);
    return { keyId, tombstone: false, digest, version, sourceKey };
  }

  /** The shape of the item just read: a recent one, or a new one (then the most recent). */
  private shapeOf(): Shape {
    const { names, shapes } = this;
    for (let s = 0; s < shapes.length; s += 1) {
      const shape = shapes[s]!;
      if (shape.names.length !== names.length) continue;
      let same = true;
      for (let k = 0; k < names.length && same; k += 1) same = shape.names[k] === names[k];
      if (!same) continue;
      shapes.splice(s, 1);
      shapes.unshift(shape);
      return shape;
    }
    const order = names.map((_, index) => index).sort((a, b) => compareText(names[a]!, names[b]!));
    // A name twice (never from DynamoDB): JSON.parse keeps the last one; the reference path decides.
    for (let k = 1; k < order.length; k += 1) if (names[order[k - 1]!] === names[order[k]!]) throw UNUSUAL;
    const skip = ignoredAttributes(this.page.rules);
    const keyOf = (keyNames: readonly string[]) =>
      [...keyNames].sort().map((name) => {
        const at = names.indexOf(name);
        return at === -1 ? `${JSON.stringify(name)}:null` : at;
      });
    const key = keyOf(this.page.keyNames);
    const shape: Shape = {
      names: [...names],
      prefixes: names.map((name) => `"${name}":`),
      digestOrder: order.filter((index) => !skip.has(names[index]!)),
      key,
      sourceKey: this.page.sourceKeyNames === undefined ? undefined : keyOf(this.page.sourceKeyNames),
      keyMissing: key.some((part) => typeof part === 'string'),
      versionAt: names.indexOf(this.page.rules.names.version),
      deletedAt: names.indexOf(this.page.rules.names.deleted),
    };
    if (shapes.unshift(shape) > RECENT_SHAPES) shapes.pop();
    return shape;
  }

  /** `canonicalKeyId` of the item read: its key attributes' texts, names sorted. */
  private keyText(parts: ReadonlyArray<number | string>): string {
    let text = '{';
    for (let k = 0; k < parts.length; k += 1) {
      const part = parts[k]!;
      text += (k === 0 ? '' : ',') + (typeof part === 'string' ? part : this.texts[part]!);
    }
    return `${text}}`;
  }

  /**
   * Reads one wire value (`{"S":"…"}`, …): `undefined` when the text read is its canonical text,
   * else the canonical text.
   */
  private value(): string | undefined {
    const { text } = this;
    const start = this.i;
    if (text.charCodeAt(start) !== OPEN_BRACE || text.charCodeAt(start + 1) !== QUOTE) throw UNUSUAL;
    const tag = text.charCodeAt(start + 2);
    const after = text.charCodeAt(start + 3);
    let canonical: string | undefined;
    if (after === QUOTE) {
      if (text.charCodeAt(start + 4) !== COLON) throw UNUSUAL;
      this.i = start + 5;
      if (tag === LETTER_S) this.quotedEnd();
      else if (tag === LETTER_N) canonical = this.number();
      else if (tag === LETTER_B) {
        const base64 = this.binaryMember();
        if (base64 !== undefined) canonical = `{"B":"${base64}"}`;
      } else if (tag === LETTER_L) canonical = this.list(start);
      else if (tag === LETTER_M) canonical = this.map();
      else throw UNUSUAL;
    } else if (after === LETTER_S && text.charCodeAt(start + 4) === QUOTE) {
      if (text.charCodeAt(start + 5) !== COLON) throw UNUSUAL;
      this.i = start + 6;
      canonical = this.set(tag);
    } else {
      for (const literal of LITERALS)
        if (text.startsWith(literal, start)) {
          this.i = start + literal.length;
          return undefined;
        }
      throw UNUSUAL;
    }
    this.expect(CLOSE_BRACE);
    return canonical;
  }

  /** A number member (at its opening quote): `undefined` when in its canonical spelling, else `{"N":…}`. */
  private number(): string | undefined {
    const raw = this.numberMember();
    return raw === undefined ? undefined : `{"N":${numberText(raw)}}`;
  }

  /** A number member: `undefined` when in its canonical spelling, else its text. */
  private numberMember(): string | undefined {
    const start = this.i;
    PLAIN_NUMBER.lastIndex = start + 1;
    if (
      this.text.charCodeAt(start) === QUOTE &&
      PLAIN_NUMBER.test(this.text) &&
      !this.text.startsWith('-0"', start + 1)
    ) {
      this.i = PLAIN_NUMBER.lastIndex;
      return undefined;
    }
    return this.string();
  }

  /** A binary member: `undefined` when in canonical base64, else its canonical base64. */
  private binaryMember(): string | undefined {
    const raw = this.string();
    const base64 = canonicalBase64(raw);
    return base64 === raw ? undefined : base64;
  }

  /** A list's elements (after `{"L":`): `undefined` when all are canonical, else the list's text. */
  private list(start: number): string | undefined {
    this.expect(OPEN_BRACKET);
    if (this.peek() === CLOSE_BRACKET) {
      this.i += 1;
      return undefined;
    }
    let built: string | undefined;
    for (;;) {
      const elementStart = this.i;
      const canonical = this.value();
      if (built !== undefined) built += canonical ?? this.text.slice(elementStart, this.i);
      else if (canonical !== undefined) built = this.text.slice(start, elementStart) + canonical;
      const next = this.next();
      if (next === CLOSE_BRACKET) return built === undefined ? undefined : `${built}]}`;
      if (next !== COMMA) throw UNUSUAL;
      if (built !== undefined) built += ',';
    }
  }

  /** A map's members (after `{"M":`): `undefined` when names ascend and values are canonical. */
  private map(): string | undefined {
    const { text } = this;
    this.expect(OPEN_BRACE);
    if (this.peek() === CLOSE_BRACE) {
      this.i += 1;
      return undefined;
    }
    const members: Array<{ readonly name: string; readonly text: string }> = [];
    let ascending = true;
    let respelled = false;
    let previousStart = -1;
    let previousEnd = -1;
    for (;;) {
      const start = this.i;
      this.quotedEnd();
      const nameEnd = this.i - 1;
      if (previousStart !== -1) {
        const order = compareRanges(text, previousStart, previousEnd, start + 1, nameEnd);
        if (order === 0) throw UNUSUAL; // a name twice: the reference path decides
        if (order > 0) ascending = false;
      }
      previousStart = start + 1;
      previousEnd = nameEnd;
      this.expect(COLON);
      const canonical = this.value();
      if (canonical !== undefined) respelled = true;
      members.push({
        name: text.slice(start + 1, nameEnd),
        text:
          canonical === undefined
            ? text.slice(start, this.i)
            : `${text.slice(start, nameEnd + 2)}${canonical}`,
      });
      const next = this.next();
      if (next === CLOSE_BRACE) break;
      if (next !== COMMA) throw UNUSUAL;
    }
    if (ascending && !respelled) return undefined;
    if (!ascending) {
      members.sort((a, b) => compareText(a.name, b.name));
      for (let m = 1; m < members.length; m += 1)
        if (members[m - 1]!.name === members[m]!.name) throw UNUSUAL; // a name twice: the reference path decides
    }
    let built = '{"M":{';
    for (let m = 0; m < members.length; m += 1) built += (m === 0 ? '' : ',') + members[m]!.text;
    return `${built}}}`;
  }

  /** A set's members (after `{"SS":`, …): `undefined` when canonical and in order, else the set's text. */
  private set(tag: number): string | undefined {
    const { text } = this;
    const start = this.i - 6;
    this.expect(OPEN_BRACKET);
    const members: string[] = [];
    let canonical = true;
    let previousStart = -1;
    let previousEnd = -1;
    if (this.peek() === CLOSE_BRACKET) this.i += 1;
    else
      for (;;) {
        const memberStart = this.i;
        let member: string | undefined;
        if (tag === LETTER_S) this.quotedEnd();
        else if (tag === LETTER_N) {
          const raw = this.numberMember();
          if (raw !== undefined) member = numberText(raw);
        } else if (tag === LETTER_B) {
          const base64 = this.binaryMember();
          if (base64 !== undefined) member = `"${base64}"`;
        } else throw UNUSUAL;
        if (member !== undefined) canonical = false;
        if (
          canonical &&
          previousStart !== -1 &&
          compareRanges(text, previousStart, previousEnd, memberStart, this.i) > 0
        )
          canonical = false;
        previousStart = memberStart;
        previousEnd = this.i;
        members.push(member ?? text.slice(memberStart, this.i));
        const next = this.next();
        if (next === CLOSE_BRACKET) break;
        if (next !== COMMA) throw UNUSUAL;
      }
    if (canonical) return undefined;
    return `${text.slice(start, start + 5)}:${sortedList(members)}}`;
  }

  /** A string without escapes, as its content. */
  private string(): string {
    const start = this.i + 1;
    this.quotedEnd();
    return this.text.slice(start, this.i - 1);
  }

  /** Moves past a string that holds no escape (else throws {@link UNUSUAL}). */
  private quotedEnd(): void {
    const { text } = this;
    if (text.charCodeAt(this.i) !== QUOTE) throw UNUSUAL;
    const end = text.indexOf('"', this.i + 1);
    if (end === -1) throw UNUSUAL;
    if (this.escapes) {
      const backslash = text.indexOf('\\', this.i + 1);
      if (backslash !== -1 && backslash < end) throw UNUSUAL;
    }
    this.i = end + 1;
  }

  private expect(code: number): void {
    if (this.text.charCodeAt(this.i) !== code) throw UNUSUAL;
    this.i += 1;
  }

  private peek(): number {
    return this.text.charCodeAt(this.i);
  }

  private next(): number {
    const code = this.text.charCodeAt(this.i);
    this.i += 1;
    return code;
  }
}

/** Values whose only spelling is their text (their canonical text too). */
const LITERALS = ['{"BOOL":true}', '{"BOOL":false}', '{"NULL":true}'] as const;

/** Code-unit order, as `Array.prototype.sort` orders strings. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The index after one JSON value of any kind starting at `from` (escapes and white space allowed),
 * found without reading it: the first `,`, `}` or `]` outside it. It does not check the value (`JSON.parse` of the slice does);
 * throws {@link UNUSUAL} when the text ends first.
 */
const skipValue = (text: string, from: number): number => {
  let depth = 0;
  let i = from;
  for (;;) {
    const code = text.charCodeAt(i);
    if (Number.isNaN(code)) throw UNUSUAL;
    if (code === QUOTE) {
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end === -1) throw UNUSUAL;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
        if (backslashes % 2 === 0) break;
      }
      i = end + 1;
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth += 1;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET || code === COMMA) {
      if (depth === 0) return i;
      if (code !== COMMA) depth -= 1;
    }
    i += 1;
  }
};
