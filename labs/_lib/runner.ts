/** Runs one lab inside the sandbox and assembles its `LabRun`. */
import { machine, release, version } from 'node:os';
import { SandboxContext } from './context.ts';
import { concatPcaps } from './pcap-file.ts';
import { decodePcap } from './pcap.ts';
import { sandboxPrivilege } from './sandbox.ts';
import type { Lab, LabRun } from './types.ts';

/** A finished run plus its raw capture(s), concatenated into one pcap by the caller if wanted. */
export interface RunOutput {
  run: LabRun;
  pcaps: Buffer[];
}

/**
 * Runs the lab; always cleans up. What the lab leaves out of its observation is filled in from
 * the context: every host it made, every capture it stopped (decoded from the same bytes the
 * recorded .pcap holds), every probe event. `onContext` lets the CLI reach the context to clean
 * up on a signal while the lab is still running.
 */
export async function runLab(
  lab: Lab,
  onContext?: (ctx: SandboxContext) => void,
): Promise<RunOutput> {
  const ctx = new SandboxContext();
  onContext?.(ctx);
  const started = performance.now();
  try {
    const observed = await lab.run(ctx);
    const pcap = concatPcaps(ctx.pcaps);
    const run: LabRun = {
      id: lab.id,
      verifies: lab.verifies,
      recordedAt: new Date().toISOString(),
      kernel: { release: release(), version: version(), machine: machine() },
      privilege: sandboxPrivilege(),
      sysctls: { ...ctx.sysctls, ...observed.sysctls },
      wallMs: Math.round(performance.now() - started),
      inherentWaitS: observed.inherentWaitS ?? 0,
      hosts: observed.hosts ?? ctx.hostInfo(),
      packets: observed.packets ?? (pcap ? decodePcap(pcap) : []),
      events: observed.events ?? ctx.events,
      facts: observed.facts as Record<string, unknown>,
    };
    return { run, pcaps: ctx.pcaps };
  } finally {
    await ctx.cleanup();
  }
}
