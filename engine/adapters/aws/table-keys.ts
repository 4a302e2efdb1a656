/**
 * Key attributes of the engine's DynamoDB tables, shared by the adapters, local
 * provisioning and the CDK stack (this module imports nothing, so synth loads no SDK).
 */

/** Key attributes of the write-ahead-log table (DynamoDbWriteAheadLog): pk = job id, sk = item kind and id. Both strings. */
export const WAL_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
/** Key attribute of a sink table (DynamoDbSink): pk = the row key. A string. */
export const SINK_TABLE_KEYS = { partitionKey: 'pk' } as const;
/** Key attributes of the dead-letter table (DynamoDbDeadLetterQueue): pk = job id, sk = a bundle's `<partition>#<first offset>#<last offset>#<digest>`. Strings. */
export const DEAD_LETTER_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
