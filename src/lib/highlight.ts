/**
 * Syntax highlighting for the source pages, with shiki (the highlighter Starlight's code blocks
 * use): GitHub's high-contrast colours, light and dark, as classes; each line an anchor (`#L12`)
 * with its number as a link, so a lab card or a chapter can point at the exact line that makes a
 * claim true.
 *
 * Why not shiki's own dual-theme output: it tokenizes every file once per theme, and tokenizing
 * was a quarter of the whole site build (166 source pages). The two GitHub themes give the same
 * scopes in the same order, so a token's light colour decides its dark one: tokenize once, with
 * the light theme, and look the dark colour up. `darkColours` refuses themes where that is not so.
 */
import { createHighlighter, type Highlighter, type ThemeRegistrationResolved } from 'shiki';

// The high-contrast variants: every token of the plain GitHub themes does not reach 4.5:1
// (github-light's orange parameters, github-dark's grey comments).
const LIGHT = 'github-light-high-contrast';
const DARK = 'github-dark-high-contrast';

// vscode-textmate's FontStyle bits, which shiki does not re-export.
const FONT_STYLES = [
  [1, 'i'],
  [2, 'b'],
  [4, 'u'],
  [8, 's'],
] as const;

interface Palette {
  highlighter: Highlighter;
  /** Light foreground (lower-case hex) → dark foreground, for every colour the light theme uses. */
  dark: Map<string, string>;
  light: ThemeRegistrationResolved;
  darkTheme: ThemeRegistrationResolved;
}

let palette: Promise<Palette> | undefined;

/**
 * Light colour → dark colour from two themes that list the same scopes in the same order.
 * Throws when they do not, or when one light colour would need two dark ones: a shiki update that
 * changed either theme must not quietly mis-colour dark mode.
 */
export function darkColours(
  light: ThemeRegistrationResolved,
  dark: ThemeRegistrationResolved,
): Map<string, string> {
  const map = new Map<string, string>([[light.fg.toLowerCase(), dark.fg.toLowerCase()]]);
  if (light.settings.length !== dark.settings.length) {
    throw new Error(`${light.name} and ${dark.name} have different numbers of rules`);
  }
  light.settings.forEach((rule, i) => {
    const other = dark.settings[i]!;
    if (JSON.stringify(rule.scope) !== JSON.stringify(other.scope)) {
      throw new Error(`${light.name} and ${dark.name} differ at rule ${i}: scopes are not paired`);
    }
    const from = rule.settings.foreground?.toLowerCase();
    const to = other.settings.foreground?.toLowerCase();
    if (!from || !to) return;
    const seen = map.get(from);
    if (seen && seen !== to) {
      throw new Error(`${light.name}'s ${from} is ${seen} and ${to} in ${dark.name}`);
    }
    map.set(from, to);
  });
  return map;
}

function loadPalette(): Promise<Palette> {
  palette ??= createHighlighter({ themes: [LIGHT, DARK], langs: ['ts', 'c'] }).then(
    (highlighter) => {
      const light = highlighter.getTheme(LIGHT);
      const darkTheme = highlighter.getTheme(DARK);
      return { highlighter, light, darkTheme, dark: darkColours(light, darkTheme) };
    },
  );
  return palette;
}

const colourClass = (hex: string) => `hl-${hex.replace('#', '').toLowerCase()}`;

/** The style sheet the classes of `highlightWithLineAnchors` need, light and dark. */
export async function highlightCss(): Promise<string> {
  const { dark, light, darkTheme } = await loadPalette();
  const rules = [...dark].flatMap(([from, to]) => [
    `.${colourClass(from)}{color:${from}}`,
    `[data-theme='dark'] .${colourClass(from)}{color:${to}}`,
  ]);
  return [
    `.hl{color:${light.fg};background:${light.bg}}`,
    `[data-theme='dark'] .hl{color:${darkTheme.fg};background:${darkTheme.bg}}`,
    ...rules,
    '.hl-i{font-style:italic}.hl-b{font-weight:bold}.hl-u{text-decoration:underline}.hl-s{text-decoration:line-through}',
  ].join('\n');
}

/** The file as HTML: one `<span class="line" id="L<n>">` per line, each led by its number. */
export async function highlightWithLineAnchors(code: string, lang: 'ts' | 'c'): Promise<string> {
  const { highlighter, dark, light } = await loadPalette();
  const fg = light.fg.toLowerCase();
  return highlighter.codeToHtml(code.replace(/\n$/, ''), {
    lang,
    theme: LIGHT,
    transformers: [
      {
        pre(node) {
          node.properties = { class: 'hl', tabindex: '0' };
        },
        span(node, _line, _col, _lineElement, token) {
          const colour = token.color?.toLowerCase() ?? fg;
          if (!dark.has(colour)) throw new Error(`${LIGHT} coloured a token ${colour}, unpaired`);
          // The plain foreground needs no class: the <pre> sets it.
          const classes = colour === fg ? [] : [colourClass(colour)];
          const style = token.fontStyle ?? 0; // -1: not set
          for (const [bit, name] of FONT_STYLES)
            if (style > 0 && style & bit) classes.push(`hl-${name}`);
          node.properties = classes.length ? { class: classes.join(' ') } : {};
        },
        line(node, line) {
          node.properties.id = `L${line}`;
          node.children.unshift({
            type: 'element',
            tagName: 'a',
            properties: { href: `#L${line}`, class: 'ln', 'aria-label': `line ${line}` },
            children: [{ type: 'text', value: String(line) }],
          });
        },
      },
    ],
  });
}
