import type { Metadata } from "next";
import Link from "next/link";
import { AppNav } from "@/app/ui/app-nav";
import { RECOVERY_CODE_COUNT } from "@/lib/auth/recovery-codes";
import { twoFactorStatus } from "@/lib/auth/two-factor";
import { requireRecentSignIn, requireSession } from "@/lib/dal";
import { renewRecoveryCodesAction, turnOffAction } from "./actions";
import { BeginSetupForm, ConfirmSetupForm, PasswordAndCodeForm } from "./two-factor-forms";

export const metadata: Metadata = { title: "Two-factor authentication" };

const PAGE = "/account/two-factor";
const date = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });

/**
 * Two-factor authentication with an authenticator app: set it up (after a
 * recent sign-in: it shows a secret), or, once on, new recovery codes and
 * turning it off (each with the password and a current code).
 */
export default async function TwoFactorPage() {
  const { user } = await requireSession(PAGE);
  const status = await twoFactorStatus(user);
  if (status.state === "off" || status.state === "setting-up") await requireRecentSignIn(PAGE);

  return (
    <>
      <AppNav />
      <h1>Two-factor authentication</h1>
      <p>
        <Link href="/account">Back to your account</Link>
      </p>
      {status.state === "unavailable" && (
        <p data-testid="two-factor-status">Two-factor authentication is not available on this server. Ask its operator to set TOTP_ENCRYPTION_KEY.</p>
      )}
      {status.state === "off" && (
        <>
          <p data-testid="two-factor-status">
            Off. With it on, signing in needs a code from an authenticator app on your phone (such as Google Authenticator, 1Password or
            Aegis) as well as your password.
          </p>
          <BeginSetupForm />
        </>
      )}
      {status.state === "setting-up" && (
        <section aria-labelledby="setup-heading">
          <h2 id="setup-heading">Set up your authenticator app</h2>
          <p data-testid="two-factor-status">Not on yet. Scan this QR code with your authenticator app, or type the setup key into it.</p>
          {/* The QR code is made on the server (lib/auth/two-factor.ts); the setup key is its text alternative. */}
          {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL of our own SVG, nothing to optimise. */}
          <img
            className="qr-code"
            src={`data:image/svg+xml;base64,${Buffer.from(status.setup.qrCodeSvg).toString("base64")}`}
            alt={`QR code. Setup key: ${status.setup.setupKey}`}
            width={200}
            height={200}
          />
          <p>
            Setup key: <code data-testid="setup-key">{status.setup.setupKey}</code>
          </p>
          <details>
            <summary>Setup link for apps on this device</summary>
            <p>
              <a href={status.setup.otpauthUri} data-testid="otpauth-uri">
                {status.setup.otpauthUri}
              </a>
            </p>
          </details>
          <p>Then enter the code the app shows to turn it on.</p>
        </section>
      )}
      {/* In a place of its own whatever the state: its answer, the recovery codes, comes with the page
          rendered again (two-factor authentication on by then), and reaches the form only where it still is. */}
      <ConfirmSetupForm open={status.state === "setting-up"} />
      {status.state === "on" && (
        <>
          <p data-testid="two-factor-status">
            On since {date.format(status.since)}. {status.recoveryCodesLeft} of {RECOVERY_CODE_COUNT} recovery codes left.
          </p>
          <section aria-labelledby="renew-heading">
            <h2 id="renew-heading">New recovery codes</h2>
            <p>The old codes stop working.</p>
            <PasswordAndCodeForm id="renew" action={renewRecoveryCodesAction} submit="Make new recovery codes" username={user.username} />
          </section>
          <section aria-labelledby="turn-off-heading">
            <h2 id="turn-off-heading">Turn off</h2>
            <PasswordAndCodeForm id="turn-off" action={turnOffAction} submit="Turn off two-factor authentication" username={user.username} />
          </section>
        </>
      )}
    </>
  );
}
