/**
 * explainDatabaseOutage (activities/shared/temporal-connect-error.ts): what
 * Temporal answers when it cannot reach its own database, as the CLI (grpc-js,
 * code 14 under the client's error) and a worker (the SDK core's status text)
 * see it, becomes one line that names the server and the database.
 */
import { explainDatabaseOutage } from '../../activities/shared/temporal-connect-error';

const config = { address: '127.0.0.1:17233' };

test("the client's error (code 14 under 'Failed to list workflows') names the server's answer", () => {
  const cause = Object.assign(
    new Error(
      '14 UNAVAILABLE: ListWorkflowExecutions operation failed. Select failed: dial tcp 127.0.0.1:55432: connect: connection refused',
    ),
    { code: 14 },
  );
  const err = Object.assign(new Error('Failed to list workflows'), { cause });
  expect(explainDatabaseOutage(err, config)).toBe(
    "Temporal at 127.0.0.1:17233 answers, but its database does not (the server said: ListWorkflowExecutions operation failed. Select failed: dial tcp 127.0.0.1:55432: connect: connection refused): check the server's persistence store (for scripts/prod-stack: PostgreSQL, `scripts/prod-stack db-start`); goals already started wait and carry on once it is back",
  );
});

test("the SDK core's status text (a worker's namespace check) gives the same line", () => {
  const err = new Error(
    'Namespace default was not found or otherwise could not be described: Status { code: Unavailable, message: "GetNamespace operation failed. Error no usable database connection found", metadata: MetadataMap { headers: {} }, source: None }',
  );
  expect(explainDatabaseOutage(err, config)).toMatch(
    /^Temporal at 127\.0\.0\.1:17233 answers, but its database does not \(the server said: GetNamespace operation failed\. Error no usable database connection found\)/,
  );
});

test('other failures are not a database outage', () => {
  const unreachable = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
  const notFound = Object.assign(new Error('5 NOT_FOUND: workflow not found'), { code: 5 });
  expect(explainDatabaseOutage(unreachable, config)).toBeUndefined();
  expect(explainDatabaseOutage(notFound, config)).toBeUndefined();
  expect(explainDatabaseOutage(new Error('operation failed'), config)).toBeUndefined();
});
