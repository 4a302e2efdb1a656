/**
 * The edit `sluice new job <name>` makes to jobs/catalog.ts: an import of the new job after
 * the file's last import, and its entry (`'<name>': <job>,`, a plain entry: the job has no
 * parameters) as the last of `export const catalog ... = { ... };`. Pure: text in, text
 * out; a catalog it cannot edit safely is refused with what to do instead.
 */
import { jobIdentifier } from './job-template.js';

/** The catalog cannot take the job (it has it, or it is not laid out as expected); nothing was written. */
export class CatalogEditError extends Error {
  override readonly name = 'CatalogEditError';
}

/** The catalog's text with the job `name` (exported by `./<name>/job.js`) imported and added. */
export function withCatalogEntry(catalog: string, name: string): string {
  const lines = catalog.split('\n');
  const start = lines.findIndex((line) => /^export const catalog\b.*=\s*\{\s*$/.test(line));
  const end = start < 0 ? -1 : lines.findIndex((line, i) => i > start && /^\};?\s*$/.test(line));
  if (start < 0 || end < 0) {
    throw new CatalogEditError(
      'jobs/catalog.ts has no `export const catalog: JobCatalog = {` ... `};` block to add the entry to: ' +
        `add it by hand: import the job from './${name}/job.js' and add \`'${name}': <the job>,\` to the catalog`,
    );
  }
  const body = lines.slice(start + 1, end).join('\n');
  if (new RegExp(`^\\s*(['"\`]?)${name}\\1\\s*[:,]`, 'm').test(body)) {
    throw new CatalogEditError(`jobs/catalog.ts already has a job named ${name}: choose another name`);
  }
  const binding = freeBinding(catalog, jobIdentifier(name));
  const exported = jobIdentifier(name);
  const importLine = `import { ${binding === exported ? exported : `${exported} as ${binding}`} } from './${name}/job.js';`;
  const key = /^[a-z_$][a-z0-9_$]*$/i.test(name) ? name : `'${name}'`;
  const entry = key === binding ? `  ${binding},` : `  ${key}: ${binding},`;
  const lastImport = lastImportLine(lines.slice(0, start));
  const out = [...lines];
  out.splice(end, 0, entry);
  out.splice(lastImport + 1, 0, importLine);
  return out.join('\n');
}

/** The identifier to import the job as: its own, or `<it>Job` when the catalog already uses the name. */
function freeBinding(catalog: string, identifier: string): string {
  for (const candidate of [identifier, `${identifier}Job`]) {
    if (!new RegExp(`\\b${candidate}\\b`).test(catalog)) return candidate;
  }
  throw new CatalogEditError(`jobs/catalog.ts already uses the names ${identifier} and ${identifier}Job: choose another job name`);
}

/** The index of the line that ends the file's last import statement (-1 when there is none). */
function lastImportLine(lines: readonly string[]): number {
  let last = -1;
  let inImport = false;
  lines.forEach((line, i) => {
    if (/^import\b/.test(line)) inImport = true;
    if (inImport && /(from\s+)?['"][^'"]+['"];\s*$/.test(line)) {
      last = i;
      inImport = false;
    }
  });
  return last;
}
