/**
 * Zod schema for a committed recording (`labs/<chapter>/recorded/<lab>.json`). It checks the
 * top-level shape so a truncated or hand-edited file fails the build with a path to the bad field;
 * packets and events are checked only for being objects, since the lab runner wrote them from
 * the same types and a full re-validation would double the build's work for no new safety.
 */
import { z } from 'astro/zod';
import type { LabEvent, LabRun, Packet } from '../../labs/_lib/types.ts';

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A decoded packet: must have its index, time and IP header. */
const packetSchema = z.custom<Packet>(
  (p) =>
    isObject(p) &&
    typeof (p as Packet).n === 'number' &&
    typeof (p as Packet).t === 'number' &&
    isObject((p as Packet).ip),
  { message: 'a packet needs n, t and ip' },
);

/** The schema of one `LabRun` recording. */
export const labRunSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'id must look like chapter/lab'),
  verifies: z.string(),
  recordedAt: z.string(),
  kernel: z.object({ release: z.string(), version: z.string(), machine: z.string() }),
  privilege: z.enum(['root', 'userns']),
  sysctls: z.record(z.string(), z.string()),
  wallMs: z.number(),
  inherentWaitS: z.number(),
  hosts: z.array(z.object({ name: z.string(), addrs: z.array(z.string()) })),
  packets: z.array(packetSchema),
  events: z.array(z.custom<LabEvent>(isObject, { message: 'an event must be an object' })),
  facts: z.record(z.string(), z.unknown()),
});

// Fails type-checking if the schema and the shared LabRun type drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _inSync: Same<z.infer<typeof labRunSchema>, LabRun> = true;
void _inSync;
