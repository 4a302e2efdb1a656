/**
 * The stack lookup of `sluice smoke --stack` (cli/stack-outputs.ts): a signed
 * DescribeStacks query, its XML answer read as the API reference shapes it, and its error
 * answer as one line.
 */
import { describe, expect, it } from 'vitest';
import { describeStack, parseDescribeStacks, StackLookupError } from '../../../cli/stack-outputs.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

const ANSWER = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackName>Sluice</StackName>
        <Capabilities><member>CAPABILITY_IAM</member></Capabilities>
        <Outputs>
          <member>
            <Description>The jobs API</Description>
            <OutputKey>ApiUrl</OutputKey>
            <OutputValue>https://abc123.execute-api.eu-west-1.amazonaws.com/</OutputValue>
          </member>
          <member>
            <OutputKey>WalTableName</OutputKey>
            <OutputValue>Sluice-Wal&amp;Co</OutputValue>
            <ExportName>wal</ExportName>
          </member>
        </Outputs>
        <StackStatus>UPDATE_COMPLETE</StackStatus>
        <Parameters><member><ParameterKey>BootstrapVersion</ParameterKey><ParameterValue>/cdk-bootstrap/hnb659fds/version</ParameterValue></member></Parameters>
      </member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>
</DescribeStacksResponse>`;

describe('describeStack', () => {
  it('sends a DescribeStacks query signed for cloudformation in the region, and reads the outputs of the answer', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const fetchStub = (async (url: URL, init: RequestInit) => {
      sent.push({ url: String(url), init });
      return new Response(ANSWER, { status: 200 });
    }) as unknown as typeof fetch;
    const stack = await describeStack('Sluice', { region: 'eu-west-1', credentials: CREDENTIALS, fetch: fetchStub });
    expect(stack).toEqual({
      name: 'Sluice',
      status: 'UPDATE_COMPLETE',
      outputs: { ApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/', WalTableName: 'Sluice-Wal&Co' },
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('https://cloudformation.eu-west-1.amazonaws.com/');
    expect(sent[0]!.init.method).toBe('POST');
    expect(new URLSearchParams(String(sent[0]!.init.body))).toEqual(
      new URLSearchParams({ Action: 'DescribeStacks', StackName: 'Sluice', Version: '2010-05-15' }),
    );
    const headers = sent[0]!.init.headers as Record<string, string>;
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/cloudformation\/aws4_request, /);
    expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('host');
  });

  it("throws the service's error code and message as one StackLookupError", async () => {
    const refusal = `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id Nope does not exist</Message></Error>
  <RequestId>42</RequestId></ErrorResponse>`;
    const fetchStub = (async () => new Response(refusal, { status: 400 })) as unknown as typeof fetch;
    const lookup = describeStack('Nope', { region: 'us-east-1', credentials: CREDENTIALS, fetch: fetchStub });
    await expect(lookup).rejects.toThrow(StackLookupError);
    await expect(lookup).rejects.toThrow(
      'CloudFormation refused DescribeStacks of Nope in us-east-1: ValidationError: Stack with id Nope does not exist',
    );
  });

  it('throws a StackLookupError when CloudFormation cannot be reached', async () => {
    const fetchStub = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    await expect(describeStack('Sluice', { region: 'us-east-1', credentials: CREDENTIALS, fetch: fetchStub })).rejects.toThrow(
      'cannot reach CloudFormation at cloudformation.us-east-1.amazonaws.com: fetch failed',
    );
  });
});

describe('parseDescribeStacks', () => {
  it('reads a stack without outputs as no outputs, and an answer without a stack as an error', () => {
    const bare =
      '<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>S</StackName><StackStatus>CREATE_IN_PROGRESS</StackStatus></member></Stacks></DescribeStacksResult></DescribeStacksResponse>';
    expect(parseDescribeStacks(bare, 'S')).toEqual({ name: 'S', status: 'CREATE_IN_PROGRESS', outputs: {} });
    expect(() =>
      parseDescribeStacks('<DescribeStacksResponse><DescribeStacksResult><Stacks/></DescribeStacksResult></DescribeStacksResponse>', 'S'),
    ).toThrow('CloudFormation described no stack S');
  });
});
