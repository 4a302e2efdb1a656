/**
 * A deployed stack's outputs (CloudFormation DescribeStacks), for `sluice smoke --stack`:
 * the jobs API's URL is the stack's `ApiUrl` output (infra/constructs/sluice-api.ts).
 *
 * CloudFormation speaks the AWS query protocol: a form-encoded POST, signed with SigV4
 * (service `cloudformation`) by the signer the jobs API client uses (cli/sigv4.ts), and an
 * XML answer whose shape is the API reference's (DescribeStacksResponse > DescribeStacksResult
 * > Stacks > member > Outputs > member > OutputKey, OutputValue). Only those elements are
 * read, so no SDK client is needed for one call.
 */
import { signRequest, type SigningOptions } from './sigv4.js';

/** The stack could not be described: no such stack, refused, or not reachable. */
export class StackLookupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackLookupError';
  }
}

export interface StackDescription {
  readonly name: string;
  readonly status: string;
  readonly outputs: Readonly<Record<string, string>>;
}

export interface DescribeStackOptions {
  readonly region: string;
  readonly credentials?: SigningOptions['credentials'];
  /** Default https://cloudformation.<region>.amazonaws.com (AWS_ENDPOINT_URL_CLOUDFORMATION overrides it). */
  readonly endpoint?: string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

const API_VERSION = '2010-05-15';

export async function describeStack(stackName: string, options: DescribeStackOptions): Promise<StackDescription> {
  const endpoint =
    options.endpoint ?? process.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? `https://cloudformation.${options.region}.amazonaws.com`;
  const url = new URL('/', endpoint);
  const body = new URLSearchParams({ Action: 'DescribeStacks', StackName: stackName, Version: API_VERSION }).toString();
  const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  const signed = await signRequest(
    { method: 'POST', url, headers, body },
    {
      region: options.region,
      service: 'cloudformation',
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    },
  );
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(signed).filter(([name]) => name.toLowerCase() !== 'host')),
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new StackLookupError(`cannot reach CloudFormation at ${url.host}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const xml = await response.text();
  if (!response.ok) {
    const code = element(xml, 'Code') ?? `HTTP ${response.status}`;
    throw new StackLookupError(
      `CloudFormation refused DescribeStacks of ${stackName} in ${options.region}: ${code}: ${element(xml, 'Message') ?? ''}`.trim(),
    );
  }
  return parseDescribeStacks(xml, stackName);
}

/** The first stack of a DescribeStacks answer (a stack name names one stack). */
export function parseDescribeStacks(xml: string, stackName: string): StackDescription {
  const stacks = element(xml, 'Stacks');
  const stack = stacks === null ? null : members(stacks)[0];
  if (stack === undefined || stack === null) throw new StackLookupError(`CloudFormation described no stack ${stackName}`);
  const outputs: Record<string, string> = {};
  const outputsXml = element(stack, 'Outputs');
  for (const output of outputsXml === null ? [] : members(outputsXml)) {
    const key = element(output, 'OutputKey');
    const value = element(output, 'OutputValue');
    if (key !== null && value !== null) outputs[key] = value;
  }
  return { name: element(stack, 'StackName') ?? stackName, status: element(stack, 'StackStatus') ?? 'UNKNOWN', outputs };
}

/** The text of the first element `name` (its content, entities decoded when it holds no element); null when absent. */
function element(xml: string, name: string): string | null {
  const open = new RegExp(`<${name}(\\s[^>]*)?>`).exec(xml);
  if (open === null) return null;
  const start = open.index + open[0].length;
  const end = closingOf(xml, name, start);
  if (end === -1) return null;
  const content = xml.slice(start, end);
  return content.includes('<') ? content : decodeEntities(content);
}

/** Where the element `name` opened before `from` closes, counting elements of the same name nested in it. */
function closingOf(xml: string, name: string, from: number): number {
  const tags = new RegExp(`<(/?)${name}(\\s[^>]*)?>`, 'g');
  tags.lastIndex = from;
  let depth = 1;
  for (let tag = tags.exec(xml); tag !== null; tag = tags.exec(xml)) {
    depth += tag[1] === '/' ? -1 : 1;
    if (depth === 0) return tag.index;
  }
  return -1;
}

/** The contents of the `member` elements directly in a list element's content. */
function members(list: string): string[] {
  const found: string[] = [];
  for (let at = list.indexOf('<member>'); at !== -1; ) {
    const start = at + '<member>'.length;
    const end = closingOf(list, 'member', start);
    if (end === -1) break;
    found.push(list.slice(start, end));
    at = list.indexOf('<member>', end + '</member>'.length);
  }
  return found;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity]!;
  });
}
