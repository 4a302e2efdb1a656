/**
 * Driver executions on AWS Step Functions. The execution ARN of a name is derived from
 * the state machine ARN (arn:...:stateMachine:<sm> → arn:...:execution:<sm>:<name>), so a
 * status check needs no listing.
 */
import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ConfigurationError } from '../../errors.js';
import type { DriverExecutionInput, DriverExecutions, ExecutionStatus } from '../../ports/driver-executions.js';
import { isAlreadyExists, isNotFound } from './aws-errors.js';

export interface StepFunctionsDriverExecutionsOptions {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
}

export class StepFunctionsDriverExecutions implements DriverExecutions {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor(options: StepFunctionsDriverExecutionsOptions) {
    if (!/^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+$/.test(options.stateMachineArn)) {
      throw new ConfigurationError(`not a state machine ARN: ${options.stateMachineArn}`);
    }
    this.client = options.client;
    this.stateMachineArn = options.stateMachineArn;
  }

  async start(name: string, input: DriverExecutionInput): Promise<'started' | 'exists'> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      return 'started';
    } catch (error) {
      if (isAlreadyExists(error)) return 'exists';
      throw error;
    }
  }

  async status(name: string): Promise<ExecutionStatus | null> {
    try {
      const { status } = await this.client.send(new DescribeExecutionCommand({ executionArn: this.executionArn(name) }));
      return (status as ExecutionStatus | undefined) ?? null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}
