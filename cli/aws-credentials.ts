/**
 * No AWS credentials, for every command that calls AWS (`sluice jobs` signing requests to
 * the deployed API; --aws of checkpoints, replay and produce): its own message and its own
 * exit code, the same for every command, instead of a failure among others.
 */

/** The exit code of every command that found no AWS credentials. */
export const NO_CREDENTIALS = 5;

/** What to do about it, the line after the error. */
export const NO_CREDENTIALS_HINT =
  '  set AWS_PROFILE (after aws sso login, if it is an SSO profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

/**
 * True for the SDK's "no credentials" error (CredentialsProviderError: no provider of the
 * default chain had any), thrown as it is or as the cause of an error that wraps it.
 */
export function isMissingCredentials(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e.name === 'CredentialsProviderError') return true;
  }
  return false;
}
