// Prints the newest access records of the example's SQLite file as pretty JSON, newest first.
//
//   node examples/basic/show-records.js [count] [file]
//
// count defaults to 5, file to ./access-log.sqlite. Exits with status 1 when the file or its
// records are missing, so scripts can tell an empty log from a full one.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';

const [countArg = '5', fileArg = 'access-log.sqlite'] = process.argv.slice(2);
const count = Number(countArg);
if (!Number.isSafeInteger(count) || count < 1) {
  console.error(`count must be a whole number of 1 or more, got "${countArg}"`);
  process.exit(2);
}
const file = resolve(fileArg);
if (!existsSync(file)) {
  console.error(`${file} does not exist yet: start the example and open a page first.`);
  process.exit(1);
}

const db = new Database(file, { readonly: true, fileMustExist: true });
try {
  const table = db
    .prepare("select 1 from sqlite_master where type = 'table' and name = 'access_records'")
    .get();
  const rows = table
    ? db.prepare('select record from access_records order by time desc, id desc limit ?').all(count)
    : [];
  if (rows.length === 0) {
    console.error(`${file} holds no access records yet.`);
    process.exitCode = 1;
  } else {
    console.log(
      JSON.stringify(
        rows.map((row) => JSON.parse(row.record)),
        null,
        2,
      ),
    );
  }
} finally {
  db.close();
}
