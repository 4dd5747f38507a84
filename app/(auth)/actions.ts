"use server";
import { redirect } from "next/navigation";
import { authenticate } from "@/lib/authenticate";
import { safeNextPath } from "@/lib/safe-next";
import { endSession, startSession } from "@/lib/session";
import { credentialsSchema, firstIssue } from "@/lib/validation";

export type LoginState = {
  error?: string;
  /** Echoed back so the form keeps it; the password never is. */
  username?: string;
};

export async function loginAction(_previous: LoginState, formData: FormData): Promise<LoginState> {
  const username = formData.get("username");
  const typedUsername = typeof username === "string" ? username.slice(0, 256) : "";
  const parsed = credentialsSchema.safeParse({ username, password: formData.get("password") });
  if (!parsed.success) return { error: firstIssue(parsed.error), username: typedUsername };

  const user = await authenticate(parsed.data);
  if (!user) return { error: "Invalid username or password.", username: typedUsername };
  await startSession(user);
  redirect(safeNextPath(formData.get("next")));
}

export async function logoutAction(): Promise<void> {
  await endSession();
  redirect("/login");
}
