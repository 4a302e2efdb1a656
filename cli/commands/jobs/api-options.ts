/**
 * The options every `sluice jobs` command takes (where the API is, how to sign, --json)
 * and what they make: the API client, and the printing of an answer as text or as JSON.
 */
import { Option, type Command } from 'commander';
import { ApiClient, isLoopback, regionOfEndpoint } from '../../api-client.js';
import { usageError } from '../../program.js';
import { defaultCredentials } from '../../sigv4.js';
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_DATA_DIR } from '../../../local/defaults.js';
import { readEndpointsFile } from '../../../local/endpoints-file.js';

export const DEFAULT_ENDPOINT = `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`;

export interface ApiOptions {
  readonly endpoint?: string;
  readonly region?: string;
  /** false with --no-sign. */
  readonly sign: boolean;
  readonly json?: boolean;
}

const GROUP = 'API options (every jobs command):';

export const JOBS_EXIT_CODES = `exit codes: 0 done, 1 the operation failed (no such job, a conflicting state, an API error,
a job that failed or a wait that timed out), 2 bad usage (bad arguments, or the API said the
request was invalid), 3 cannot reach the API (refused, no connection in 5 s, no answer in 45 s)
or what answered is not the jobs API, 5 no AWS credentials to sign requests with.`;

/** Adds the API options (after the command's own, under their heading) and the exit codes to the help. */
export function withApiOptions(command: Command): Command {
  const options = [
    new Option(
      '--endpoint <url>',
      `the jobs API (default $SLUICE_ENDPOINT, else the API that npm run api recorded in ${DEFAULT_DATA_DIR}/endpoints.json ($SLUICE_DATA_DIR/endpoints.json), else ${DEFAULT_ENDPOINT}); on AWS the stack's ApiUrl output`,
    ),
    new Option('--region <region>', "for signing (default: the endpoint's, else $AWS_REGION)"),
    new Option(
      '--no-sign',
      "do not sign requests with SigV4 (requests to another host are signed with the SDK's default credentials: the routes use IAM authorization)",
    ),
    new Option('--json', "print the API's JSON answer"),
  ];
  for (const option of options) command.addOption(option.helpGroup(GROUP));
  return command.addHelpText('after', `\n${JOBS_EXIT_CODES}`);
}

/**
 * The client the options name. Requests to this machine are not signed (the local server
 * has no authorization); any other host's are, in the endpoint's region unless --region.
 */
export function clientOf(command: Command, options: ApiOptions): ApiClient {
  let endpoint: string;
  try {
    endpoint = options.endpoint ?? process.env.SLUICE_ENDPOINT ?? localApiEndpoint() ?? DEFAULT_ENDPOINT;
  } catch (error) {
    return usageError(command, error instanceof Error ? error.message : String(error));
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return usageError(command, `--endpoint must be a URL such as ${DEFAULT_ENDPOINT}, got ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    usageError(command, `--endpoint must be an http or https URL, got ${JSON.stringify(endpoint)}`);
  if (!options.sign || isLoopback(endpoint)) return new ApiClient({ endpoint, signing: null });
  const region = options.region ?? regionOfEndpoint(endpoint) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '')
    usageError(command, `signing requests to ${url.host} needs a region: --region, or $AWS_REGION`);
  if (url.protocol === 'http:')
    console.error(
      `warning: signing requests to ${url.host} over plain http: anyone on the way can read them and replay them for 5 minutes; use https`,
    );
  return new ApiClient({ endpoint, signing: { region, credentials: defaultCredentials() } });
}

/** The URL of the jobs API running on the local data directory ($SLUICE_DATA_DIR, default .sluice), from its endpoints.json. */
export function localApiEndpoint(dataDir: string = process.env.SLUICE_DATA_DIR ?? DEFAULT_DATA_DIR): string | null {
  const reading = readEndpointsFile(dataDir);
  return reading.status === 'live' ? reading.endpoints.api : null;
}

/** The answer as the API's JSON with --json, else as the text lines. */
export function printAnswer(options: ApiOptions, answer: unknown, text: () => string[]): void {
  if (options.json) console.log(JSON.stringify(answer, null, 2));
  else for (const line of text()) console.log(line);
}

/** ` --endpoint <url>` when the command was given one: for the commands a hint line suggests. */
export function endpointFlag(options: ApiOptions): string {
  return options.endpoint === undefined ? '' : ` --endpoint ${options.endpoint}`;
}
