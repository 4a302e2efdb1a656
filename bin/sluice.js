#!/usr/bin/env node
// The `sluice` command (package.json "bin"). The CLI is TypeScript (cli/sluice.ts):
// tsx's ESM loader (a dependency) runs it with no build step, from `npx sluice` after
// `npm ci`, or from a global or linked install.
import { register } from 'tsx/esm/api';

register();
await import('../cli/sluice.ts');
