import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/dal";
import { safeNextPath } from "@/lib/safe-next";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };

type Props = { searchParams: Promise<{ next?: string | string[] }> };

export default async function LoginPage({ searchParams }: Props) {
  const { next } = await searchParams;
  const returnTo = safeNextPath(next);
  if (await getCurrentUser()) redirect(returnTo);
  return (
    <>
      <h1>Sign in to Keycard</h1>
      <LoginForm next={returnTo} />
      <p>
        New here? <Link href="/signup">Create an account</Link>
      </p>
    </>
  );
}
