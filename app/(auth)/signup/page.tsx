import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/dal";
import { isSignupOpen } from "@/lib/config";
import { getMinPasswordLength } from "@/lib/config";
import { SignupForm } from "./signup-form";

export const metadata: Metadata = { title: "Create an account" };

export default async function SignupPage() {
  if (await getCurrentUser()) redirect("/dashboard");
  return (
    <>
      <h1>Create an account</h1>
      {isSignupOpen() ? (
        <SignupForm minPasswordLength={getMinPasswordLength()} />
      ) : (
        <p role="status">Sign-up is closed. Ask an administrator for an account.</p>
      )}
      <p>
        Already have an account? <Link href="/login">Sign in</Link>
      </p>
    </>
  );
}
