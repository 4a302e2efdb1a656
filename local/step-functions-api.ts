/**
 * The Step Functions API in front of the local runtime: a node:http server on loopback
 * that answers the AWS JSON 1.0 protocol (POST /, `X-Amz-Target: AWSStepFunctions.<Op>`)
 * for the two operations the driver's adapter calls, so StepFunctionsDriverExecutions and
 * the real SFNClient run against LocalStepFunctions (the contract tests do; no Step
 * Functions endpoint runs here otherwise).
 *
 *   StartExecution     { stateMachineArn, name, input } → { executionArn, startDate }
 *   DescribeExecution  { executionArn } → { executionArn, stateMachineArn, name, status, startDate, ... }
 *
 * Errors are what the service answers: 400 with `__type` ExecutionAlreadyExists,
 * ExecutionDoesNotExist, StateMachineDoesNotExist, InvalidExecutionInput (input that is
 * not JSON), SerializationException (a body that is not) or UnknownOperationException
 * (every other operation).
 *
 * Not implemented: SigV4 checks (any credentials pass), name and ARN validation, stopDate,
 * and AWS's idempotent success for a second start of a running execution with the same
 * input: here, as in the local runtime, a name starts once and every later start finds it
 * exists. An execution the runtime started itself (a continue-as-new) has for startDate
 * the moment this front first described it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DriverExecutionInput } from '../engine/ports/driver-executions.js';
import type { LocalStepFunctions } from './step-functions.js';

export interface StepFunctionsApiOptions {
  /** The ARN the runtime's driver state machine answers to (StartExecution names it). */
  readonly stateMachineArn: string;
  /** Default 0: a free port. */
  readonly port?: number;
}

export interface StepFunctionsApi {
  /** `http://127.0.0.1:<port>`: the SFNClient's `endpoint`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

/** A 400 answer: its `__type` is the error's name the SDK throws. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startStepFunctionsApi(runtime: LocalStepFunctions, options: StepFunctionsApiOptions): Promise<StepFunctionsApi> {
  const { stateMachineArn } = options;
  const executionPrefix = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
  /** Start dates in epoch seconds, as the service's JSON has them. */
  const startDates = new Map<string, number>();
  const startDate = (name: string): number => {
    if (!startDates.has(name)) startDates.set(name, Date.now() / 1000);
    return startDates.get(name)!;
  };

  const operations: Record<string, (body: Body) => Promise<Body>> = {
    async StartExecution(body) {
      if (body.stateMachineArn !== stateMachineArn) {
        throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
      }
      const name = typeof body.name === 'string' ? body.name : randomUUID();
      const executionArn = executionPrefix + name;
      const input = parse(typeof body.input === 'string' ? body.input : '{}', 'InvalidExecutionInput');
      if ((await runtime.start(name, input as DriverExecutionInput)) === 'exists') {
        throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      return { executionArn, startDate: startDate(name) };
    },
    async DescribeExecution(body) {
      const executionArn = String(body.executionArn);
      const name = executionArn.startsWith(executionPrefix) ? executionArn.slice(executionPrefix.length) : '';
      const execution = name === '' ? null : runtime.describe(name);
      if (execution === null) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
      return {
        executionArn,
        stateMachineArn,
        name,
        status: execution.status,
        startDate: startDate(name),
        ...(execution.status === 'SUCCEEDED' ? { output: JSON.stringify(execution.output) } : {}),
        ...(execution.error === null ? {} : { error: execution.error }),
        ...(execution.cause === null ? {} : { cause: execution.cause }),
      };
    },
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = /^AWSStepFunctions\.(\w+)$/.exec(String(req.headers['x-amz-target']))?.[1];
    const operation = req.method === 'POST' && target !== undefined && Object.hasOwn(operations, target) ? operations[target]! : null;
    try {
      if (operation === null)
        throw new ServiceError('UnknownOperationException', `unknown operation: ${String(req.headers['x-amz-target'])}`);
      const body = parse(Buffer.concat(chunks).toString('utf8') || '{}', 'SerializationException');
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new ServiceError('SerializationException', 'the request body must be a JSON object');
      reply(res, 200, await operation(body as Body));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      reply(res, 400, { __type: error.type, message: error.message });
    }
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => reply(res, 500, { __type: 'InternalFailure', message: String(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parse(json: string, errorType: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new ServiceError(errorType, `not JSON: ${String(error)}`);
  }
}

function reply(res: ServerResponse, status: number, body: Body): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}
