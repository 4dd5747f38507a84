import type { Metadata } from "next";
import { AppNav } from "@/app/ui/app-nav";
import { PasskeyButton } from "@/app/ui/passkey-button";
import { arePasskeysAvailable, listPasskeys } from "@/lib/auth/passkeys";
import { isTwoFactorEnabled } from "@/lib/auth/two-factor";
import { requireSession } from "@/lib/dal";
import { safeNextPath } from "@/lib/http/safe-next";
import { confirmWithPasskeyAction } from "../actions";
import { ConfirmIdentityForm } from "./confirm-identity-form";

export const metadata: Metadata = { title: "Confirm it's you" };

type Props = { searchParams: Promise<{ next?: string | string[] }> };

/** "Confirm it's you": where a sensitive page or action sends a session whose sign-in is older than 10 minutes (lib/dal.ts). */
export default async function ConfirmIdentityPage({ searchParams }: Props) {
  const returnTo = safeNextPath((await searchParams).next);
  const { user } = await requireSession(`/account/confirm?next=${encodeURIComponent(returnTo)}`);
  const [needsCode, passkeys] = await Promise.all([isTwoFactorEnabled(user.id), arePasskeysAvailable() ? listPasskeys(user.id) : []]);
  const hasPasskey = passkeys.length > 0;
  return (
    <>
      <AppNav />
      <h1>Confirm it&apos;s you</h1>
      <p>
        This needs a sign-in within the last 10 minutes. Enter your password{needsCode ? " and a code from your authenticator app" : ""} to
        carry on.
      </p>
      <ConfirmIdentityForm next={returnTo} username={user.username} needsCode={needsCode} />
      {hasPasskey && (
        <>
          <p>Or use one of your passkeys:</p>
          <PasskeyButton label="Confirm with a passkey" next={returnTo} finish={confirmWithPasskeyAction} />
        </>
      )}
    </>
  );
}
