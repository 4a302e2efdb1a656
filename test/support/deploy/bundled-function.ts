/**
 * A function of the synthesized template run as Lambda runs it: its bundled module from
 * the cloud assembly, loaded in a worker thread of its own (one container: module state
 * is not shared with other functions), with an environment of exactly the template's
 * variables, what the Lambda runtime adds (region, function name, memory, credentials)
 * and the endpoint overrides that point its SDK clients at the recording proxy. The
 * handler named by the template's Handler is resolved when the worker starts: a module or
 * export that does not exist fails `start`, as Lambda's Runtime.HandlerNotFound would.
 *
 * An invocation's event and result cross as JSON, as they do on Lambda; a thrown error
 * keeps its name (Step Functions' Retry and Catch match on it) and message. The worker's
 * output (the functions' JSON log lines) is kept, not printed: `logs()` returns it.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { LOCAL_REGION, type TemplateFunction } from './cloud-assembly.js';

export interface BundledFunction {
  readonly spec: TemplateFunction;
  invoke(event: unknown): Promise<unknown>;
  /** The worker's stdout and stderr so far. */
  logs(): string;
  close(): Promise<void>;
}

/** The variables the Lambda runtime sets for every function (besides the template's). */
function runtimeEnvironment(spec: TemplateFunction): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    _HANDLER: spec.handler,
    TZ: ':UTC',
    // s3rver checks signatures with its own key pair; the other stand-ins take any.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SESSION_TOKEN: 'local',
  };
}

/** The worker: loads the bundle, resolves the handler, answers invocations. CommonJS, run with `eval`. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const load = async () => {
  const mod = workerData.file.endsWith('.mjs') ? await import(pathToFileURL(workerData.file).href) : require(workerData.file);
  const fn = mod[workerData.exportName];
  if (typeof fn !== 'function') throw Object.assign(new Error(workerData.handler + ' is undefined or not exported'), { name: 'Runtime.HandlerNotFound' });
  return fn;
};
const loaded = load();
loaded.then(() => parentPort.postMessage({ ready: true }), (e) => parentPort.postMessage({ ready: false, error: { name: e.name, message: e.message, stack: e.stack } }));
parentPort.on('message', async ({ id, event, context }) => {
  try {
    const fn = await loaded;
    const deadline = Date.now() + context.timeoutMs;
    const result = await fn(JSON.parse(event), { ...context, getRemainingTimeInMillis: () => deadline - Date.now() });
    parentPort.postMessage({ id, ok: true, result: result === undefined ? 'null' : JSON.stringify(result) });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, error: { name: (e && e.name) || 'Error', message: String((e && e.message) || e), stack: e && e.stack } });
  }
});
`;

export async function startBundledFunction(spec: TemplateFunction, endpoints: Record<string, string>): Promise<BundledFunction> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: spec.file, exportName: spec.exportName, handler: spec.handler },
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...runtimeEnvironment(spec), ...endpoints, ...spec.environment },
    stdout: true,
    stderr: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  worker.stdout.on('data', keep);
  worker.stderr.on('data', keep);
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: (outcome: { ready: boolean; error?: { name: string; message: string } }) => void = () => {};
  const readiness = new Promise<{ ready: boolean; error?: { name: string; message: string } }>((resolve) => {
    ready = resolve;
  });
  worker.on(
    'message',
    (m: { ready?: boolean; id?: string; ok?: boolean; result?: string; error?: { name: string; message: string; stack?: string } }) => {
      if (m.ready !== undefined) return ready(m as never);
      const call = pending.get(m.id!);
      if (call === undefined) return;
      pending.delete(m.id!);
      if (m.ok) call.resolve(JSON.parse(m.result!));
      else call.reject(Object.assign(new Error(m.error!.message), { name: m.error!.name, stack: m.error!.stack }));
    },
  );
  worker.on('error', (error) => {
    ready({ ready: false, error: { name: error.name, message: error.message } });
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  });
  const outcome = await readiness;
  if (!outcome.ready) {
    await worker.terminate();
    throw new Error(
      `${spec.logicalId} (handler ${spec.handler} in ${spec.file}) did not load: ${outcome.error?.name}: ${outcome.error?.message}`,
    );
  }
  const context = {
    functionName: spec.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: spec.arn,
    memoryLimitInMB: String(spec.memoryMb),
    logGroupName: `/aws/lambda/${spec.name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    timeoutMs: spec.timeoutSeconds * 1000,
  };
  return {
    spec,
    invoke(event) {
      const id = randomUUID();
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, event: JSON.stringify(event ?? null), context: { ...context, awsRequestId: id } });
      });
    },
    logs: () => output,
    async close() {
      await worker.terminate();
    },
  };
}
