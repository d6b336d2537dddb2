/**
 * One recorded fact, formatted for prose: shared by <Observed /> in MDX and by the same tag
 * inside frontmatter Markdown (interview answers, myths), which no component renders.
 */
import { formatValue } from './format.ts';
import { requireRecording } from './labs.ts';

/** The displayed value and its tooltip; throws listing the recorded facts when `fact` is unknown. */
export async function observedFact(
  lab: string,
  fact: string,
): Promise<{ value: string; title: string }> {
  const run = await requireRecording(lab);
  if (!Object.hasOwn(run.facts, fact)) {
    const known = Object.keys(run.facts);
    throw new Error(
      `<Observed lab="${lab}" fact="${fact}">: no such fact in the recording. Recorded facts: ${known.join(', ') || '(none)'}`,
    );
  }
  return {
    value: formatValue(run.facts[fact]),
    title: `Recorded on Linux ${run.kernel.release}, ${run.recordedAt.slice(0, 10)} (${lab}: ${fact})`,
  };
}

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `md` with every `<Observed lab="…" fact="…" />` replaced by the recorded value as HTML. */
export async function resolveObserved(md: string): Promise<string> {
  const tags = [...md.matchAll(/<Observed\s+lab="([^"]+)"\s+fact="([^"]+)"\s*\/>/g)];
  let out = md;
  for (const [tag, lab, fact] of tags) {
    const { value, title } = await observedFact(lab!, fact!);
    out = out.replace(
      tag,
      `<span class="observed" title="${escape(title)}">${escape(value)}</span>`,
    );
  }
  return out;
}
