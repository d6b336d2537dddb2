/** Runs one lab inside the sandbox and assembles its `LabRun`. */
import { release, version, machine } from 'node:os';
import { LabContext } from './context.ts';
import { sandboxPrivilege } from './sandbox.ts';
import type { LabDefinition, LabRun } from './types.ts';

/** A finished run plus its raw capture(s), concatenated into one pcap by the caller if wanted. */
export interface RunOutput {
  run: LabRun;
  pcaps: Buffer[];
}

/**
 * Runs the lab; always cleans up. `onContext` lets the CLI reach the context to clean up on a
 * signal while the lab is still running.
 */
export async function runLab(
  lab: LabDefinition,
  onContext?: (ctx: LabContext) => void,
): Promise<RunOutput> {
  const ctx = new LabContext();
  onContext?.(ctx);
  const started = performance.now();
  try {
    const observed = await lab.run(ctx);
    const run: LabRun = {
      id: lab.id,
      verifies: lab.verifies,
      recordedAt: new Date().toISOString(),
      kernel: { release: release(), version: version(), machine: machine() },
      privilege: sandboxPrivilege(),
      sysctls: { ...ctx.sysctls, ...observed.sysctls },
      wallMs: Math.round(performance.now() - started),
      inherentWaitS: observed.inherentWaitS ?? 0,
      hosts: observed.hosts,
      packets: observed.packets,
      events: observed.events,
      facts: observed.facts,
    };
    return { run, pcaps: ctx.pcaps };
  } finally {
    await ctx.cleanup();
  }
}
