/**
 * axe-core (injected from node_modules, no network) on every page, in light and dark mode:
 * no serious or critical violation. Minor and moderate ones are printed, not failed. Probe source
 * pages share one template, so one of them stands for all. The themes differ only in colours, so
 * dark mode runs the rules about colour; light mode runs them all.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { site, sitePages, useBrowser, useTab } from './support/site.ts';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** The axe rules whose outcome depends on the colour scheme. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * Violations we accept, each for one rule on one element, with the reason. Keep this list short:
 * an entry here is a known defect, not a preference.
 */
const accepted = [
  {
    rule: 'label-content-name-mismatch',
    target: /^site-search|^button\[data-open-modal/,
    why: "Starlight's search button: its aria-label is 'Search' while it also shows the Ctrl K hint; aria-keyshortcuts announces the shortcut",
  },
];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

describe.skipIf(!!site.skip)('accessibility', () => {
  const browser = useBrowser();
  const visit = useTab(browser);
  const probes = sitePages().filter((p) => p.startsWith('/source/'));
  const audited = [...sitePages().filter((p) => !p.startsWith('/source/')), ...probes.slice(0, 1)];
  const cases = audited.flatMap(
    (path) =>
      [
        [path, 'light', 'every axe rule'],
        [path, 'dark', "axe's colour rules"],
      ] as const,
  );

  it.each(cases)('%s in %s mode breaks none of %s (serious or critical)', async (path, theme) => {
    const { page } = await visit(path, theme);
    // The colour rules are only worth something if the page really is in that theme.
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
    // Expressive Code gives a code block that overflows a tab stop from a callback after load;
    // audit the page as a reader meets it, after that ran.
    // If that never happens, axe below names the block.
    await page
      .waitForFunction(
        () =>
          [...document.querySelectorAll('.expressive-code pre')].every(
            (el) => el.scrollWidth <= el.clientWidth || el.hasAttribute('tabindex'),
          ),
        undefined,
        { timeout: 5000 },
      )
      .catch(() => undefined);
    await page.addScriptTag({ content: axeSource });
    const only = theme === 'dark' ? COLOUR_RULES : undefined;
    const violations: Violation[] = await page.evaluate(async (runOnly) => {
      // @ts-expect-error axe is the global the injected script defines
      const result = await window.axe.run(document, {
        resultTypes: ['violations'],
        ...(runOnly ? { runOnly } : {}),
      });
      return result.violations;
    }, only);
    const isAccepted = (v: Violation) =>
      accepted.some(
        (a) => a.rule === v.id && v.nodes.every((n) => a.target.test(n.target.join(' '))),
      );
    const summary = (v: Violation) =>
      `${v.impact} ${v.id}: ${v.help} — ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(', ')}`;
    const minor = violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
    if (minor.length) console.info(`${path} (${theme}): ${minor.map(summary).join('; ')}`);
    const serious = violations.filter(
      (v) => (v.impact === 'serious' || v.impact === 'critical') && !isAccepted(v),
    );
    expect(serious.map(summary)).toEqual([]);
  });
});
