/**
 * The ceiling reference: the rows a pipeline run wrote, loaded again by PostgreSQL COPY into a fresh database with
 * the same schema, indexes, constraints and reference data. Nothing is faster at putting those rows in those
 * tables, so pipeline time ÷ COPY time says how close the pipeline comes to the database's own limit.
 */
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';

import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

export interface TableRows {
  readonly table: string;
  /** Rows in the run's database beyond those of the template. */
  readonly rows: number;
  /** Whether the template's table was empty (every row of the table is the run's: COPY can reload it whole). */
  readonly fromEmpty: boolean;
}

/** Tables of the public schema, referenced tables before the tables that reference them. */
async function tablesInLoadOrder(client: Client): Promise<string[]> {
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'pgmigrations' ORDER BY c.relname`,
  );
  const edges = await client.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
      WHERE k.contype = 'f' AND c.oid <> p.oid`,
  );
  const parents = new Map<string, string[]>();
  for (const edge of edges.rows) parents.set(edge.child, [...(parents.get(edge.child) ?? []), edge.parent]);
  const ordered: string[] = [];
  const visit = (table: string, seen: Set<string>): void => {
    if (ordered.includes(table) || seen.has(table)) return;
    seen.add(table);
    for (const parent of parents.get(table) ?? []) visit(parent, seen);
    ordered.push(table);
  };
  for (const { name } of tables.rows) visit(name, new Set());
  return ordered;
}

async function counts(client: Client, tables: readonly string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const table of tables) {
    const row = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
    result.set(table, Number(row.rows[0]?.n ?? 0));
  }
  return result;
}

/** Rows the run wrote, table by table (the run's counts less the template's), in load order. */
export async function rowsWritten(runUrl: string, templateUrl: string): Promise<TableRows[]> {
  const run = new Client({ connectionString: runUrl });
  const template = new Client({ connectionString: templateUrl });
  await Promise.all([run.connect(), template.connect()]);
  try {
    const tables = await tablesInLoadOrder(run);
    const [after, before] = await Promise.all([counts(run, tables), counts(template, tables)]);
    return tables
      .map((table) => ({
        table,
        rows: (after.get(table) ?? 0) - (before.get(table) ?? 0),
        fromEmpty: (before.get(table) ?? 0) === 0,
      }))
      .filter((t) => t.rows > 0);
  } finally {
    await Promise.all([run.end(), template.end()]);
  }
}

/**
 * COPYs the rows of `tables` from the run's database into `targetUrl` (a fresh clone of the template), timing only
 * the COPY FROM side, in one transaction; returns its milliseconds. Only tables that were empty in the template
 * are copied (the pipeline adds nothing to the reference data's).
 */
export async function copyCeilingMs(runUrl: string, targetUrl: string, tables: readonly TableRows[]): Promise<number> {
  const source = new Client({ connectionString: runUrl });
  const target = new Client({ connectionString: targetUrl });
  await Promise.all([source.connect(), target.connect()]);
  try {
    const dumps: { table: string; columns: string; data: Buffer[] }[] = [];
    for (const { table } of tables.filter((t) => t.fromEmpty)) {
      const columns = await source.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
        [table],
      );
      const list = columns.rows.map((c) => `"${c.name}"`).join(', ');
      const data: Buffer[] = [];
      await pipeline(
        source.query(copyTo(`COPY (SELECT ${list} FROM "${table}") TO STDOUT`)),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            data.push(chunk);
            done();
          },
        }),
      );
      dumps.push({ table, columns: list, data });
    }
    const started = performance.now();
    await target.query('BEGIN');
    for (const dump of dumps) {
      await pipeline(
        Readable.from(dump.data),
        target.query(copyFrom(`COPY "${dump.table}" (${dump.columns}) FROM STDIN`)),
      );
    }
    await target.query('COMMIT');
    return performance.now() - started;
  } finally {
    await Promise.all([source.end(), target.end()]);
  }
}
