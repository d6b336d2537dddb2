/**
 * Markdown tables get a tab stop. Starlight lets a wide table scroll sideways inside its own box
 * (so words stay whole on a phone), and a region that scrolls must be reachable from the keyboard
 * (WCAG 2.1.1, axe's scrollable-region-focusable). Whether a table overflows depends on the
 * reader's screen, so every table is focusable, decided at build time: no script on the page.
 */
import { defineHastPlugin } from 'satteri';

/** The Sätteri hast plugin. */
export const focusableTables = defineHastPlugin({
  name: 'focusable-tables',
  element: {
    filter: ['table'],
    visit(node, ctx) {
      ctx.setProperty(node, 'tabIndex', 0);
    },
  },
});
