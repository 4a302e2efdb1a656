/** No AWS credentials (cli/aws-credentials.ts) and the one credential provider of the process (cli/sigv4.ts). */
import { describe, expect, it } from 'vitest';
import { isMissingCredentials, NO_CREDENTIALS } from '../../../cli/aws-credentials.js';
import { defaultCredentials } from '../../../cli/sigv4.js';
import { USAGE_ERROR } from '../../../cli/program.js';

const missing = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

describe('no AWS credentials', () => {
  it("is the SDK's CredentialsProviderError, as it is or as the cause of another", () => {
    expect(isMissingCredentials(missing())).toBe(true);
    expect(isMissingCredentials(new Error('reading the WAL failed', { cause: missing() }))).toBe(true);
    expect(isMissingCredentials(new Error('a', { cause: new Error('b', { cause: missing() }) }))).toBe(true);
  });

  it('is not any other error', () => {
    expect(isMissingCredentials(new Error('Could not load credentials from any providers'))).toBe(false);
    expect(isMissingCredentials(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))).toBe(false);
    expect(isMissingCredentials('CredentialsProviderError')).toBe(false);
    expect(isMissingCredentials(undefined)).toBe(false);
  });

  it('has an exit code of its own, not the usage one', () => {
    expect(NO_CREDENTIALS).toBe(5);
    expect(NO_CREDENTIALS).not.toBe(USAGE_ERROR);
  });
});

describe('the default credentials', () => {
  it('are one provider for the process, not one per request', () => {
    expect(defaultCredentials()).toBe(defaultCredentials());
  });
});
