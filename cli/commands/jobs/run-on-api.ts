/**
 * How a `sluice jobs` command ends: with the exit code its work returns, or, when the API
 * refused or could not be reached, with the API's message on stderr and the exit code
 * that says which (JOBS_EXIT_CODES in api-options.ts).
 */
import { ApiAnswerError, ApiCredentialsError, ApiRequestError, ApiUnreachableError, isLoopback, type ApiClient } from '../../api-client.js';
import { NO_CREDENTIALS, NO_CREDENTIALS_HINT } from '../../aws-credentials.js';
import { USAGE_ERROR } from '../../program.js';

export const EXIT = { ok: 0, failed: 1, usage: USAGE_ERROR, unreachable: 3, noCredentials: NO_CREDENTIALS } as const;

/**
 * Runs `work` against the client's API and exits with its code; an API failure exits 3
 * (unreachable, or what answered is not the jobs API), 5 (no AWS credentials to sign
 * with), 2 (a 400 or 413) or 1. Each prints one line (and the API's field problems).
 */
export async function runOnApi(client: ApiClient, work: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await work();
  } catch (error) {
    code = reportFailure(client, error);
  }
  process.exit(code);
}

function reportFailure(client: ApiClient, error: unknown): number {
  if (error instanceof ApiUnreachableError) {
    console.error(`error: ${error.message}`);
    if (isLoopback(client.endpoint)) console.error('is the local API running? start it with: npm run api');
    return EXIT.unreachable;
  }
  if (error instanceof ApiAnswerError) {
    console.error(`error: ${error.message}; check --endpoint (or $SLUICE_ENDPOINT)`);
    return EXIT.unreachable;
  }
  if (error instanceof ApiCredentialsError) {
    console.error(`error: ${error.message}`);
    console.error(NO_CREDENTIALS_HINT);
    return EXIT.noCredentials;
  }
  if (!(error instanceof ApiRequestError)) throw error;
  const { status, body } = error;
  console.error(`error: ${error.message}`);
  // One field: the message is that field's problem already.
  const fields = body.fields ?? [];
  if (fields.length > 1) for (const f of fields) console.error(`  ${f.field}: ${f.message}`);
  if (status >= 500 && body.requestId) console.error(`  (request id ${body.requestId})`);
  if (status === 403)
    console.error('  the API refused the signature or the caller: check the credentials, --region, and execute-api:Invoke on the API');
  return status === 400 || status === 413 ? EXIT.usage : EXIT.failed;
}
