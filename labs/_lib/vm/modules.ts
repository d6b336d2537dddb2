/**
 * Which kernel modules the initramfs must load, in what order, to mount the host's root over
 * virtio-9p with an overlay on top. Resolved per kernel from modules.dep (written by depmod) and
 * modules.builtin: what 6.1 builds as modules, 6.12 partly builds in.
 */

/** What the initramfs needs: the virtio PCI transport, 9p over virtio, and overlayfs. */
export const ROOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

/** A module to load, with its path relative to lib/modules/<release> (possibly .ko.xz). */
export interface ModuleFile {
  name: string;
  path: string;
}

/** Module name as the kernel spells it: the file name without .ko[.xz|.gz|.zst], dashes as underscores. */
export function moduleName(path: string): string {
  return path
    .split('/')
    .at(-1)!
    .replace(/\.ko(\.(xz|gz|zst))?$/, '')
    .replace(/-/g, '_');
}

/** Thrown when a wanted module is neither a module file nor built in. */
export class ModuleNotFoundError extends Error {
  constructor(name: string, release: string) {
    super(
      `Kernel ${release} has no module "${name}" and does not build it in (checked modules.dep and modules.builtin).`,
    );
    this.name = 'ModuleNotFoundError';
  }
}

/**
 * The modules to insmod, dependencies before the modules that need them, each once; wanted
 * modules that are built in (modules.builtin) are skipped. Pure, over the two files' text.
 */
export function moduleLoadOrder(
  wanted: string[],
  modulesDep: string,
  modulesBuiltin: string,
  release = '?',
): ModuleFile[] {
  const deps = new Map<string, { path: string; deps: string[] }>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    deps.set(moduleName(path), {
      path,
      deps: line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    });
  }
  const builtin = new Set(modulesBuiltin.split('\n').filter(Boolean).map(moduleName));
  const order: ModuleFile[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const entry = deps.get(name);
    if (!entry) {
      if (builtin.has(name)) return;
      throw new ModuleNotFoundError(name, release);
    }
    // modules.dep lists the deepest dependency last (modprobe loads the list backwards); the
    // depth-first walk puts every dependency first whatever the listing order.
    for (const dep of [...entry.deps].reverse()) visit(moduleName(dep));
    order.push({ name, path: entry.path });
  };
  for (const name of wanted) visit(name.replace(/-/g, '_'));
  return order;
}
