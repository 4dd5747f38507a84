-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "authenticatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Edited: a session that exists already was last authenticated when it began, not at this migration.
UPDATE "Session" SET "authenticatedAt" = "createdAt";
