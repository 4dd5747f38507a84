// Whether the SQLite file this process's connections opened is still the
// database at DATABASE_URL's path. SQLite keeps working on the file it opened,
// whatever happens to the path:
// - moved away or deleted: every write still succeeds, into a file nobody will
//   read again;
// - replaced (a restore): the connections go on with the old file;
// - opened while read-only: SQLite falls back to a read-only connection, which
//   stays read-only after the permissions are fixed.
// Only a new connection sees the path as it is now. So the process's
// connection (lib/db/sqlite-adapter.ts) registers here, and is closed when the
// answer changes; the next query opens a fresh one.
//
// All together, and each folding its WAL into the file it holds first: the -wal
// file belongs to a *path*, not to a file. SQLite skips its checkpoint-on-close
// for a moved file, leaving that file's transactions in the -wal at the path,
// where the next file to arrive there would pick them up as its own (seen here:
// a restored file lost its newest rows to the file it replaced).
import { accessSync, constants, statSync } from "node:fs";

/** How often the path is looked at while connections are open: one stat(2). */
export const FILE_CHECK_INTERVAL_MS = 500;

/** Folds the connection's WAL into the file it has open, then closes it; synchronous. */
export type CloseConnection = () => void;

type Watched = {
  databasePath: string;
  identity: string | null;
  writable: boolean;
  connections: Set<CloseConnection>;
  timer: NodeJS.Timeout;
};

// On globalThis: middleware and the app are separate bundles in one process.
const globalForFile = globalThis as unknown as { keycardDatabaseFile?: Watched };

function identityOf(databasePath: string): string | null {
  const stat = statSync(databasePath, { throwIfNoEntry: false });
  return stat ? `${stat.dev}:${stat.ino}` : null;
}

/**
 * Whether a new connection would be read-write. SQLite creates the -wal and -shm
 * files with the database file's permissions and opens the connection read-only
 * when any of the three cannot be written, so all three count.
 */
function isWritable(databasePath: string): boolean {
  return ["", "-wal", "-shm"].every((suffix) => {
    try {
      accessSync(databasePath + suffix, constants.W_OK);
      return true;
    } catch (error) {
      return suffix !== "" && (error as NodeJS.ErrnoException).code === "ENOENT";
    }
  });
}

function hasChanged(watched: Watched): boolean {
  if (identityOf(watched.databasePath) !== watched.identity) return true;
  return !watched.writable && isWritable(watched.databasePath);
}

function closeAll(watched: Watched): void {
  clearInterval(watched.timer);
  if (globalForFile.keycardDatabaseFile === watched) delete globalForFile.keycardDatabaseFile;
  for (const close of watched.connections) {
    try {
      close();
    } catch (error) {
      console.warn("keycard: closing a database connection failed:", error instanceof Error ? error.message : error);
    }
  }
  watched.connections.clear();
}

/**
 * Closes every connection this process has open to the database, whichever
 * bundle opened it (shutdown); the next query would open a new one. The last to
 * close removes the -wal and -shm files.
 */
export function closeAllConnections(): void {
  const watched = globalForFile.keycardDatabaseFile;
  if (watched) closeAll(watched);
}

/**
 * Call right before opening a connection to `databasePath`: when the file there
 * is no longer the one the open connections hold, they are closed first, so
 * that connections to two different files never share the path's -wal file.
 */
export function closeConnectionsToOtherFile(databasePath: string): void {
  const watched = globalForFile.keycardDatabaseFile;
  if (watched && (watched.databasePath !== databasePath || hasChanged(watched))) closeAll(watched);
}

/**
 * Call right after opening a connection: `close` runs, with every other
 * registered connection's, from a timer (never in the middle of a caller's
 * synchronous work) when the path no longer names the file that was opened, or
 * when a file that was not writable then is writable now. Returns the function
 * that takes the connection off the list, for an orderly close.
 */
export function watchConnection(databasePath: string, close: CloseConnection): () => void {
  let watched = globalForFile.keycardDatabaseFile;
  if (!watched) {
    const timer = setInterval(() => {
      const current = globalForFile.keycardDatabaseFile;
      if (current && hasChanged(current)) closeAll(current);
    }, FILE_CHECK_INTERVAL_MS);
    // The check must never be what keeps a finished process alive.
    timer.unref();
    watched = { databasePath, identity: identityOf(databasePath), writable: isWritable(databasePath), connections: new Set(), timer };
    globalForFile.keycardDatabaseFile = watched;
  }
  const registered = watched;
  registered.connections.add(close);
  return () => {
    registered.connections.delete(close);
    if (registered.connections.size > 0) return;
    clearInterval(registered.timer);
    if (globalForFile.keycardDatabaseFile === registered) delete globalForFile.keycardDatabaseFile;
  };
}
