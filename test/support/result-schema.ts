/** labs/result.schema.json, compiled once: the contract of `npm run lab -- … --json`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { REPO_DIR } from '../../labs/_lib/recordings.ts';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats.default(ajv);
const schema = JSON.parse(readFileSync(join(REPO_DIR, 'labs/result.schema.json'), 'utf8'));
const validate = ajv.compile(schema);

/** The schema's complaints about a document, one line each; empty when it conforms. */
export function schemaErrors(doc: unknown): string[] {
  return validate(doc)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).slice(0, 10);
}
