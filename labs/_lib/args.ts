/**
 * The command lines of `npm run lab`, `labs:stress`, `labs:bench` and `labs:matrix` read their
 * arguments the same way: unknown flags, missing values and out-of-range numbers become one usage
 * line and exit 2, never a stack trace; lab names are matched the same way everywhere.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors.ts';
import type { Lab } from './types.ts';

/** Longest piece of user input repeated back in a message. */
const ECHO_LIMIT = 60;

/** `text`, cut to a length that fits in a one-line message. */
export function shorten(text: string, limit = ECHO_LIMIT): string {
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} characters)` : text;
}

/** parseArgs, with its errors turned into usage errors that name the tool's help. */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  help: string,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const first = (error as Error).message.split('\n')[0]!;
    throw usageError(shorten(first, 160), help);
  }
}

/** A whole number option within [min, max]; `undefined` stays undefined. */
export function intOption(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
  help: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) {
    throw usageError(
      `${flag} must be a whole number from ${min} to ${max}, not "${shorten(value)}".`,
      help,
    );
  }
  return n;
}

/**
 * The labs named by ids (`handshakes/self-connect`) or chapters (`handshakes`, `handshakes/`),
 * in registry order without repeats; an unknown name is a usage error listing the chapters.
 */
export function selectLabs(names: string[], labs: Lab[], help: string): Lab[] {
  const chosen = new Set<Lab>();
  for (const raw of names) {
    const name = raw.replace(/\/+$/, '');
    const exact = labs.filter((lab) => lab.id === name);
    const chapter = labs.filter((lab) => lab.id.startsWith(`${name}/`));
    const found = exact.length ? exact : chapter;
    if (!name || found.length === 0) {
      const known = [...new Set(labs.map((lab) => lab.id.split('/')[0]))].join(', ');
      throw usageError(
        `Unknown lab or chapter "${shorten(raw)}".`,
        `Chapters: ${known}. \`npm run lab -- list\` shows every lab. ${help}`,
      );
    }
    found.forEach((lab) => chosen.add(lab));
  }
  return labs.filter((lab) => chosen.has(lab));
}
