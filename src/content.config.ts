/**
 * Two collections: `docs`, the chapters in ./content, and `recorded`, the committed lab runs in
 * labs/<chapter>/recorded/*.json (entry id `chapter/lab`, the same as the lab id).
 */
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';
import { docsSchema } from '@astrojs/starlight/schema';
import { labRunSchema } from './lib/lab-run-schema.ts';
import { mythSchema, predictionSchema, questionSchema } from './lib/interview-schema.ts';

export const collections = {
  docs: defineCollection({
    loader: glob({ base: './content', pattern: '**/*.{md,mdx}' }),
    schema: docsSchema({
      extend: z.object({
        // Rendered at the chapter's end and gathered by /practice/ and /myths/ (src/lib/interview-schema.ts).
        questions: z.array(questionSchema).optional(),
        predictions: z.array(predictionSchema).optional(),
        myths: z.array(mythSchema).optional(),
      }),
    }),
  }),
  recorded: defineCollection({
    loader: glob({
      base: './labs',
      pattern: '*/recorded/*.json',
      // `handshakes/recorded/three-way-handshake.json` → `handshakes/three-way-handshake`
      generateId: ({ entry }) => entry.replace('/recorded/', '/').replace(/\.json$/, ''),
    }),
    schema: labRunSchema,
  }),
};
