/** Argument helpers shared by the scripts: a bad flag prints the error and the usage, and exits 2. */
export function parseCli<T extends { values: { help?: boolean | undefined } }>(usage: string, parse: () => T): T {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    fail(usage, error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}

export function positiveInteger(usage: string, flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(usage, `${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function fail(usage: string, message: string): never {
  console.error(`error: ${message}\n\n${usage}`);
  process.exit(2);
}
