/**
 * npx tsx scripts/prerequisites.ts [--kafka] [--strict-node]
 * What .ci/run checks after npm ci: Java and, with --kafka, kcat (installed as root with
 * apt-get, else exit 1 with the command), and, with --strict-node, Node.js against
 * package.json's engines (local/provision.ts).
 */
import { ensurePrerequisites, MissingPrerequisiteError } from '../local/provision.js';

try {
  ensurePrerequisites({ what: 'npm test', kafka: process.argv.includes('--kafka'), strictNode: process.argv.includes('--strict-node') });
  console.log(`prerequisites: Java${process.argv.includes('--kafka') ? ', kcat' : ''} and Node.js ${process.version} are here`);
} catch (error) {
  if (!(error instanceof MissingPrerequisiteError)) throw error;
  console.error(error.message);
  process.exit(1);
}
