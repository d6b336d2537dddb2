/**
 * Which Debian kernel image packages stand for "6.1" and "6.12", read from `apt-cache` output.
 * Pure functions over text, so the tests feed them fixture output.
 */

/** A kernel series the matrix boots by default, and how its image packages are named. */
export interface KernelSeries {
  name: string;
  /** Regular expression for `apt-cache search --names-only`. */
  search: string;
  /** Matches an image package name; group 1 is the `uname -r` release. */
  pattern: RegExp;
}

/** The default kernels besides the host's: Debian's 6.1 (bookworm) and 6.12 (bookworm backports/security). */
export const DEFAULT_SERIES: readonly KernelSeries[] = [
  // linux-image-6.1.0-57-amd64 (signed) and its -unsigned twin; not -dbg, -rt-, -cloud-.
  {
    name: '6.1',
    search: '^linux-image-6\\.1\\.0-[0-9]+-amd64',
    pattern: /^linux-image-(6\.1\.0-\d+-amd64)(-unsigned)?$/,
  },
  // linux-image-6.12.118+deb12-amd64 and -unsigned; not the 6.12-amd64 meta-package.
  {
    name: '6.12',
    search: '^linux-image-6\\.12\\.[0-9]+\\+deb[0-9]+-amd64',
    pattern: /^linux-image-(6\.12\.\d+\+deb\d+-amd64)(-unsigned)?$/,
  },
];

/** An image package chosen for a series. */
export interface KernelPackage {
  series: string;
  package: string;
  release: string;
}

/**
 * The newest image package of `series` in `apt-cache search` output ("name - description" lines),
 * preferring the signed package over its -unsigned twin (same kernel, both boot under qemu).
 */
export function newestPackage(
  searchOutput: string,
  series: KernelSeries,
): KernelPackage | undefined {
  let best: (KernelPackage & { unsigned: boolean }) | undefined;
  for (const line of searchOutput.split('\n')) {
    const name = line.split(' - ')[0].trim();
    const match = series.pattern.exec(name);
    if (!match) continue;
    const candidate = {
      series: series.name,
      package: name,
      release: match[1],
      unsigned: Boolean(match[2]),
    };
    const order = best ? compareVersions(candidate.release, best.release) : 1;
    if (!best || order > 0 || (order === 0 && best.unsigned && !candidate.unsigned))
      best = candidate;
  }
  return best && { series: best.series, package: best.package, release: best.release };
}

/**
 * Orders version-like strings by their numbers ("6.1.0-9" < "6.1.0-57", "6.12.99+deb12" <
 * "6.12.118+deb12"): digit runs compare as numbers, everything else as text.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const diff =
      /^\d/.test(x) && /^\d/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (diff) return Math.sign(diff);
  }
  return 0;
}

/** Package name → Version from `apt-cache show --no-all-versions` output (blank-line separated stanzas). */
export function packageVersions(showOutput: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const stanza of showOutput.split(/\n\s*\n/)) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1].trim();
    const version = /^Version: (.+)$/m.exec(stanza)?.[1].trim();
    if (name && version && !versions.has(name)) versions.set(name, version);
  }
  return versions;
}
