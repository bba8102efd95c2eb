/**
 * The fault suite's TCP proxy (test/helpers/tcp-proxy.ts) against the real test PostgreSQL: a connection through
 * it works, `cutAll` resets it mid-transaction so the client sees an error and the server rolls the transaction
 * back, and new connections go through at once.
 */
import { Client } from 'pg';

import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy';
import { createTestDatabase, freePort, type TestDatabase } from '../helpers/postgres';

let db: TestDatabase;
let proxy: TcpProxy;
let proxiedUrl: string;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  const target = new URL(db.url);
  proxy = await startTcpProxy({ listenPort: await freePort(), targetPort: Number(target.port) });
  target.port = String(proxy.port);
  proxiedUrl = target.toString();
  await db.pool.query('CREATE TABLE proxy_probe (note text)');
});

afterAll(async () => {
  await proxy.close();
  await db.drop();
});

test('a connection cut mid-transaction fails the client and commits nothing; the next one goes through', async () => {
  // Arrange: a transaction in flight through the proxy
  const client = new Client({ connectionString: proxiedUrl });
  const failed = new Promise<unknown>((resolve) => client.once('error', resolve));
  await client.connect();
  await client.query('BEGIN');
  await client.query(`INSERT INTO proxy_probe VALUES ('in flight')`);
  expect(proxy.open()).toBe(1);

  // Act
  const cut = proxy.cutAll();

  // Assert: the client learns of it, the server rolled back, a new connection works
  expect(cut).toBe(1);
  await expect(client.query('COMMIT')).rejects.toThrow();
  await failed;
  await client.end().catch(() => undefined);
  const again = new Client({ connectionString: proxiedUrl });
  await again.connect();
  const rows = await again.query('SELECT count(*)::int AS n FROM proxy_probe');
  await again.end();
  expect(rows.rows).toEqual([{ n: 0 }]);
});
