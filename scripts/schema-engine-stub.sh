#!/bin/sh
# Stand-in for Prisma's native schema engine, which cannot be downloaded offline.
# `prisma generate` only checks that an engine file exists; anything that really
# needs the engine lands here.
echo "Keycard: Prisma's native schema engine is not installed on this machine." >&2
echo "Apply migrations with 'npm run db:migrate'; write a new one with 'npm run db:new-migration -- <name>'." >&2
exit 1
