/**
 * The source pages' highlighting tokenizes once, with the light theme, and looks dark colours up:
 * every token must get the dark colour shiki's own two-theme output gives it.
 */
import { readFileSync } from 'node:fs';
import { createHighlighter } from 'shiki';
import { describe, expect, it } from 'vitest';
import { darkColours, highlightCss, highlightWithLineAnchors } from '../../src/lib/highlight.ts';

const LIGHT = 'github-light-high-contrast';
const DARK = 'github-dark-high-contrast';
const samples = [
  ['labs/handshakes/three-way-handshake.ts', 'ts'],
  ['labs/_lib/claims.ts', 'ts'],
  ['labs/probes/tcp-server.c', 'c'],
  ['labs/probes/checksum.h', 'c'],
] as const;

describe('source highlighting', async () => {
  const shiki = await createHighlighter({ themes: [LIGHT, DARK], langs: ['ts', 'c'] });
  const map = darkColours(shiki.getTheme(LIGHT), shiki.getTheme(DARK));

  it.each(samples)(
    'gives every token of %s the dark colour of the two-theme output',
    (path, lang) => {
      const { tokens } = shiki.codeToTokens(readFileSync(path, 'utf8'), {
        lang,
        themes: { light: LIGHT, dark: DARK },
      });
      const pairs = new Set(
        tokens.flat().map((t) => {
          const style = t.htmlStyle as Record<string, string>;
          return `${style.color!.toLowerCase()} → ${style['--shiki-dark']!.toLowerCase()}`;
        }),
      );
      expect(pairs.size).toBeGreaterThan(4);
      for (const pair of pairs) {
        const [light] = pair.split(' → ');
        expect(`${light} → ${map.get(light!)}`).toBe(pair);
      }
    },
  );

  it('refuses themes whose rules do not pair up', () => {
    const light = shiki.getTheme(LIGHT);
    const dark = shiki.getTheme(DARK);
    expect(() => darkColours(light, { ...dark, settings: dark.settings.slice(1) })).toThrow(
      /different numbers of rules/,
    );
    const i = light.settings.findIndex((r) => r.settings.foreground === light.fg);
    const settings = dark.settings.map((rule, j) =>
      j === i ? { ...rule, settings: { ...rule.settings, foreground: '#123456' } } : rule,
    );
    expect(() => darkColours(light, { ...dark, settings })).toThrow(/is #f0f3f6 and #123456/);
  });

  it('marks each line with an anchor and a number link, colours as classes', async () => {
    const html = await highlightWithLineAnchors('// why\nint x = 1;\n', 'c');
    expect(html).toMatch(/^<pre class="hl" tabindex="0">/);
    expect(html).toContain(
      '<span class="line" id="L2"><a href="#L2" class="ln" aria-label="line 2">2</a>',
    );
    expect(html).not.toContain('style=');
    const css = await highlightCss();
    for (const [cls] of html.matchAll(/hl-[0-9a-f]{6}/g)) expect(css).toContain(`.${cls}{`);
  });
});
