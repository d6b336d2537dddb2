import type { LabDefinition } from './types.ts';

/** Declares a lab; identity function that gives the object its type. */
export function defineLab(lab: LabDefinition): LabDefinition {
  return lab;
}
