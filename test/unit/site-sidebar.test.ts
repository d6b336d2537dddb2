import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chapters } from '../../content/chapters.ts';
import { sidebar, writtenChapters } from '../../src/chapters.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A throwaway content/ folder with the given files. */
function content(files: string[]): string {
  dir = mkdtempSync(join(tmpdir(), 'content-'));
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '---\ntitle: x\n---\n');
  }
  return dir;
}

describe('sidebar', () => {
  it('returns only the home link when no chapter is written', () => {
    expect(sidebar(content(['index.mdx']))).toEqual([{ label: 'Home', link: '/' }]);
  });

  it('returns the written chapters in reading order, not folder order', () => {
    const d = content(['index.mdx', 'udp/index.mdx', 'handshakes/index.mdx', 'teardown/index.md']);
    expect(sidebar(d).map((i) => i.label)).toEqual(['Home', 'Handshakes', 'Teardown', 'UDP']);
  });

  it('skips a chapter folder that has no page yet', () => {
    const d = content(['handshakes/index.mdx', 'epoll/_draft.mdx', 'epoll/notes.txt']);
    expect(writtenChapters(d).map((c) => c.slug)).toEqual(['handshakes']);
  });

  it('links a one-page chapter directly and groups a chapter with several pages', () => {
    const d = content(['handshakes/index.mdx', 'udp/index.mdx', 'udp/broadcast.mdx']);
    expect(sidebar(d).slice(1)).toEqual([
      { label: 'Handshakes', slug: 'handshakes' },
      { label: 'UDP', collapsed: true, items: [{ autogenerate: { directory: 'content/udp' } }] },
    ]);
  });

  it('puts running the labs after home and the practice and reference pages after the chapters', () => {
    const d = content([
      'index.mdx',
      'glossary.mdx',
      'running-labs.mdx',
      'practice.mdx',
      'handshakes/index.mdx',
    ]);
    expect(sidebar(d)).toEqual([
      { label: 'Home', link: '/' },
      { label: 'Running the labs', slug: 'running-labs' },
      { label: 'Handshakes', slug: 'handshakes' },
      {
        label: 'Practice and reference',
        items: [
          { label: 'Interview practice', slug: 'practice' },
          { label: 'Glossary', slug: 'glossary' },
        ],
      },
    ]);
  });

  it('declares each chapter once, with a unique folder', () => {
    const slugs = chapters.map((c) => c.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
  });
});
