"use server";
import { redirect } from "next/navigation";
import { changePassword } from "@/lib/account";
import { recordEvent } from "@/lib/audit";
import { endSession } from "@/lib/auth";
import { requireSession } from "@/lib/dal";
import { getClient } from "@/lib/request-context";
import { revokeUserSession, revokeUserSessions } from "@/lib/session";
import { ThrottledError } from "@/lib/throttle";
import { checkPasswordChange, formString, type FieldErrors } from "@/lib/validation";

export type ChangePasswordState = {
  errors?: FieldErrors<"current" | "password" | "confirm">;
  message?: string;
  done?: boolean;
};

export async function changePasswordAction(_previous: ChangePasswordState, formData: FormData): Promise<ChangePasswordState> {
  const current = await requireSession("/account");
  const input = {
    current: formString(formData, "current"),
    password: formString(formData, "password"),
    confirm: formString(formData, "confirm"),
  };
  const errors = checkPasswordChange(input, current.user.username);
  if (errors) return { errors };
  try {
    const result = await changePassword(current, input.current, input.password, await getClient());
    if (result === "wrong-password") return { errors: { current: "Current password is incorrect." } };
  } catch (error) {
    if (error instanceof ThrottledError) return { message: error.message };
    throw error;
  }
  return { done: true, message: "Password changed. Your other sessions were signed out." };
}

export async function revokeSessionAction(formData: FormData): Promise<void> {
  const current = await requireSession("/account");
  const sessionId = formString(formData, "sessionId");
  const client = await getClient();
  if (sessionId === current.session.id) {
    await endSession(client);
    redirect("/login?signed-out=1");
  }
  if (await revokeUserSession(current.user.id, sessionId)) {
    await recordEvent({ type: "session_revoked", client, userId: current.user.id });
  }
  redirect("/account");
}

export async function revokeOtherSessionsAction(): Promise<void> {
  const current = await requireSession("/account");
  const ended = await revokeUserSessions(current.user.id, current.session.id);
  await recordEvent({ type: "sessions_revoked", client: await getClient(), userId: current.user.id, detail: `${ended} session(s)` });
  redirect("/account");
}
