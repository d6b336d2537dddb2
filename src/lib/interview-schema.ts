/**
 * Frontmatter for a chapter's interview questions and checked myths: one source of truth that the
 * chapter's ending (ChapterEnd.astro), /practice/ and /myths/ all render. Answers and truths are
 * Markdown; a `#fragment` link points into the same chapter.
 */
import { z } from 'astro/zod';

const text = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} must not be empty`);

/** `#section-anchor` in the same chapter, or a lab id `chapter/lab` whose card holds the evidence. */
export const evidenceRef = z
  .string()
  .regex(
    /^(#[a-z0-9_-]+|[a-z0-9-]+\/[a-z0-9-]+)$/,
    'evidence must be a "#section-anchor" of this chapter or a lab id such as "handshakes/three-way-handshake"',
  );

/** One interview question with a short model answer in Markdown that links to its evidence. */
export const questionSchema = z.strictObject({
  q: text('question `q`'),
  a: text('answer `a`'),
});

/** A claim from common notes that a lab contradicts, what the lab shows instead, and where. */
export const mythSchema = z.strictObject({
  claim: text('myth `claim`'),
  /** Who says it, in reader terms: "a common explanation", "a widely copied answer", a book. */
  source: text('myth `source`'),
  /** What the labs show, in Markdown. */
  truth: text('myth `truth`'),
  evidence: evidenceRef,
});

export type Question = z.infer<typeof questionSchema>;
export type Myth = z.infer<typeof mythSchema>;
