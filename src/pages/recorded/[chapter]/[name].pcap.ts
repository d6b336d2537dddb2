/**
 * Serves each committed capture at /recorded/<chapter>/<lab>.pcap so lab cards can link to it.
 * Static: one file per recording with a .pcap beside its .json; nothing here runs a lab.
 */
import { readFile } from 'node:fs/promises';
import type { APIRoute, GetStaticPaths } from 'astro';
import { pcapFile, recordedPcaps } from '../../../lib/labs.ts';

export const getStaticPaths = (async () => {
  const ids = await recordedPcaps();
  return ids.map((id) => {
    const [chapter, name] = id.split('/');
    return { params: { chapter, name }, props: { id } };
  });
}) satisfies GetStaticPaths;

/** The capture bytes, typed so browsers download it and Wireshark opens it. */
export const GET: APIRoute = async ({ props }) => {
  const bytes = await readFile(pcapFile(props.id as string));
  return new Response(bytes, { headers: { 'Content-Type': 'application/vnd.tcpdump.pcap' } });
};
