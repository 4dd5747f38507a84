import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { readPendingSignIn } from "@/lib/auth/pending-sign-in";
import { getCurrentUser } from "@/lib/dal";
import { safeNextPath } from "@/lib/http/safe-next";
import { SecondFactorForm } from "./second-factor-form";

export const metadata: Metadata = { title: "Two-factor authentication" };

type Props = { searchParams: Promise<{ next?: string | string[]; method?: string | string[] }> };

/** The second sign-in step, for an account with two-factor authentication on (app/(auth)/actions.ts). */
export default async function SecondFactorPage({ searchParams }: Props) {
  const { next, method } = await searchParams;
  const returnTo = safeNextPath(next);
  if (await getCurrentUser()) redirect(returnTo);
  const signInAgain = `/login?next=${encodeURIComponent(returnTo)}`;
  if (!(await readPendingSignIn())) {
    return (
      <>
        <h1>Sign-in expired</h1>
        <p data-testid="second-factor-expired">
          The second step of a sign-in must follow the password within 5 minutes, in the same browser.{" "}
          <Link href={signInAgain}>Sign in again</Link>
        </p>
      </>
    );
  }
  const recovery = method === "recovery";
  const here = `/login/two-factor?next=${encodeURIComponent(returnTo)}`;
  return (
    <>
      <h1>Two-factor authentication</h1>
      <p>{recovery ? "Enter one of your recovery codes." : "Enter the code from your authenticator app."}</p>
      <SecondFactorForm key={String(recovery)} next={returnTo} recovery={recovery} signInAgain={signInAgain} />
      <p>
        {recovery ? <Link href={here}>Use your authenticator app</Link> : <Link href={`${here}&method=recovery`}>Use a recovery code</Link>}
      </p>
    </>
  );
}
