import type { Metadata } from "next";
import Link from "next/link";
import { AppNav } from "@/app/ui/app-nav";
import { accountOverview } from "@/lib/account";
import { EVENT_LABELS, type EventType } from "@/lib/audit";
import { getMinPasswordLength } from "@/lib/config";
import { requireSession } from "@/lib/dal";
import { describeUserAgent } from "@/lib/http/client-address";
import { PASSKEY_NAME_MAX } from "@/lib/auth/passkeys";
import { ChangePasswordForm } from "./change-password-form";
import { AddPasskeyForm, RemovePasskeyForm } from "./passkeys/passkey-forms";
import { RevokeOtherSessionsForm, RevokeSessionForm } from "./session-forms";

export const metadata: Metadata = { title: "Account" };

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const formatTime = (date: Date) => `${dateTime.format(date)} UTC`;

export default async function AccountPage() {
  const current = await requireSession("/account");
  const { sessions, events, twoFactorOn, passkeys } = await accountOverview(current.user.id);
  const others = sessions.filter((session) => session.id !== current.session.id);

  return (
    <>
      <AppNav />
      <h1>Account</h1>
      <p>
        Signed in as <strong>{current.user.username}</strong>.
      </p>

      <section aria-labelledby="change-password-heading">
        <h2 id="change-password-heading">Change password</h2>
        <ChangePasswordForm username={current.user.username} minPasswordLength={getMinPasswordLength()} />
      </section>

      <section aria-labelledby="two-factor-heading">
        <h2 id="two-factor-heading">Two-factor authentication</h2>
        <p>
          <span data-testid="two-factor-summary">{twoFactorOn ? "On" : "Off"}</span>
          {" · "}
          <Link href="/account/two-factor">{twoFactorOn ? "Manage two-factor authentication" : "Set up two-factor authentication"}</Link>
        </p>
      </section>

      <section aria-labelledby="passkeys-heading">
        <h2 id="passkeys-heading">Passkeys</h2>
        <p>A passkey signs you in without a password or code: your device checks it is you (fingerprint, face or PIN).</p>
        {passkeys === null ? (
          <p>Passkeys are not available on this server.</p>
        ) : (
          <>
            {passkeys.length > 0 && (
              <ul className="list" data-testid="passkeys">
                {passkeys.map((passkey) => (
                  <li key={passkey.id} data-testid="passkey">
                    <div>
                      <strong>{passkey.name}</strong>
                      <br />
                      <small>
                        added {formatTime(passkey.createdAt)} · {passkey.lastUsedAt ? `last used ${formatTime(passkey.lastUsedAt)}` : "never used"}
                      </small>
                    </div>
                    <RemovePasskeyForm passkeyId={passkey.id} name={passkey.name} />
                  </li>
                ))}
              </ul>
            )}
            <AddPasskeyForm nameMaxLength={PASSKEY_NAME_MAX} />
          </>
        )}
      </section>

      <section aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Active sessions</h2>
        <ul className="list" data-testid="sessions">
          {sessions.map((session) => (
            <li key={session.id} data-testid="session">
              <div>
                <strong>{describeUserAgent(session.userAgent)}</strong>
                {session.id === current.session.id && <span className="badge">This device</span>}
                <br />
                <small>
                  {session.ip ?? "unknown address"} · signed in {formatTime(session.createdAt)} · last seen{" "}
                  {formatTime(session.lastSeenAt)}
                  {session.persistent ? " · kept signed in" : ""}
                </small>
              </div>
              <RevokeSessionForm sessionId={session.id} label={session.id === current.session.id ? "Sign out" : "Revoke"} />
            </li>
          ))}
        </ul>
        {others.length > 0 && <RevokeOtherSessionsForm />}
      </section>

      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Recent activity</h2>
        <ul className="list" data-testid="activity">
          {events.map((event) => (
            <li key={event.id}>
              <div>
                <strong>{EVENT_LABELS[event.type as EventType] ?? event.type}</strong>
                <br />
                <small>
                  {formatTime(event.createdAt)} · {event.ip ?? "unknown address"} · {describeUserAgent(event.userAgent)}
                </small>
              </div>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
