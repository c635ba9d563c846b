import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';

/**
 * The documentation's relative links resolve: every `[text](target)` of the pages below whose target is
 * not a URL names a file or folder that exists, and every `#anchor` (on its own or after a `.md` target)
 * is the GitHub slug of a heading of the target page. Every page except protocol/README.md also has a
 * table of contents that links each of its `##` headings.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name));
  return ['README.md', 'CONTRIBUTING.md', 'bench/README.md', 'protocol/README.md', ...docs.sort()];
}

/** Pages that must carry a table of contents (protocol/README.md is the vectors' format note). */
const PAGES_WITH_CONTENTS = (files: readonly string[]) =>
  files.filter((file) => file !== 'protocol/README.md');

/** The text outside fenced code blocks, line by line (a fenced line becomes empty, keeping line numbers). */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker[0];
      else if (marker[0] === fence) fence = undefined;
      return '';
    }
    return fence === undefined ? line : '';
  });
}

/**
 * GitHub's heading anchor: inline markup reduced to its text, lowercase, every character that is not a
 * letter, digit, space, `-` or `_` removed, spaces turned into `-`; a repeated slug gets `-1`, `-2`, ….
 */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-');
}

function headingSlugs(text: string): Set<string> {
  const seen = new Map<string, number>();
  const slugs = new Set<string>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = githubSlug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) slugs.add(match[1] as string);
  return slugs;
}

interface Link {
  readonly line: number;
  readonly target: string;
}

/** The links of a page outside code: inline code spans are blanked first, so `[a](b)` in backticks is no link. */
function linksOf(text: string): Link[] {
  const links: Link[] = [];
  proseLines(text).forEach((raw, index) => {
    const line = raw.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: index + 1, target: match[1] as string });
    }
  });
  return links;
}

/** Problems with the relative links of `file` (a path from `root`), as `file:line: target: reason`. */
function brokenLinks(root: string, file: string, read: (path: string) => string | undefined): string[] {
  const text = read(join(root, file));
  if (text === undefined) return [`${file}: missing`];
  const problems: string[] = [];
  for (const { line, target } of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
    const hash = target.indexOf('#');
    const pathPart = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const where = `${file}:${line}: ${target}`;
    const targetPath = pathPart === '' ? join(root, file) : resolve(dirname(join(root, file)), pathPart);
    if (relative(root, targetPath).startsWith('..')) {
      problems.push(`${where}: leaves the repository`);
      continue;
    }
    const targetText = read(targetPath);
    if (targetText === undefined) {
      problems.push(`${where}: no such file or folder`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!targetPath.endsWith('.md')) {
      problems.push(`${where}: an anchor into a file that is not markdown`);
      continue;
    }
    if (!headingSlugs(targetText).has(anchor))
      problems.push(`${where}: no heading with the anchor #${anchor}`);
  }
  return problems;
}

/** Reads a file; a folder reads as an empty page, a missing path as undefined. */
function readDisk(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? '' : readFileSync(path, 'utf8');
}

describe('githubSlug', () => {
  it('lowercases, strips punctuation except - and _, turns spaces into -', () => {
    expect(githubSlug('Conflicts: last-writer-wins or merge')).toBe('conflicts-last-writer-wins-or-merge');
    expect(githubSlug('The `deploy` section')).toBe('the-deploy-section');
    expect(githubSlug("What each region's stack holds")).toBe('what-each-regions-stack-holds');
    expect(githubSlug('Seeding a region: `dynasync backfill`')).toBe('seeding-a-region-dynasync-backfill');
    expect(githubSlug('4. Writes under `lww`')).toBe('4-writes-under-lww');
    expect(githubSlug('snake_case and -dash-')).toBe('snake_case-and--dash-');
  });

  it('numbers repeated headings and ignores headings in code blocks', () => {
    const slugs = headingSlugs('# A\n## Options\n```sh\n# not a heading\n```\n## Options\n');
    expect([...slugs]).toEqual(['a', 'options', 'options-1']);
  });
});

describe('brokenLinks (on pages in memory)', () => {
  const pages: Record<string, string> = {
    '/r/README.md': '# Top\n## Here\n[ok](docs/a.md#there) [self](#here) `[code](nowhere.md)`\n',
    '/r/docs/a.md':
      '# A\n## There\n[up](../README.md#top) [bad](../README.md#gone) [lost](b.md) [out](../../x.md)\n',
  };
  const read = (path: string) => pages[path];

  it('passes links whose file and heading exist, and skips links inside code', () => {
    expect(brokenLinks('/r', 'README.md', read)).toEqual([]);
  });

  it('names each missing anchor, missing file and link out of the repository, with its line', () => {
    expect(brokenLinks('/r', 'docs/a.md', read)).toEqual([
      'docs/a.md:3: ../README.md#gone: no heading with the anchor #gone',
      'docs/a.md:3: b.md: no such file or folder',
      'docs/a.md:3: ../../x.md: leaves the repository',
    ]);
  });
});

describe('the repository documentation', () => {
  const files = markdownFiles();

  it('covers the README, docs/, CONTRIBUTING.md, bench/README.md and protocol/README.md', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'CONTRIBUTING.md',
        'bench/README.md',
        'protocol/README.md',
        'docs/protocol.md',
      ]),
    );
  });

  it.each(files)('%s: every relative link names an existing file and heading', (file) => {
    expect(brokenLinks(ROOT, file, readDisk)).toEqual([]);
  });

  it.each(PAGES_WITH_CONTENTS(files))('%s: has a table of contents linking each ## heading', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const sections = proseLines(text)
      .map((line) => /^##\s+(.*?)\s*$/.exec(line)?.[1])
      .filter((heading): heading is string => heading !== undefined && heading !== 'Contents');
    const linked = new Set(linksOf(text).map((link) => link.target));
    expect(sections.length).toBeGreaterThan(0);
    expect(sections.filter((heading) => !linked.has(`#${githubSlug(heading)}`))).toEqual([]);
  });

  it("the README's minimal config loads", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const json = /## A minimal config[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(json).toBeDefined();
    expect(parseConfig(JSON.parse(json as string), 'README.md').topology.type).toBe('active-active');
  });

  it('keeps the two commands on the README first screen', () => {
    const firstScreen = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').slice(0, 12).join('\n');
    expect(firstScreen).toContain('npm install && npm start');
    expect(firstScreen).toMatch(/^npm test\s/m);
    // Exactly those two: the first code block holds nothing else a newcomer could try first.
    const block = /```sh\n([\s\S]*?)```/.exec(firstScreen)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== '');
    expect(commands).toEqual(['npm install && npm start', 'npm test']);
  });
});
