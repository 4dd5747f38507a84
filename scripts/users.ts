// Operator CLI: `npm run users -- <command>`. Non-interactive when stdin is not a
// terminal (scripts, CI); prompts without echo when it is.
//
//   add <username> [--password-stdin]     create a user
//   list                                  list users
//   remove <username>                     delete a user; their sessions end at once
//   passwd <username> [--password-stdin]  set a new password; signs the user out everywhere
//   revoke <username>                     sign the user out everywhere
//   mfa-reset <username>                  turn off two-factor authentication, remove passkeys; signs the user out everywhere
import "./load-env";
import { createInterface } from "node:readline";
import { migrateDatabase } from "./migrate";
import { checkPasswordPolicy } from "../lib/auth/password-policy";
import { revokeUserSessions } from "../lib/session/store";
import {
  createUser,
  findUserByUsername,
  listUsers,
  removeUser,
  setPasswordAndSignOut,
  UsernameTakenError,
  UserNotFoundError,
} from "../lib/auth/accounts";
import { resetTwoFactor } from "../lib/auth/two-factor";
import { checkUsername, normalizeUsername } from "../lib/auth/validation";
import type { Client } from "../lib/http/client-address";

const USAGE = `Usage: npm run users -- <command>
  add <username> [--password-stdin]     create a user
  list                                  list users
  remove <username>                     delete a user (signs them out everywhere)
  passwd <username> [--password-stdin]  set a new password (signs them out everywhere)
  revoke <username>                     sign a user out everywhere
  mfa-reset <username>                  turn off a user's two-factor authentication and remove their passkeys
                                        (signs them out everywhere)`;

// Who did it, in the audit log and the user's own activity list: there is no
// request here, so no address; "cli" stands where the client's address would.
const OPERATOR: Client = { ip: "cli", userAgent: "Operator (npm run users)" };

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  // Works on a fresh checkout too: the database is created or brought up to date first.
  await migrateDatabase();
  const flags = new Set(argv.filter((arg) => arg.startsWith("--")));
  const [command, rawName, ...extra] = argv.filter((arg) => !arg.startsWith("--"));
  const unknownFlag = [...flags].find((flag) => flag !== "--password-stdin");
  if (unknownFlag) throw new UsageError(`Unknown option ${unknownFlag}.`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);

  if (command === "list") {
    const users = await listUsers();
    if (users.length === 0) console.log("No users.");
    for (const user of users) console.log(`${user.username}\t(created ${user.createdAt.toISOString()})`);
    return;
  }
  if (command !== "add" && command !== "remove" && command !== "passwd" && command !== "revoke" && command !== "mfa-reset") {
    throw new UsageError(command ? `Unknown command "${command}".` : "Missing command.");
  }
  if (!rawName) throw new UsageError(`${command} needs a username.`);
  const username = normalizeUsername(rawName);

  if (command === "remove") {
    await removeUser(username);
    console.log(`Removed ${username}; their sessions have ended.`);
    return;
  }
  if (command === "revoke") {
    const ended = await revokeUserSessions(await requireUserId(username));
    console.log(`Signed ${username} out everywhere (${ended} session(s) ended).`);
    return;
  }
  if (command === "mfa-reset") {
    const ended = await resetTwoFactor(username, OPERATOR);
    console.log(
      ended === null
        ? `${username} has neither two-factor authentication nor passkeys; nothing changed.`
        : `Two-factor authentication turned off and passkeys removed for ${username}; ${ended} session(s) signed out.`,
    );
    return;
  }
  const usernameProblem = command === "add" ? checkUsername(username) : null;
  if (usernameProblem) throw new Error(usernameProblem);
  const password = await readNewPassword(flags.has("--password-stdin"));
  const policyProblem = await checkPasswordPolicy(password, username);
  if (policyProblem) throw new Error(policyProblem);
  if (command === "add") {
    await createUser(username, password);
    console.log(`Created ${username}.`);
  } else {
    // Whoever held a session under the old password is signed out.
    const ended = await setPasswordAndSignOut(username, password);
    console.log(`Changed the password of ${username}; ${ended} session(s) signed out.`);
  }
}

async function requireUserId(username: string): Promise<number> {
  const user = await findUserByUsername(username);
  if (!user) throw new UserNotFoundError(username);
  return user.id;
}

async function readNewPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) return readFirstLine();
  const first = await promptHidden("New password: ");
  const second = await promptHidden("Repeat it: ");
  if (first !== second) throw new Error("The passwords do not match.");
  return first;
}

/** The first line of stdin, without its line ending; the rest is ignored. */
async function readFirstLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new Error("No password on standard input.");
}

async function promptHidden(question: string): Promise<string> {
  process.stdout.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let value = "";
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") {
          cleanup();
          process.stdout.write("\n");
          resolve(value);
          return;
        }
        if (char === "\u0003") {
          cleanup();
          reject(new Error("Cancelled."));
          return;
        }
        value = char === "\u007f" ? value.slice(0, -1) : value + char;
      }
    };
    const cleanup = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on("data", onData);
  });
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    const known = error instanceof UsernameTakenError || error instanceof UserNotFoundError || error instanceof Error;
    console.error(known ? `users: ${(error as Error).message}` : error);
    process.exit(1);
  },
);
