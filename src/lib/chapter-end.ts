/** The sections ChapterEnd.astro appends to a page, shared with the route middleware's ToC entries. */

/** A heading appended at the end of a chapter. */
export interface EndSection {
  slug: string;
  text: string;
}

/** The end sections a page's frontmatter asks for, in the order they are rendered. */
export function endSections(data: {
  predictions?: unknown[];
  myths?: unknown[];
  questions?: unknown[];
}): EndSection[] {
  return [
    ...(data.predictions?.length ? [{ slug: 'predict-then-see', text: 'Predict, then see' }] : []),
    ...(data.myths?.length ? [{ slug: 'myths-checked', text: 'Myths, checked' }] : []),
    ...(data.questions?.length
      ? [{ slug: 'interview-questions', text: 'Interview questions' }]
      : []),
  ];
}
