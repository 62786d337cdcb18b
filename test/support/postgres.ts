/** The Postgres the tests use: `KAIROS_TEST_DATABASE_URL`, or the machine's local server. */
export const TEST_DATABASE_URL =
  process.env.KAIROS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
