import type BetterSqlite3 from 'better-sqlite3';

/**
 * A note's `version` goes up by exactly one per save. The update rule only says "greater" (rules
 * have no arithmetic), so an editor could save version 2^53−1 and every later save would be refused:
 * the note frozen for its owner too. SQLite checks the step for every write path (records API,
 * batch), and the API answers 400 (api/core/http.ts maps the trigger's refusal).
 */
export function up(sql: BetterSqlite3.Database): void {
  sql.exec(`
    CREATE TRIGGER notes_version_steps_by_one
    BEFORE UPDATE OF version ON notes
    WHEN NEW.version != OLD.version + 1
    BEGIN
      SELECT RAISE(ABORT, 'A note''s version must go up by exactly one per save.');
    END;
  `);
}
