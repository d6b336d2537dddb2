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

/**
 * `#section-anchor` in the same page, `/chapter/page/#section-anchor` on another page of the book
 * (a chapter split into topic pages), or a lab id `chapter/lab` whose card holds the evidence.
 */
export const evidenceRef = z
  .string()
  .regex(
    /^(#[a-z0-9_-]+|\/[a-z0-9-]+\/([a-z0-9-]+\/)?#[a-z0-9_-]+|[a-z0-9-]+\/[a-z0-9-]+)$/,
    'evidence must be a "#section-anchor" of this page, "/chapter/page/#section-anchor", or a lab id such as "handshakes/three-way-handshake"',
  );

/** One interview question with a short model answer in Markdown that links to its evidence. */
export const questionSchema = z.strictObject({
  q: text('question `q`'),
  a: text('answer `a`').regex(
    /\]\((#|\/)[^)\s]+\)/,
    'answer `a` must link its evidence: a lab card "(#lab-…)" or a section "(#…)" or "(/chapter/page/#…)"',
  ),
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

/**
 * "What will the kernel do?": a question with two to four choices; the reader picks one before
 * the recorded outcome is shown. `answer` is the index of the choice the lab recorded; `reveal`
 * (Markdown, may quote <Observed>) says what happened and why.
 */
export const predictionSchema = z
  .strictObject({
    q: text('prediction `q`'),
    choices: z
      .array(text('a choice'))
      .min(2, 'give at least two choices')
      .max(4, 'give at most four choices'),
    answer: z.number().int().min(0),
    lab: z
      .string()
      .regex(
        /^[a-z0-9-]+\/[a-z0-9-]+$/,
        'lab must be a lab id such as "handshakes/three-way-handshake"',
      ),
    reveal: text('prediction `reveal`'),
  })
  .refine((p) => p.answer < p.choices.length, {
    error: (issue) =>
      `answer ${(issue.input as { answer: number }).answer} is not the index of a choice (0 to ${(issue.input as { choices: unknown[] }).choices.length - 1})`,
  });

export type Question = z.infer<typeof questionSchema>;
export type Prediction = z.infer<typeof predictionSchema>;
export type Myth = z.infer<typeof mythSchema>;
