import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { arePasskeysAvailable } from "@/lib/auth/passkeys";
import { getCurrentUser } from "@/lib/dal";
import { safeNextPath } from "@/lib/http/safe-next";
import { LoginForm } from "./login-form";
import { PasskeySignIn } from "./passkey-sign-in";

export const metadata: Metadata = { title: "Sign in" };

type Props = { searchParams: Promise<{ next?: string | string[]; "signed-out"?: string | string[] }> };

export default async function LoginPage({ searchParams }: Props) {
  const { next, "signed-out": signedOut } = await searchParams;
  const returnTo = safeNextPath(next);
  if (await getCurrentUser()) redirect(returnTo);
  return (
    <>
      <h1>Sign in to Keycard</h1>
      {/* logoutAction while the database was down: the cookie is gone, the session row is not. */}
      {signedOut === "unrecorded" && (
        <p role="status" data-testid="signed-out-unrecorded">
          Signed out of this browser, but the server could not record it: the session stays valid until it times out.
        </p>
      )}
      <LoginForm next={returnTo} />
      {arePasskeysAvailable() && <PasskeySignIn next={returnTo} />}
      <p>
        New here? <Link href="/signup">Create an account</Link>
      </p>
    </>
  );
}
